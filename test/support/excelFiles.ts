/** How Excel (and HR tools imitating it) save a sheet as text: the encoding, with or without a BOM. */
export type ExcelEncoding =
  | "utf-8"
  | "utf-8-bom"
  | "utf-16le"
  | "utf-16le-bom"
  | "utf-16be-bom"
  | "windows-1252";

/**
 * The bytes of a sheet saved as Excel saves it: cells separated by `delimiter`, a cell quoted only when it holds
 * the separator, a quote or a line break (quotes doubled), CRLF after every row including the last, and the
 * encoding's BOM where Excel writes one ("CSV UTF-8" and "Unicode text" do, plain "CSV" does not).
 */
export function excelFile(
  rows: readonly (readonly string[])[],
  options: { delimiter: string; encoding: ExcelEncoding; lineEnd?: string; firstLine?: string },
): Buffer {
  const lineEnd = options.lineEnd ?? "\r\n";
  const quote = (cell: string) =>
    cell.includes(options.delimiter) || /["\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
  const text =
    (options.firstLine !== undefined ? `${options.firstLine}${lineEnd}` : "") +
    rows.map((row) => `${row.map(quote).join(options.delimiter)}${lineEnd}`).join("");
  switch (options.encoding) {
    case "utf-8":
      return Buffer.from(text, "utf8");
    case "utf-8-bom":
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);
    case "utf-16le":
      return Buffer.from(text, "utf16le");
    case "utf-16le-bom":
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    case "utf-16be-bom":
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]);
    case "windows-1252":
      // Latin-1 and Windows-1252 agree on every character these sheets use (accents, umlauts).
      return Buffer.from(text, "latin1");
  }
}

/** An HR sheet with what real ones hold: accents, a comma, quotes and a line break inside cells, a blank row. */
export const hrSheet: readonly (readonly string[])[] = [
  ["Employee #", "Name", "Mobile Phone", "Work Phone", "Home Email", "Country"],
  ["E40412", "Müller, Jörg", "0151 23456789", "030/1234567", "joerg@example.com", "Deutschland"],
  ["E40413", 'Sofía "Sofi" Ruiz', "612 34 56 78", "", "sofia@example.org", "España"],
  ["E40414", "Tanaka\nHiro", "Mobile: +1 (425) 555-0147", "", "", "United States"],
  ["", "", "", "", "", ""],
  ["E40415", "Gruber; Eva", "0664 1234567", "", "eva@example.net", "Österreich"],
];
