import type { ValidatedRecord } from "../shared/contact/validateStream.js";
import type { RuleIssue } from "../shared/core/result.js";

/** Renders one validated record as the `validate` command's JSON line (with the trailing newline). */
export function toOutputLine(record: ValidatedRecord): string {
  const { result } = record;
  // Assembled by hand around JSON.stringify of the parts: this runs once per record of a 500k-row file, and
  // the common case (valid, no issues) then needs no intermediate objects or arrays.
  const contact = result.ok ? stringsJson(result.value.contact) : "{}";
  const phoneTypes =
    result.ok && (result.value.phoneTypes.mobilePhone ?? result.value.phoneTypes.officePhone) !== undefined
      ? `,"phoneTypes":${stringsJson(result.value.phoneTypes)}`
      : "";
  const errors = result.ok ? "[]" : issuesJson(result.issues);
  return `{"line":${record.line},"eventId":${JSON.stringify(record.eventId)},"ok":${result.ok},"contact":${contact}${phoneTypes},"errors":${errors},"warnings":${issuesJson(result.warnings)}}\n`;
}

// A fixed key order and an always-present hint keep the lines easy to diff and to read with jq.
function issuesJson(issues: readonly RuleIssue[]): string {
  if (issues.length === 0) return "[]";
  return JSON.stringify(
    issues.map((issue) => ({
      field: issue.field,
      code: issue.code,
      message: issue.message,
      hint: issue.hint ?? "",
    })),
  );
}

// Stringifying each short string is several times cheaper than JSON.stringify walking the object.
function stringsJson(values: {
  mobilePhone?: string;
  officePhone?: string;
  alternateEmail?: string;
}): string {
  let json = "";
  if (values.mobilePhone !== undefined) json += `,"mobilePhone":${JSON.stringify(values.mobilePhone)}`;
  if (values.officePhone !== undefined) json += `,"officePhone":${JSON.stringify(values.officePhone)}`;
  if (values.alternateEmail !== undefined)
    json += `,"alternateEmail":${JSON.stringify(values.alternateEmail)}`;
  return `{${json.slice(1)}}`;
}
