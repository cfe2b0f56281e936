import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { type AccessPolicy, authorizeCaller, type Caller } from "./callerAccess.js";
import { problem } from "./problem.js";

/** An HTTP handler that runs only for a caller the platform vouches for, and is told who it is. */
export type CallerHandler = (
  request: HttpRequest,
  context: InvocationContext,
  caller: Caller,
) => Promise<HttpResponseInit>;

/**
 * The edge work every helpdesk route shares: authorize the caller against `policy` (read at each call, so a
 * settings change is seen), answer 401/403 with what to do, and only then run `handler`. Nothing of the
 * request is read before the caller is known.
 */
export function withCaller(
  policy: () => AccessPolicy,
  handler: CallerHandler,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const access = authorizeCaller(request.headers, policy());
    if (!access.ok) {
      const { status, code, message, hint } = access.refusal;
      context.warn(`${context.functionName}: caller refused (${code})`);
      return {
        ...problem(status, code, message, [{ field: "caller", code, message, hint }]),
        // RFC 9110: a 401 names the scheme that would succeed; Easy Auth takes Entra bearer tokens.
        ...(status === 401 ? { headers: { "WWW-Authenticate": "Bearer" } } : {}),
      };
    }
    return handler(request, context, access.caller);
  };
}
