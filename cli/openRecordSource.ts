import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import type { Readable } from "node:stream";
import type { SourceRecord } from "../shared/contact/validateStream.js";
import type { CsvDelimiter } from "../shared/intake/csvDelimiterOf.js";
import type { TextEncoding } from "../shared/intake/textEncodingOf.js";
import { decodeText } from "./decodeText.js";
import { readCsvRecords } from "./readCsvRecords.js";
import { readJsonlRecords } from "./readJsonlRecords.js";
import { UsageError } from "./usageError.js";

/** Input formats the CLI reads. */
export type InputFormat = "csv" | "jsonl";

/** An opened input: its records as a lazy stream plus what the summary line says about it. */
export interface RecordSource {
  /** The records in batches (those of one chunk of the input), for a consumer that awaits once per batch. */
  batches: AsyncIterable<SourceRecord[]>;
  /** The same records one by one; read either this or `batches`, not both. */
  records: AsyncIterable<SourceRecord>;
  format: InputFormat;
  /** Display name: the path, or `stdin`. */
  name: string;
  encoding: TextEncoding;
  /** True when the input has no bytes at all: an empty file, or a pipe whose producer failed. */
  empty: boolean;
  /** The CSV separator, once the header has been read (undefined for JSON Lines or before the first record). */
  delimiter(): CsvDelimiter | undefined;
}

// `.txt` and `.tsv` are what Excel's "Unicode text" and "Text (tab delimited)" save as.
const formatByExtension: Readonly<Record<string, InputFormat>> = {
  ".csv": "csv",
  ".tsv": "csv",
  ".txt": "csv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
};

/**
 * Opens FILE or `-` (stdin) as a stream of records, in UTF-8 or UTF-16 (with or without BOM) or Windows-1252.
 * The format comes from `--format`, else the extension, else the first character (`{` means JSON Lines). CSV
 * rows count as happening at the file's modification time, so re-validating an unchanged export yields
 * identical events; stdin rows use `now`.
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
  const name = path === "-" ? "stdin" : path;
  const decoded = await decodeText(input);
  const head = decoded.head.trimStart();
  if (format === undefined) {
    if (head.startsWith("[")) {
      decoded.text.destroy();
      throw jsonArrayError(name);
    }
    format = head.startsWith("{") ? "jsonl" : "csv";
  }
  let delimiter: CsvDelimiter | undefined;
  const batches =
    format === "csv"
      ? readCsvRecords(decoded.text, { occurredAt, source: "csv" }, (found) => {
          delimiter = found;
        })
      : readJsonlRecords(decoded.text);
  return {
    batches,
    records: oneByOne(batches),
    format,
    name,
    encoding: decoded.encoding,
    empty: decoded.empty,
    delimiter: () => delimiter,
  };
}

async function* oneByOne(batches: AsyncIterable<SourceRecord[]>): AsyncGenerator<SourceRecord> {
  for await (const batch of batches) yield* batch;
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
