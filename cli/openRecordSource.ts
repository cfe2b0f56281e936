import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { Readable } from "node:stream";
import type { SourceRecord } from "../shared/contact/validateStream.js";
import { readCsvRecords } from "./readCsvRecords.js";
import { readJsonlRecords } from "./readJsonlRecords.js";
import { UsageError } from "./usageError.js";

/** Input formats the CLI reads. */
export type InputFormat = "csv" | "jsonl";

/** An opened input: its records as a lazy stream plus what the summary line says about it. */
export interface RecordSource {
  records: AsyncIterable<SourceRecord>;
  format: InputFormat;
  /** Display name: the path, or `stdin`. */
  name: string;
}

const formatByExtension: Readonly<Record<string, InputFormat>> = {
  ".csv": "csv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
};

/**
 * Opens FILE or `-` (stdin) as a stream of records. The format comes from `--format`, else the extension,
 * else the first character (`{` means JSON Lines). CSV rows count as happening at the file's modification
 * time, so re-validating an unchanged export yields identical events; stdin rows use `now`.
 */
export async function openRecordSource(
  path: string,
  options: { format?: InputFormat; stdin: Readable; now?: Date },
): Promise<RecordSource> {
  const extension = path === "-" ? "" : extname(path).toLowerCase();
  if (extension === ".json" && options.format === undefined) throw jsonArrayError(path);
  let format = options.format ?? formatByExtension[extension];
  let input: Readable;
  let occurredAt: string;
  if (path === "-") {
    input = options.stdin;
    occurredAt = (options.now ?? new Date()).toISOString();
  } else {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`Cannot read ${path}: ${describeFsError(err)}.`, { cause: err });
    });
    if (!info.isFile()) throw new UsageError(`Cannot read ${path}: not a regular file.`);
    input = createReadStream(path);
    occurredAt = info.mtime.toISOString();
  }
  if (format === undefined) {
    const sniffed = await sniffFormat(input, path === "-" ? "stdin" : path).catch((err: unknown) => {
      input.destroy();
      throw err;
    });
    format = sniffed.format;
    input = sniffed.input;
  }
  const name = path === "-" ? "stdin" : path;
  const records =
    format === "csv" ? readCsvRecords(input, { occurredAt, source: "csv" }) : readJsonlRecords(input);
  return { records, format, name };
}

// Reads the first chunk to decide, then hands on a stream that still starts with that chunk.
async function sniffFormat(input: Readable, name: string): Promise<{ format: InputFormat; input: Readable }> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head: Buffer | string = first.done ? "" : (first.value as Buffer | string);
  const text = (typeof head === "string" ? head : head.toString("utf8", 0, Math.min(head.length, 1024)))
    .replace(/^\uFEFF/, "")
    .trimStart();
  if (text.startsWith("[")) throw jsonArrayError(name);
  const format: InputFormat = text.startsWith("{") ? "jsonl" : "csv";
  async function* replay(): AsyncGenerator<Buffer | string> {
    if (!first.done) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { format, input: Readable.from(replay(), { objectMode: false }) };
}

// A JSON array can only be parsed whole, which breaks the constant-memory promise; JSON Lines streams.
function jsonArrayError(what: string): UsageError {
  return new UsageError(
    `${what} looks like a JSON array; validate reads JSON Lines (one event per line): convert it with jq -c '.[]' (or pass --format).`,
  );
}

function describeFsError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    default:
      return err.code ?? err.message;
  }
}
