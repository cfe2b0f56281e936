import { isKnownCsvColumn } from "./fromCsvRow.js";

/** The cell separators spreadsheets and HR systems write: comma, semicolon (Excel in most of Europe), tab, pipe. */
export type CsvDelimiter = "," | ";" | "\t" | "|";

const candidates: readonly CsvDelimiter[] = [",", ";", "\t", "|"];
const sepLine = /^\s*sep=(.)\s*$/i;

/**
 * Picks the separator of a CSV file from its first line: the one that splits it into the most known column
 * names (ties: into the most cells), so a header such as `Employee #;Mobile Phone` is read with `;` even when a
 * name holds a comma. Excel's `sep=;` first line, when present, decides.
 */
export function csvDelimiterOf(firstLine: string): CsvDelimiter {
  const declared = sepLine.exec(firstLine)?.[1];
  if (declared !== undefined) return candidates.find((candidate) => candidate === declared) ?? ",";
  let best: { delimiter: CsvDelimiter; known: number; cells: number } = {
    delimiter: ",",
    known: 0,
    cells: 0,
  };
  for (const delimiter of candidates) {
    const cells = splitHeader(firstLine, delimiter);
    const known = cells.filter(isKnownCsvColumn).length;
    if (known > best.known || (known === best.known && cells.length > best.cells)) {
      best = { delimiter, known, cells: cells.length };
    }
  }
  return best.delimiter;
}

/** Whether a first record is Excel's `sep=X` hint rather than the header (split at X, it is `sep=` and nothing). */
export function isSeparatorHint(cells: readonly string[]): boolean {
  return cells.length === 2 && /^\s*sep=$/i.test(cells[0] ?? "") && (cells[1] ?? "").trim() === "";
}

// Header names are rarely quoted, but a quoted name may hold the separator: split outside quotes only.
function splitHeader(line: string, delimiter: CsvDelimiter): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (char === delimiter && !quoted) {
      cells.push(cell);
      cell = "";
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}
