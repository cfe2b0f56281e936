import { maskedFirstLine } from "../contact/mask.js";

// JavaScript's own errors say what went wrong inside the code ("Cannot read properties of undefined"), which tells
// an admin nothing they can fix: those are named by kind only.
const internalErrors: ReadonlySet<string> = new Set([
  "TypeError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "EvalError",
  "URIError",
]);

/**
 * An error as one line of plain text for a finding: the first line of the message of an error meant for people
 * (a credential's, a ConfigError naming a setting), or `unexpected error (TypeError)` for JavaScript's own.
 * Never a stack.
 */
export function plainErrorText(error: unknown): string {
  if (!(error instanceof Error)) return `unexpected error (${typeof error} thrown)`;
  if (internalErrors.has(error.name) || error.message.trim() === "")
    return `unexpected error (${error.name})`;
  // Credential errors can be long (every source DefaultAzureCredential tried) and may name the account: the first
  // line says enough, its addresses masked.
  return maskedFirstLine(error.message, 300);
}
