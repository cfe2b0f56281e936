import type { HttpResponseInit } from "@azure/functions";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { problem } from "./problem.js";

/**
 * Maps a failure talking to Graph or storage to an answer that says whose problem it is: 503 with
 * Retry-After for throttling and outages (the caller may retry), 502 when Graph refused the app itself.
 * Never a bare 500: the helpdesk needs to know whether to retry or call an admin. The code is the failure's own
 * machine code (`directoryFailureOf`), the same an outcome row records for it.
 */
export function dependencyProblem(err: unknown): HttpResponseInit {
  const failure = directoryFailureOf(err);
  // Not a directory failure (storage, a bug): no more is known than that a backing service failed.
  if (failure.kind === "unknown") {
    return {
      ...problem(
        503,
        "dependency_unavailable",
        "A backing service (storage or Graph) failed; retry shortly.",
      ),
      headers: { "Retry-After": "5" },
    };
  }
  const ids = [
    failure.requestId ? `request-id ${failure.requestId}` : undefined,
    failure.clientRequestId ? `client-request-id ${failure.clientRequestId}` : undefined,
  ].filter((id) => id !== undefined);
  const requestId = ids.length > 0 ? ` (Graph ${ids.join(", ")})` : "";
  switch (failure.category) {
    case "retryLater": {
      const retryAfter = Math.max(1, Math.ceil((failure.retryAfterMs ?? 5000) / 1000));
      return {
        ...problem(
          503,
          failure.code,
          `Microsoft Graph is busy or unavailable; retry in ${retryAfter} s${requestId}.`,
        ),
        headers: { "Retry-After": String(retryAfter) },
      };
    }
    case "credentials":
      return problem(
        502,
        failure.code,
        `Microsoft Graph refused this app's credentials or permissions${requestId}; an admin must check its Graph app roles.`,
      );
    case "ambiguous":
      return problem(409, failure.code, `${failure.reason}${requestId}.`);
    case "missingPermission":
      return problem(502, failure.code, `${failure.reason}${requestId}.`);
    default:
      return problem(
        502,
        failure.code,
        `Microsoft Graph rejected the request: ${failure.reason}${requestId}.`,
      );
  }
}
