import type { BackfillRow } from "../shared/backfill/backfill.js";
import { toCsvCell } from "../shared/core/csvCell.js";
import type { FieldOutcome } from "../shared/sync/outcome.js";

/** Columns of the per-row result CSV; field columns hold `target:action` and the masked value(s). */
export const backfillCsvHeader =
  "line,eventId,user,status,mobilePhone,officePhone,alternateEmail,reasons,warnings,detail\n";

/** Renders one backfill row as a line of the result CSV. Only masked values ever reach it. */
export function toBackfillCsvLine(row: BackfillRow): string {
  const { outcome } = row;
  const byField = (field: FieldOutcome["field"]) =>
    outcome.fields
      .filter((f) => f.field === field)
      .map(describeField)
      .join(" | ");
  const cells = [
    String(row.line),
    outcome.eventId,
    outcome.userPrincipalName ?? outcome.employeeId ?? outcome.userId ?? "",
    outcome.status,
    byField("mobilePhone"),
    byField("officePhone"),
    byField("alternateEmail"),
    row.reasons.join(";"),
    // What was changed on the way in (an extension dropped, a label removed, a landline in the mobile field): the
    // audit trail of a value written differently from how HR wrote it.
    outcome.warnings.map((warning) => `${warning.field}:${warning.code}`).join(";"),
    outcome.message,
  ];
  return `${cells.map(toCsvCell).join(",")}\n`;
}

function describeField(field: FieldOutcome): string {
  const values =
    field.action === "replaced" || field.action === "reformatted"
      ? `${field.before ?? ""} -> ${field.after ?? ""}`
      : (field.after ?? field.before ?? "");
  return `${field.target}:${field.action}${values ? ` ${values}` : ""}`;
}
