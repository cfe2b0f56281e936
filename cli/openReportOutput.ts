import { stat } from "node:fs/promises";
import type { CommandIo } from "./commandIo.js";
import { LineWriter } from "./lineWriter.js";
import { openPrivateWriteStream } from "./privateFile.js";
import { backfillCsvHeader } from "./toBackfillCsvLine.js";
import { UsageError } from "./usageError.js";

/** Where the per-row CSV goes: stdout, or the --report FILE (private, appended to on --resume). */
export interface ReportOutput {
  write(text: string): Promise<void> | undefined;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Refuses (usage error) to replace an earlier run's per-row CSV without --force or --resume; says whether the file
 * holds anything. Asked before anything else is done, so a wrong --report costs no Graph call.
 */
export async function refuseToReplaceReport(path: string, append: boolean, force: boolean): Promise<boolean> {
  const exists = await stat(path).then(
    (info) => info.size > 0,
    () => false,
  );
  if (exists && !append && !force) {
    throw new UsageError(
      `The report ${path} exists: it is the per-row record of an earlier run. Pass --force to replace it, name another --report FILE, or --resume to append to it.`,
    );
  }
  return exists;
}

/**
 * Opens the per-row CSV. `exists`: what `refuseToReplaceReport` found, asked at the run's start (a report that holds
 * rows and is appended to gets no second header).
 */
export async function openReportOutput(
  path: string | undefined,
  io: CommandIo,
  append: boolean,
  exists: boolean,
): Promise<ReportOutput> {
  if (path === undefined) {
    const writer = new LineWriter(io.stdout);
    writer.write(backfillCsvHeader);
    return { write: (text) => writer.write(text), flush: () => writer.flush(), close: () => writer.flush() };
  }
  const stream = await openPrivateWriteStream(path, append ? "a" : "w").catch((err: Error) => {
    throw new UsageError(`Cannot write the report ${path}: ${err.message}`, { cause: err });
  });
  const writer = new LineWriter(stream);
  if (!append || !exists) writer.write(backfillCsvHeader);
  return {
    write: (text) => writer.write(text),
    flush: () => writer.flush(),
    close: async () => {
      await writer.flush();
      await new Promise<void>((done, reject) =>
        stream.end((err?: Error | null) => (err ? reject(err) : done())),
      );
    },
  };
}
