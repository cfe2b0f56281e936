import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecordSource } from "../../cli/openRecordSource.js";
import { validateStream } from "../../shared/contact/validateStream.js";
import { type ExcelEncoding, excelFile, hrSheet } from "../support/excelFiles.js";

const rules = { phoneValidation: "valid" as const, organizationDomains: ["contoso.example"] };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-sources-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function validated(name: string, bytes: Buffer) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const source = await openRecordSource(path, { stdin: Readable.from([]) });
  const rows: unknown[] = [];
  for await (const record of validateStream(source.records, rules)) {
    rows.push([
      record.line,
      record.result.ok,
      record.result.ok ? record.result.value.contact : record.result.issues,
    ]);
  }
  return { rows, source };
}

// What every dialect below must give: the rows of hrSheet, on the lines Excel shows them on.
const expected = [
  [
    2,
    true,
    { mobilePhone: "+49 15123456789", officePhone: "+49 301234567", alternateEmail: "joerg@example.com" },
  ],
  [3, true, { mobilePhone: "+34 612345678", alternateEmail: "sofia@example.org" }],
  [4, true, { mobilePhone: "+1 4255550147" }],
  [7, true, { mobilePhone: "+43 6641234567", alternateEmail: "eva@example.net" }],
];

describe("reading HR sheets saved the way Excel saves them", () => {
  it.each([
    ["CSV UTF-8 (Comma delimited)", "export.csv", ",", "utf-8-bom", ",", "utf-8"],
    [
      "CSV (Comma delimited) on a German Windows: semicolons, Windows-1252",
      "export.csv",
      ";",
      "windows-1252",
      ";",
      "windows-1252",
    ],
    ["CSV UTF-8 on a German Windows: semicolons", "export.csv", ";", "utf-8-bom", ";", "utf-8"],
    ["Unicode Text: UTF-16LE with BOM, tabs", "export.txt", "\t", "utf-16le-bom", "\t", "utf-16le"],
    ["Text (Tab delimited): Windows-1252, tabs", "export.txt", "\t", "windows-1252", "\t", "windows-1252"],
    ["UTF-16LE without a BOM, tabs", "export.txt", "\t", "utf-16le", "\t", "utf-16le"],
    ["UTF-16BE with a BOM, tabs", "export.tsv", "\t", "utf-16be-bom", "\t", "utf-16be"],
    ["an HR system's pipe-separated UTF-8 without BOM", "export.csv", "|", "utf-8", "|", "utf-8"],
  ] as const)("reads %s", async (_, name, delimiter, encoding, detected, decodedAs) => {
    const { rows, source } = await validated(name, excelFile(hrSheet, { delimiter, encoding }));
    expect(rows).toEqual(expected);
    expect(source.format).toBe("csv");
    expect(source.encoding.name).toBe(decodedAs);
    expect(source.delimiter()).toBe(detected);
  });

  it("follows Excel's sep= first line and counts it as line 1", async () => {
    const bytes = excelFile(hrSheet, { delimiter: ";", encoding: "windows-1252", firstLine: "sep=;" });
    const { rows } = await validated("sep.csv", bytes);
    expect(rows).toEqual(expected.map(([line, ...rest]) => [Number(line) + 1, ...rest]));
  });

  it("reads a file with LF line ends and no final line break the same", async () => {
    const bytes = excelFile(hrSheet, { delimiter: ",", encoding: "utf-8", lineEnd: "\n" });
    const { rows } = await validated("lf.csv", bytes.subarray(0, bytes.length - 1));
    expect(rows).toEqual(expected);
  });

  it("reads JSON Lines that PowerShell wrote as UTF-16LE with a BOM", async () => {
    const line = JSON.stringify({
      eventId: "ev-1",
      source: "hr",
      occurredAt: "2026-11-24T09:00:00Z",
      user: { employeeId: "E1" },
      contact: { mobilePhone: "+1 425 555 0147" },
    });
    const { rows, source } = await validated(
      "events.jsonl",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${line}\r\n`, "utf16le")]),
    );
    expect(source.format).toBe("jsonl");
    expect(rows).toEqual([[1, true, { mobilePhone: "+1 4255550147" }]]);
  });

  it("tells the format of a UTF-16 file from its first character, not its first byte", async () => {
    const path = join(dir, "events");
    await writeFile(
      path,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"eventId":"x"}\r\n', "utf16le")]),
    );
    expect((await openRecordSource(path, { stdin: Readable.from([]) })).format).toBe("jsonl");
  });

  it("says an input is empty when it has no bytes at all", async () => {
    const source = await openRecordSource("-", { stdin: Readable.from([]), format: "jsonl" });
    expect(source.empty).toBe(true);
  });

  it("reads a character that is split between two chunks of the stream", async () => {
    const bytes = excelFile(hrSheet, { delimiter: "\t", encoding: "utf-16le-bom" });
    // Odd-sized chunks cut UTF-16 code units in half.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
      bytes.subarray(i * 7, i * 7 + 7),
    );
    const source = await openRecordSource("-", { stdin: Readable.from(chunks), format: "csv" });
    const rows: unknown[] = [];
    for await (const record of validateStream(source.records, rules)) {
      rows.push([
        record.line,
        record.result.ok,
        record.result.ok ? record.result.value.contact : record.result.issues,
      ]);
    }
    expect(rows).toEqual(expected);
  });

  it.each([["utf-8-bom"], ["utf-16le-bom"]] as const)(
    "refuses a %s sheet without a column naming the user with one header error",
    async (encoding: ExcelEncoding) => {
      const bytes = excelFile(
        [
          ["Name", "Mobile Phone"],
          ["Avery", "+1 425 555 0147"],
        ],
        { delimiter: ",", encoding },
      );
      await expect(validated(`no-id-${encoding}.csv`, bytes)).rejects.toThrow(
        "The CSV header has no column that says which user a row is about (it has Mobile Phone).",
      );
    },
  );
});

describe("rows a spreadsheet or our own output shaped", () => {
  it("refuses a row with filled cells beyond the header, naming the line, and reads the rows around it", async () => {
    const csv = [
      "employeeId,mobilePhone,alternateEmail",
      "E1,+1 425 555 0147,e1@example.com",
      "E2,+1 425 555 0148,Smith, Jr.,e2@example.com",
      "E3,+1 425 555 0149,",
    ].join("\n");
    const { rows } = await validated("shifted.csv", Buffer.from(csv));
    expect(rows).toEqual([
      [2, true, { mobilePhone: "+1 4255550147", alternateEmail: "e1@example.com" }],
      [3, false, [expect.objectContaining({ field: "row", code: "csv_too_many_cells" })]],
      [4, true, { mobilePhone: "+1 4255550149" }],
    ]);
  });

  it("reads a value behind the formula guard validate --output csv writes ('+1 …) as the value", async () => {
    const csv = ["employeeId,mobilePhone", "E1,'+1 425 555 0147", "E2,+1 425 555 0147"].join("\n");
    const { rows } = await validated("guarded.csv", Buffer.from(csv));
    expect(rows).toEqual([
      [2, true, { mobilePhone: "+1 4255550147" }],
      [3, true, { mobilePhone: "+1 4255550147" }],
    ]);
  });
});
