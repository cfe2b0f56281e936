import { Readable } from "node:stream";
import { parse } from "csv-parse";
import type { SourceRecord } from "../shared/contact/validateStream.js";
import { type CsvDelimiter, csvDelimiterOf, isSeparatorHint } from "../shared/intake/csvDelimiterOf.js";
import { type CsvLayout, type CsvRowContext, fromCsvRow, toCsvLayout } from "../shared/intake/fromCsvRow.js";
import { UsageError } from "./usageError.js";

// The header row is read ahead to pick the separator; a "line" longer than this is not a header.
const maxHeaderLength = 64 * 1024;

/**
 * Reads an HR CSV export as a stream: header row first, then one ContactEvent input per non-blank row, handed
 * over in batches (the rows parsed from one chunk of the file). The separator (`,` `;` tab `|`) comes from the
 * header line; `onDelimiter` hears which one it is.
 */
export async function* readCsvRecords(
  input: Readable,
  context: CsvRowContext,
  onDelimiter?: (delimiter: CsvDelimiter) => void,
): AsyncGenerator<SourceRecord[]> {
  const { delimiter, text } = await withDelimiter(input);
  onDelimiter?.(delimiter);
  const parser = parse({
    delimiter,
    bom: true,
    info: true,
    skip_empty_lines: true,
    // HR exports drop trailing empty cells and leave stray quotes inside unquoted names (O"Brien).
    relax_column_count: true,
    relax_quotes: true,
    // Bounds memory when an unclosed quote would otherwise swallow the rest of the file into one field.
    max_record_size: 1024 * 1024,
  });
  // `pipe` does not forward source errors (a vanished file, EIO); without this the loop would wait forever.
  text.once("error", (err) => parser.destroy(err));
  text.pipe(parser);
  let layout: CsvLayout | undefined;
  let columns = 0;
  let drift = 0;
  try {
    for await (const parsed of drained<{ record: string[]; info: { lines: number } }>(parser)) {
      const batch: SourceRecord[] = [];
      for (const { record, info } of parsed) {
        // csv-parse reports the line a record ENDS on, and counts a CRLF inside a quoted cell as two lines;
        // correcting both gives the line a spreadsheet user sees the record start on.
        const breaks = lineBreaksIn(record);
        drift += breaks.counted - breaks.physical;
        if (!layout) {
          if (info.lines === 1 && isSeparatorHint(record)) continue;
          const resolved = toCsvLayout(record);
          if (!resolved.ok)
            throw new UsageError(resolved.issues.map((i) => `${i.message} ${i.hint}`).join(" "));
          layout = resolved.value;
          columns = record.length;
          continue;
        }
        if (record.every((cell) => cell.trim().length === 0)) continue;
        const line = info.lines - drift - breaks.physical;
        batch.push(
          hasExtraCells(record, columns)
            ? tooManyCells(line, record.length, columns)
            : { line, input: fromCsvRow(record, layout, context) },
        );
      }
      if (batch.length > 0) yield batch;
    }
  } catch (err) {
    throw toCsvError(err);
  } finally {
    // Also reached when the consumer stops early (stdout closed): release the file and the parser.
    text.unpipe(parser);
    text.destroy();
    input.destroy();
    parser.destroy();
  }
  if (!layout) throw new UsageError("The CSV input is empty: expected a header row.");
}

/** Everything an object stream has buffered, one array per wake-up: a batch per chunk instead of an await per row. */
async function* drained<T>(stream: Readable): AsyncGenerator<T[]> {
  for (;;) {
    const batch: T[] = [];
    for (let item = stream.read() as T | null; item !== null; item = stream.read() as T | null)
      batch.push(item);
    if (batch.length > 0) {
      yield batch;
      continue;
    }
    if (stream.errored) throw stream.errored;
    if (stream.readableEnded || stream.destroyed) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: unknown) => {
        stream.off("readable", settle);
        stream.off("end", settle);
        stream.off("close", settle);
        stream.off("error", settle);
        if (err instanceof Error) reject(err);
        else resolve();
      };
      stream.on("readable", settle);
      stream.on("end", settle);
      stream.on("close", settle);
      stream.on("error", settle);
    });
  }
}

/** Reads the input up to the end of its first line, picks the separator, and hands on the whole text again. */
async function withDelimiter(input: Readable): Promise<{ delimiter: CsvDelimiter; text: Readable }> {
  input.setEncoding("utf8");
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<string>;
  let head = "";
  let done = false;
  while (!/[\r\n]/.test(head) && head.length < maxHeaderLength) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head += next.value;
  }
  const delimiter = csvDelimiterOf(head.replace(/^\uFEFF/, "").split(/\r?\n|\r/, 1)[0] ?? "");
  async function* replay(): AsyncGenerator<string> {
    if (head.length > 0) yield head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { delimiter, text: Readable.from(replay(), { objectMode: false, encoding: "utf8" }) };
}

/** Filled cells beyond the header: an unquoted separator inside a value shifted every cell after it. */
function hasExtraCells(record: readonly string[], columns: number): boolean {
  return record.slice(columns).some((cell) => cell.trim().length > 0);
}

function tooManyCells(line: number, cells: number, columns: number): SourceRecord {
  return {
    line,
    issues: [
      {
        field: "row",
        code: "csv_too_many_cells",
        message: `Line ${line} has ${cells} cells where the header has ${columns}: a separator inside a value shifts the cells after it, so no cell of this row is trusted.`,
        hint: 'Quote a value that holds the separator ("Smith, Jr."), or remove the stray separator.',
      },
    ],
  };
}

/** Counts line breaks inside a record's cells: as the file shows them, and as csv-parse's `info.lines` does. */
function lineBreaksIn(record: readonly string[]): { physical: number; counted: number } {
  let physical = 0;
  let counted = 0;
  for (const cell of record) {
    if (!cell.includes("\n") && !cell.includes("\r")) continue;
    for (let i = 0; i < cell.length; i++) {
      const char = cell[i];
      if (char === "\n") {
        counted++;
        if (cell[i - 1] !== "\r") physical++;
      } else if (char === "\r") {
        counted++;
        physical++;
      }
    }
  }
  return { physical, counted };
}

// csv-parse messages quote the offending cell, which may be personal data: keep only its code and line.
function toCsvError(err: unknown): unknown {
  if (err instanceof UsageError || !(err instanceof Error) || !("code" in err)) return err;
  const code = String(err.code);
  if (!code.startsWith("CSV_") && !code.startsWith("INVALID_")) return err;
  const lines = "lines" in err && typeof err.lines === "number" ? ` near line ${err.lines}` : "";
  return new UsageError(`The CSV input cannot be parsed${lines} (${code}).`, { cause: err });
}
