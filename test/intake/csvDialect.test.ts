import { describe, expect, it } from "vitest";
import { csvDelimiterOf, isSeparatorHint } from "../../shared/intake/csvDelimiterOf.js";
import { toCsvLayout } from "../../shared/intake/fromCsvRow.js";
import { textEncodingOf } from "../../shared/intake/textEncodingOf.js";

const header = "Employee #,Mobile Phone,Home Email\r\n";
const utf16be = (text: string) => Buffer.from(text, "utf16le").swap16();

describe("textEncodingOf", () => {
  it.each([
    [
      "UTF-8 with a BOM (Excel's CSV UTF-8)",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(header)]),
      "utf-8",
      true,
    ],
    ["UTF-8 without a BOM", Buffer.from("employeeId,country\nE1,España\n"), "utf-8", false],
    [
      "UTF-16LE with a BOM (Excel's Unicode text)",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header, "utf16le")]),
      "utf-16le",
      true,
    ],
    ["UTF-16LE without a BOM", Buffer.from(header, "utf16le"), "utf-16le", false],
    ["UTF-16BE with a BOM", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(header)]), "utf-16be", true],
    ["UTF-16BE without a BOM", utf16be(header), "utf-16be", false],
    [
      "Windows-1252 (Excel's plain CSV on a European Windows)",
      Buffer.from("employeeId;country\r\nE1;España\r\n", "latin1"),
      "windows-1252",
      false,
    ],
    ["nothing at all", Buffer.alloc(0), "utf-8", false],
  ])("recognizes %s", (_, bytes, name, bom) => {
    expect(textEncodingOf(bytes)).toEqual({ name, bom });
  });

  it("reads a UTF-8 file whose sample ends in the middle of a character as UTF-8", () => {
    const text = Buffer.from(`employeeId,country\n${"E1,España\n".repeat(500)}`);
    expect(textEncodingOf(text.subarray(0, 4095)).name).toBe("utf-8");
  });
});

describe("csvDelimiterOf", () => {
  it.each([
    ["Employee #,Mobile Phone,Home Email", ","],
    ["Employee #;Mobile Phone;Home Email", ";"],
    ["Employee #\tMobile Phone\tHome Email", "\t"],
    ["Employee #|Mobile Phone|Home Email", "|"],
    // A name with a comma in a semicolon file: the split that finds the known columns wins.
    ["Employee #;Name, first;Mobile Phone", ";"],
    ['"Employee #";"Mobile Phone"', ";"],
    ["sep=;", ";"],
    ["SEP=\t", "\t"],
    ["no known column here", ","],
  ] as const)("reads %j as separated by %j", (line, delimiter) => {
    expect(csvDelimiterOf(line)).toBe(delimiter);
  });

  it("tells Excel's sep= line from a header", () => {
    expect(isSeparatorHint(["sep=", ""])).toBe(true);
    expect(isSeparatorHint(["employeeId", "mobilePhone"])).toBe(false);
  });
});

describe("toCsvLayout and the user's identity", () => {
  it("refuses, once for the whole file, a header without a column that names the user", () => {
    const result = toCsvLayout(["Name", "Mobile Phone", "Home Email"]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([
      expect.objectContaining({
        field: "header",
        code: "csv_no_identifier_column",
        message:
          "The CSV header has no column that says which user a row is about (it has Mobile Phone, Home Email).",
      }),
    ]);
  });

  it("never echoes a header cell that is not a known column: it may be a data row", () => {
    const result = toCsvLayout(["Avery Lee", "+1 425 555 0147", "mobilePhone"]);
    expect(!result.ok && result.issues[0]?.message).not.toContain("Avery");
    expect(!result.ok && result.issues[0]?.message).not.toContain("555");
  });

  it.each([["userPrincipalName"], ["Employee #"], ["objectId"], ["UPN"]])(
    "accepts %s as the user's column",
    (name) => {
      expect(toCsvLayout([name, "Mobile Phone"]).ok).toBe(true);
    },
  );
});
