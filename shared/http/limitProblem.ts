import type { HttpResponseInit } from "@azure/functions";
import { problem } from "./problem.js";
import type { Allowance } from "./windowLimiter.js";

/** How one refusal is worded for its caller: the machine code, what happened, what to do. */
export interface LimitWords {
  /** The detail's field: who was counted (`caller`, `sender`). */
  field: string;
  code: string;
  message: string;
  hint: string;
}

/**
 * The answer to a request a use limit refused: 429 with `Retry-After` (seconds until the window frees, RFC 9110),
 * or 413 when the request alone is more than a whole window allows (waiting would never help, so no Retry-After).
 * `waitStatus` replaces the 429 for a caller that never retries a 4xx (BambooHR: 503, which it retries).
 */
export function limitProblem(
  refusal: Extract<Allowance, { ok: false }>,
  words: LimitWords,
  waitStatus: 429 | 503 = 429,
): HttpResponseInit {
  const status = refusal.why === "overWholeLimit" ? 413 : waitStatus;
  const { field, code, message, hint } = words;
  const answer = problem(status, code, message, [{ field, code, message, hint }]);
  return status === 413
    ? answer
    : { ...answer, headers: { "Retry-After": String(refusal.retryAfterSeconds) } };
}
