/** A field-level problem found in input: what a caller shows a human and a machine can act on. */
export interface RuleIssue {
  /** The input field the issue is about, e.g. `contact.mobilePhone` or `user`. */
  field: string;
  /** Stable machine code, e.g. `phone_too_short`. */
  code: string;
  /** Human message; personal data inside it is always masked. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** Validation outcome as a value: either the value (with any warnings) or the issues that stop it. */
export type Result<T> =
  | { ok: true; value: T; warnings: RuleIssue[] }
  | { ok: false; issues: RuleIssue[]; warnings: RuleIssue[] };

/** Builds a successful result. */
export function ok<T>(value: T, warnings: RuleIssue[] = []): Result<T> {
  return { ok: true, value, warnings };
}

/** Builds a failed result. */
export function fail<T = never>(issues: RuleIssue[], warnings: RuleIssue[] = []): Result<T> {
  return { ok: false, issues, warnings };
}
