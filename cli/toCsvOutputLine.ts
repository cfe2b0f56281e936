import type { ValidatedRecord } from "../shared/contact/validateStream.js";
import { toCsvCell } from "../shared/core/csvCell.js";
import type { RuleIssue } from "../shared/core/result.js";

/** Columns of `validate --output csv`: one row per record, for a spreadsheet. */
export const csvOutputHeader = "line,eventId,ok,mobilePhone,officePhone,alternateEmail,errors,warnings\n";

/**
 * Renders one validated record as a line of the result CSV. The errors and warnings cells hold one
 * `code (field): message` per line; a cell a spreadsheet would run as a formula is neutralized (toCsvCell).
 */
export function toCsvOutputLine(record: ValidatedRecord): string {
  const { result } = record;
  const contact = result.ok ? result.value.contact : {};
  const cells = [
    String(record.line),
    record.eventId ?? "",
    String(result.ok),
    contact.mobilePhone ?? "",
    contact.officePhone ?? "",
    contact.alternateEmail ?? "",
    result.ok ? "" : describe(result.issues),
    describe(result.warnings),
  ];
  return `${cells.map(toCsvCell).join(",")}\n`;
}

function describe(issues: readonly RuleIssue[]): string {
  return issues.map((issue) => `${issue.code} (${issue.field}): ${issue.message}`).join("\n");
}
