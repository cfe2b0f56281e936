// What HR forms put in a field that has no value. Shared by the phone and email rules, so "n/a" means the
// same thing in every column.
const placeholders = new Set([
  "n/a",
  "na",
  "n.a.",
  "none",
  "-",
  "--",
  "---",
  "unknown",
  "tbd",
  "tba",
  "null",
  "nil",
  "?",
  "x",
  "no",
  "no email",
  "noemail",
]);
const longest = Math.max(...[...placeholders].map((p) => p.length));

/** True when a trimmed field value is a stand-in for "no value" rather than data. */
export function isPlaceholder(text: string): boolean {
  // The length check keeps huge cells from being lower-cased just to be compared.
  return text.length <= longest && placeholders.has(text.toLowerCase());
}
