// core/: the small things every folder may use — errors, Result, isRecord; imports nothing.

/**
 * The product's small error hierarchy. Validation problems are values (see `Result`); these errors are for
 * the unexpected and for "retry me". Each sets `name` and passes `cause` so logs keep the chain.
 */
export class SsprError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting is missing or malformed; the message names the setting. */
export class ConfigError extends SsprError {}

/** Turns whatever was thrown into an Error, so callers can rely on `message` and `name`. */
export function ensureErrorType(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === "string" ? err : `Non-error thrown: ${JSON.stringify(err)}`);
}
