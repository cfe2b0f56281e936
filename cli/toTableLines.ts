import type { ValidatedRecord } from "../shared/contact/validateStream.js";
import type { RuleIssue } from "../shared/core/result.js";

// Fixed widths, so the table streams (no pass over the file to measure) and stays readable on an 100-column
// terminal: the longest field is contact.alternateEmail, the longest code security_questions_not_settable.
const widths = { line: 6, result: 7, field: 22, code: 31 } as const;
// C0 and C1 controls (ESC starts terminal escape sequences) and the bidi controls that reorder what is shown.
const unprintable = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

/** The table's heading line (with the trailing newline). */
export const tableHeading = `${row("LINE", "RESULT", "FIELD", "CODE", "DETAIL")}\n`;

/**
 * Renders one validated record as table lines for a person at a terminal: one `valid` line with the
 * normalized values, or one `error` line per problem, then one `warning` line per warning. Every cell is made
 * printable first: a field name or event id from the input must not move the cursor or recolour the terminal.
 */
export function toTableLines(record: ValidatedRecord): string {
  const { result, line } = record;
  let out = "";
  if (result.ok) {
    const { mobilePhone, officePhone, alternateEmail } = result.value.contact;
    const values = [
      mobilePhone !== undefined ? `mobile ${mobilePhone}` : "",
      officePhone !== undefined ? `office ${officePhone}` : "",
      alternateEmail !== undefined ? `email ${alternateEmail}` : "",
    ].filter((value) => value.length > 0);
    out += `${row(String(line), "valid", "", "", values.join("  ") || "(no contact field)")}\n`;
  } else {
    out += issueLines(line, "error", result.issues);
  }
  return out + issueLines(line, "warning", result.warnings);
}

function issueLines(line: number, result: string, issues: readonly RuleIssue[]): string {
  let out = "";
  for (const issue of issues) out += `${row(String(line), result, issue.field, issue.code, issue.message)}\n`;
  return out;
}

function row(line: string, result: string, field: string, code: string, detail: string): string {
  return `${printable(line).padStart(widths.line)}  ${printable(result).padEnd(widths.result)}  ${printable(field).padEnd(widths.field)}  ${printable(code).padEnd(widths.code)}  ${printable(detail)}`.trimEnd();
}

function printable(text: string): string {
  return text.replace(unprintable, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
