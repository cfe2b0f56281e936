/*
 * One CSV cell, safe to open in a spreadsheet whatever separator it splits the line with.
 *
 * A spreadsheet runs a field as a formula when it starts with `=`, `+`, `-` or `@` (OWASP, "CSV Injection"). Which
 * text is a field depends on the reader: Excel splits a `.csv` on the list separator of the machine's region (`;` in
 * most of Europe), and ignores our quotes where they don't open its field. So a department `Sales;=WEBSERVICE(…)`
 * is harmless under `,` but its second half is a live formula under `;`. Guarding only the cell's first character
 * (what both copies of this function did) misses that; guarding every piece a reader could split off does not.
 */

// Where a reader may start a new field or row: the separators spreadsheets and HR tools use (comma, semicolon,
// tab, pipe: csvDelimiterOf's list) and line breaks, which a reader that doesn't honour our quotes splits rows on.
const separators = /([,;\t|\r\n])/;
/**
 * A piece that starts like a formula: after any apostrophes (so a value that already starts with the guard is
 * guarded again and reads back as itself), spaces and quotes a reader may drop, one of `= + - @` or their
 * full-width forms, which some spreadsheets also take for the operator.
 */
const formulaStart = /^'*[\s"]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/;
// Quotes for the file's own separator (the comma) and line breaks; quoting for the others would not help: a reader
// splitting on `;` does not honour quotes that open a `,` field, which is why every piece is guarded instead.
const needsQuotes = /[",\r\n]/;

/**
 * The cell as CSV text: each piece a spreadsheet could split it into (at `,` `;` tab `|` or a line break) that
 * starts like a formula gets a leading `'`, which spreadsheets show as text and `fromCsvCell` takes off again;
 * the cell is quoted (RFC 4180) when it holds a quote, a comma or a line break. `+1 425 555 0147` becomes
 * `'+1 425 555 0147`; `Sales;=X(1)` becomes `Sales;'=X(1)`.
 */
export function toCsvCell(value: string): string {
  const guarded = value
    .split(separators)
    .map((piece, i) => (i % 2 === 0 && formulaStart.test(piece) ? `'${piece}` : piece))
    .join("");
  return needsQuotes.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/**
 * A cell as `toCsvCell` wrote it (or a tool following OWASP's advice, which guards the first character alone), its
 * quotes already read by the CSV parser: the `'` put before each piece that starts like a formula taken off. The
 * exact inverse of the guard: `fromCsvCell` of the unquoted `toCsvCell(v)` is `v` for every `v`.
 */
export function fromCsvCell(cell: string): string {
  return cell
    .split(separators)
    .map((piece, i) =>
      i % 2 === 0 && piece.startsWith("'") && formulaStart.test(piece.slice(1)) ? piece.slice(1) : piece,
    )
    .join("");
}
