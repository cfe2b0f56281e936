import type { Readable } from "node:stream";
import type { SourceRecord } from "../shared/contact/validateStream.js";

// A ContactEvent is well under 2 KB; a longer line is junk, and capping it keeps memory constant.
const maxLineLength = 1024 * 1024;

/**
 * Reads JSON Lines (one ContactEvent per line) as a stream, in batches (the lines of one chunk); blank lines are
 * skipped but still counted.
 */
export async function* readJsonlRecords(input: Readable): AsyncGenerator<SourceRecord[]> {
  input.setEncoding("utf8");
  let pending = "";
  let line = 0;
  let skipping = false;
  for await (const chunk of input as AsyncIterable<string>) {
    const batch: SourceRecord[] = [];
    let text = pending + chunk;
    let start = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
      line++;
      const lineStart = start;
      start = newline + 1;
      if (skipping || newline - lineStart > maxLineLength) {
        skipping = false;
        batch.push(tooLong(line));
        continue;
      }
      const record = toRecord(text.slice(lineStart, newline), line);
      if (record) batch.push(record);
    }
    text = text.slice(start);
    if (text.length > maxLineLength) {
      skipping = true;
      text = "";
    }
    pending = text;
    if (batch.length > 0) yield batch;
  }
  if (skipping || pending.length > maxLineLength) yield [tooLong(line + 1)];
  else if (pending.length > 0) {
    const record = toRecord(pending, line + 1);
    if (record) yield [record];
  }
}

function toRecord(raw: string, line: number): SourceRecord | undefined {
  const content = (line === 1 ? raw.replace(/^\uFEFF/, "") : raw).trim();
  if (content.length === 0) return undefined;
  try {
    return { line, input: JSON.parse(content) };
  } catch {
    // JSON.parse's message quotes the input, which may hold personal data: say where, not what.
    return {
      line,
      issues: [
        {
          field: "event",
          code: "json_invalid",
          message: `Line ${line} is not valid JSON.`,
          hint: "Write one complete JSON object per line (JSON Lines), without trailing commas or comments.",
        },
      ],
    };
  }
}

function tooLong(line: number): SourceRecord {
  return {
    line,
    issues: [
      {
        field: "event",
        code: "json_line_too_long",
        message: `Line ${line} is longer than ${maxLineLength} characters and was skipped.`,
        hint: "Write one ContactEvent per line; a single event is a few hundred characters.",
      },
    ],
  };
}
