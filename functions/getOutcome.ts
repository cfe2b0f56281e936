import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { authorizeCaller, readerRoles } from "../shared/http/callerAccess.js";
import { dependencyProblem, problem } from "../shared/http/httpResponses.js";

/** The recorded outcome of one event, by its eventId. */
export async function getOutcome(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { settings, outcomes } = appServices();
  const access = authorizeCaller(request.headers, readerRoles(settings));
  if (!access.ok) return problem(access.status, access.code, access.message);
  try {
    const outcome = await outcomes.get(request.params.eventId ?? "");
    if (!outcome) return problem(404, "outcome_not_found", "No outcome is recorded for that eventId (yet).");
    return { status: 200, jsonBody: outcome };
  } catch (err) {
    context.warn(`outcome read failed: ${err instanceof Error ? err.message : String(err)}`);
    return dependencyProblem(err);
  }
}

register.http("getOutcome", {
  route: "outcomes/{eventId}",
  methods: ["GET"],
  authLevel: "function",
  handler: getOutcome,
});
