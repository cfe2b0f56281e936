import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { RunTotals } from "./runTotals.js";

/**
 * Where an interrupted backfill left off. Rows are reported in input order, so the finished rows are always
 * every row up to one line: `doneThroughLine`. The input's size and modification time, and the options that
 * change what a row does, are kept so a resume refuses a different file or different options.
 */
export interface BackfillCheckpoint {
  version: 1;
  input: { path: string; size: number; mtimeMs: number };
  options: { mode: string; target: string; syncedMobile: string };
  /** Every row on or before this line is finished (applied, unchanged, rejected or failed). */
  doneThroughLine: number;
  /** Running totals, so the summary of a resumed run covers the whole file. */
  totals: RunTotals;
  updatedAt: string;
}

/**
 * The checkpoint file beside the input: `.sspr-checkpoint.<input name>.json` (hidden, and git-ignored by the
 * repository's `.sspr-checkpoint*` pattern).
 */
export function backfillCheckpointPath(inputPath: string): string {
  return join(dirname(inputPath), `.sspr-checkpoint.${basename(inputPath)}.json`);
}

/** Reads a checkpoint; undefined when there is none. Throws when the file exists but is not a checkpoint. */
export async function readBackfillCheckpoint(path: string): Promise<BackfillCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<BackfillCheckpoint>;
  if (parsed.version !== 1 || typeof parsed.doneThroughLine !== "number" || !parsed.input || !parsed.totals) {
    throw new SyntaxError(`${path} is not a backfill checkpoint (version 1)`);
  }
  return parsed as BackfillCheckpoint;
}

/**
 * Writes the checkpoint atomically: a temporary file beside it, then a rename, so a crash mid-write leaves the
 * previous checkpoint whole instead of a truncated one. Owner-only (0600) from the first byte: it holds the
 * input's path and the run's totals. The chmod covers a temporary file left over by a crashed run with the same
 * name, whose mode `writeFile` would keep.
 */
export async function writeBackfillCheckpoint(path: string, checkpoint: BackfillCheckpoint): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Removes the checkpoint once a run has finished every row. */
export async function removeBackfillCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}
