import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { openRecordSource } from "../../cli/openRecordSource.js";
import { fromCsvCell, toCsvCell } from "../../shared/core/csvCell.js";

// CSV formula injection through another separator: a cell guarded only at its first character, such as the
// department `Sales;=WEBSERVICE(C5&D2)`, is a live formula in Excel where the list separator is `;` (most of
// Europe). Every CSV the product writes goes through one toCsvCell, which guards each piece a spreadsheet could
// split the cell into, and the CLI's own reader takes the guard off again.

const attacks = [
  ["a formula after a semicolon (Excel's list separator in most of Europe)", "Sales;=WEBSERVICE(C5&D2)"],
  ["a formula after a comma", "a,=1+1"],
  ["a formula after a tab", "x\t@SUM(1)"],
  ["a formula after a pipe", "x|+cmd"],
  ["a formula on a new line", "line\n=cmd"],
  ["a formula after a carriage return", "line\r-2+3"],
  ["a formula behind spaces and a quote", 'Sales; "=1+1"'],
  ["a full-width equals sign", "x;\uFF1D1+1"],
  ["a formula at the start", '=HYPERLINK("https://evil.example")'],
  ["a value that already carries the guard", "'=1+1"],
] as const;

/**
 * What a spreadsheet could take for fields, at its worst: the CSV text split on any separator or line break,
 * ignoring quotes (a reader splitting on `;` does not honour quotes that open a `,` field), each piece with the
 * spaces and quotes a reader may drop taken off.
 */
function fieldsAnyReaderSees(csvText: string): string[] {
  return csvText.split(/[,;\t|\r\n]/).map((field) => field.replace(/^[\s"]*/, ""));
}
const startsAFormula = (field: string) => /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/.test(field);

/** The cell as a CSV parser reads it back: the RFC 4180 quotes undone. */
function unquoted(cell: string): string {
  return cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell;
}

describe("one CSV cell, whatever separator the spreadsheet splits it with", () => {
  it.each(attacks)("neutralizes %s", (_, value) => {
    const cell = toCsvCell(value);
    expect(fieldsAnyReaderSees(cell).filter(startsAFormula)).toEqual([]);
    expect(fromCsvCell(unquoted(cell))).toBe(value);
  });

  it("guards the formula after the semicolon, not only the cell's first character", () => {
    expect(toCsvCell("Sales;=WEBSERVICE(C5&D2)")).toBe("Sales;'=WEBSERVICE(C5&D2)");
    expect(toCsvCell("line\n=cmd")).toBe(`"line\n'=cmd"`);
  });

  it.each([
    ["a phone number", "+1 425 555 0147", "'+1 425 555 0147"],
    ["a UK phone number", "+44 7700 900123", "'+44 7700 900123"],
    ["plain text", "Sales", "Sales"],
    ["an address", "new.hire@example.com", "new.hire@example.com"],
    ["a name with an apostrophe", "O'Brien", "O'Brien"],
    ["text with a quote", 'say "hi"', '"say ""hi"""'],
  ])("keeps %s readable: %s → %s", (_, value, cell) => {
    expect(toCsvCell(value)).toBe(cell);
    expect(fromCsvCell(unquoted(cell))).toBe(value);
  });

  it("reads back exactly what it wrote, for any text", () => {
    const pieces = fc.constantFrom(
      "=",
      "+",
      "-",
      "@",
      "'",
      '"',
      " ",
      ",",
      ";",
      "\t",
      "|",
      "\n",
      "\r",
      "a",
      "1",
      "\uFF1D",
    );
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join("")),
        (value) => {
          const cell = toCsvCell(value);
          expect(fromCsvCell(unquoted(cell))).toBe(value);
          expect(fieldsAnyReaderSees(cell).filter(startsAFormula)).toEqual([]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

async function run(argv: string[], stdin: string) {
  const stdout = new PassThrough();
  const out: string[] = [];
  stdout.setEncoding("utf8").on("data", (chunk: string) => out.push(chunk));
  const code = await main(argv, {
    stdin: Readable.from([stdin]),
    stdout,
    stderr: new PassThrough(),
    env: {},
  });
  return { code, stdout: out.join("") };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-csv-injection-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("validate --output csv, read back by the CLI's own reader", () => {
  const events = [
    ["Sales;=WEBSERVICE(C5&D2)", "+1 425 555 0147"],
    ["a,=1+1", "+1 425 555 0149"],
    ["x\t@SUM(1)", "+1 425 555 0100"],
    ["=cmd", "+1 425 555 0148"],
  ].map(([eventId, mobilePhone], i) => ({
    eventId,
    source: "hr",
    occurredAt: "2026-11-24T09:00:00Z",
    user: { employeeId: `E${i + 1}` },
    contact: { mobilePhone },
  }));

  it("writes no cell a spreadsheet runs, and reads every event id and phone back as written", async () => {
    const { stdout } = await run(
      ["validate", "-", "--output", "csv"],
      `${events.map((e) => JSON.stringify(e)).join("\n")}\n`,
    );
    expect(fieldsAnyReaderSees(stdout).filter(startsAFormula)).toEqual([]);

    // validate's CSV names no user, which the reader needs: a user column is put in front, every cell left as written.
    const [header, ...rows] = stdout.trimEnd().split(/\n(?=\d+,)/);
    const path = join(dir, "validated.csv");
    await writeFile(path, [`employeeId,${header}`, ...rows.map((row, i) => `E${i + 1},${row}`)].join("\n"));
    const source = await openRecordSource(path, { stdin: Readable.from([]) });
    const read: Array<{ eventId: unknown; mobilePhone: unknown }> = [];
    for await (const record of source.records) {
      if (!("input" in record)) throw new Error(`unreadable line ${record.line}`);
      const input = record.input as { eventId: string; contact: { mobilePhone?: string } };
      read.push({ eventId: input.eventId, mobilePhone: input.contact.mobilePhone });
    }
    expect(read).toEqual([
      { eventId: "Sales;=WEBSERVICE(C5&D2)", mobilePhone: "+1 4255550147" },
      { eventId: "a,=1+1", mobilePhone: "+1 4255550149" },
      { eventId: "x\t@SUM(1)", mobilePhone: "+1 4255550100" },
      { eventId: "=cmd", mobilePhone: "+1 4255550148" },
    ]);
  });
});
