import type { Caller } from "./callerAccess.js";
import { dependencyProblem } from "./dependencyProblem.js";
import { limitProblem } from "./limitProblem.js";
import type { Allowance, WindowLimiter } from "./windowLimiter.js";
import type { CallerHandler } from "./withCaller.js";

/**
 * Whose allowance a read is taken from: the caller's Entra object id, which no rename changes. A principal without
 * one (Entra always writes it; a principal lacking it is odd) is not let off: every such caller shares one
 * allowance, so changing names never buys more reads.
 */
export function readSubjectOf(caller: Caller): string {
  return caller.objectId ?? "unidentified";
}

/**
 * Counts each helpdesk read against the caller before it runs (HELPDESK_READS_PER_MINUTE, shared by every
 * instance): past the limit the read is refused with 429 and `Retry-After`, so enumerating users or outcomes takes
 * hours instead of seconds. Every read counts, a 404 too: finding out who does not exist is enumeration as well.
 * When the counter cannot be reached the read is refused (503), never let through uncounted.
 */
export function withReadLimit(limiter: () => WindowLimiter, handler: CallerHandler): CallerHandler {
  return async (request, context, caller) => {
    let allowance: Allowance;
    let perWindow = 0;
    try {
      const readLimiter = limiter();
      perWindow = readLimiter.limit.perWindow;
      allowance = await readLimiter.take(readSubjectOf(caller));
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message.split("\n")[0]}` : String(err);
      context.warn(`${context.functionName}: read refused, its count could not be kept (${why})`);
      return dependencyProblem(err);
    }
    if (allowance.ok) return handler(request, context, caller);
    context.warn(
      `${context.functionName}: read refused for ${caller.name}, read limit ${allowance.why} (${allowance.used}/${perWindow} until ${allowance.resetsAt.toISOString()})`,
    );
    return limitProblem(allowance, readLimitWords(allowance, perWindow));
  };
}

function readLimitWords(refusal: Extract<Allowance, { ok: false }>, perWindow: number) {
  const hint =
    "Reads are counted per signed-in account across every instance of the app. A person answering calls stays far below the limit; if your helpdesk really needs more, an admin raises HELPDESK_READS_PER_MINUTE.";
  if (refusal.why === "busy") {
    return {
      field: "caller",
      code: "read_limit_busy",
      message: "Too many reads by this caller arrived at the same moment to count them all; retry in 1 s.",
      hint,
    };
  }
  return {
    field: "caller",
    code: "read_limit_reached",
    message: `This caller has made ${perWindow} helpdesk reads this minute, the most HELPDESK_READS_PER_MINUTE allows; retry in ${refusal.retryAfterSeconds} s (at ${refusal.resetsAt.toISOString()}).`,
    hint,
  };
}
