import { mkdir, open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { historyFileName, parseTrendPoint, type TrendPoint } from "../shared/readiness/readinessHistory.js";
import type { ReadinessSummary } from "../shared/readiness/readinessSummary.js";
import type { CommandIo } from "./commandIo.js";
import { UsageError } from "./usageError.js";
import { writeAtomically } from "./writeAtomically.js";

/** A history file bigger than this is no summary of ours (one is a few kB): skipped unread. */
const maxHistoryFileBytes = 1024 * 1024;

/**
 * The earlier summaries in the history folder (created if missing). A file that is not one (not JSON, another
 * program's, too big, unreadable) is skipped with a warning: the trend never stops the report.
 */
export async function readHistory(dir: string, io: CommandIo): Promise<TrendPoint[]> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UsageError(
      `Cannot use --history ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
      {
        cause: err,
      },
    );
  }
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  } catch (err) {
    throw new UsageError(
      `Cannot read --history ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
      {
        cause: err,
      },
    );
  }
  const points: TrendPoint[] = [];
  for (const name of names) {
    const problem = await readHistoryFile(join(dir, name)).then(
      (text) => {
        if (text === undefined) return "larger than a summary";
        const parsed = parseTrendPoint(text);
        if (parsed.ok) points.push(parsed.point);
        return parsed.ok ? undefined : parsed.problem;
      },
      (err: NodeJS.ErrnoException) => `unreadable (${err.code ?? err.message})`,
    );
    if (problem) io.stderr.write(`report: skipped history file ${name}: ${problem}\n`);
  }
  return points;
}

/** A file's text, or undefined when it is larger than any summary; rejects when it can't be read. */
async function readHistoryFile(path: string): Promise<string | undefined> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    if (size > maxHistoryFileBytes) return undefined;
    return await file.readFile("utf8");
  } finally {
    await file.close();
  }
}

/** Writes this run's summary into the history folder (0600); returns its path. */
export async function keepSummary(dir: string, summary: ReadinessSummary): Promise<string> {
  const path = join(dir, historyFileName(summary.generatedAt));
  await writeAtomically(path, `${JSON.stringify(summary, null, 2)}\n`);
  return path;
}
