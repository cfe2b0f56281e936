import type { ValidatedRecord } from "../shared/contact/validateStream.js";
import type { RuleIssue } from "../shared/core/result.js";

/** Renders one validated record as the `validate` command's JSON line (with the trailing newline). */
export function toOutputLine(record: ValidatedRecord): string {
  const { result } = record;
  // Assembled by hand: this runs once per record of a 500k-row file, and the common case (valid, no issues)
  // then needs no intermediate objects, arrays or JSON.stringify calls (see jsonString).
  const head = `{"line":${record.line},"eventId":${record.eventId === null ? "null" : jsonString(record.eventId)}`;
  if (!result.ok) {
    return `${head},"ok":false,"contact":{},"errors":${issuesJson(result.issues)},"warnings":${issuesJson(result.warnings)}}\n`;
  }
  // A valid record's contact values and phone types go out without the escape scan: the rules only accept
  // `+{cc} {digits}` and dot-atom ASCII addresses, and the types are libphonenumber's upper-case names, none of
  // which JSON escapes (see NormalizedContact; test/contact/contactRules.property.test.ts holds the rules to it).
  // Scanning them flattened each freshly concatenated value: a tenth of what validate adds to phone parsing.
  // Each value is appended after one constant that closes the value before it and opens its own: two string
  // concatenations per value, where a template per field and per object took five.
  const { contact, phoneTypes } = result.value;
  let line = head;
  let open = false;
  if (contact.mobilePhone !== undefined) {
    line += ',"ok":true,"contact":{"mobilePhone":"';
    line += contact.mobilePhone;
    open = true;
  }
  if (contact.officePhone !== undefined) {
    line += open ? '","officePhone":"' : ',"ok":true,"contact":{"officePhone":"';
    line += contact.officePhone;
    open = true;
  }
  if (contact.alternateEmail !== undefined) {
    line += open ? '","alternateEmail":"' : ',"ok":true,"contact":{"alternateEmail":"';
    line += contact.alternateEmail;
    open = true;
  }
  line += open ? '"}' : ',"ok":true,"contact":{}';
  if (phoneTypes.mobilePhone !== undefined) {
    line += ',"phoneTypes":{"mobilePhone":"';
    line += phoneTypes.mobilePhone;
    if (phoneTypes.officePhone !== undefined) {
      line += '","officePhone":"';
      line += phoneTypes.officePhone;
    }
    line += '"}';
  } else if (phoneTypes.officePhone !== undefined) {
    line += ',"phoneTypes":{"officePhone":"';
    line += phoneTypes.officePhone;
    line += '"}';
  }
  if (result.warnings.length === 0) return `${line},"errors":[],"warnings":[]}\n`;
  return `${line},"errors":[],"warnings":${issuesJson(result.warnings)}}\n`;
}

// A fixed key order and an always-present hint keep the lines easy to diff and to read with jq.
function issuesJson(issues: readonly RuleIssue[]): string {
  if (issues.length === 0) return "[]";
  // Joined with a separator rather than cut with slice(1): slicing a concatenated string flattens it first.
  let json = "[";
  for (let i = 0; i < issues.length; i++) {
    const issue = issues[i] as RuleIssue;
    json += `${i === 0 ? "" : ","}{"field":${jsonString(issue.field)},"code":${jsonString(issue.code)},"message":${jsonString(issue.message)},"hint":${jsonString(issue.hint ?? "")}}`;
  }
  return `${json}]`;
}

// JSON.stringify escapes a quote, a backslash, characters below U+0020 and surrogates (lone ones, as \udxxx). A
// string without any of them is its own JSON text between quotes, which is 3x cheaper than stringifying it.
function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) {
      return JSON.stringify(text);
    }
  }
  return `"${text}"`;
}
