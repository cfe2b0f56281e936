import { randomUUID } from "node:crypto";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { admins } from "../shared/http/callerAccess.js";
import { dependencyProblem, parseJson, problem, readBody } from "../shared/http/httpResponses.js";
import { withCaller } from "../shared/http/withCaller.js";
import { fixContact } from "../shared/sync/fixContact.js";

// A fix names three fields and a few options; anything near this size is not a fix.
const maxBodyBytes = 16 * 1024;

/**
 * Helpdesk/admin fix: the queue path's rules and planner, run now for one user, audited with the caller's
 * name. The body's target and mode may narrow the deployment's CONTACT_TARGET/CONTACT_MODE, never widen them.
 */
export const fixContactInfo = withCaller(
  () => admins(appServices().settings),
  async (request, context, caller) => {
    const services = appServices();
    const body = await readBody(request, { maxBytes: maxBodyBytes, contentTypes: ["application/json"] });
    if (!body.ok) return body.response;
    const json = parseJson(body.raw);
    if (!json.ok) return json.response;
    const idempotencyKey = request.headers.get("idempotency-key");
    try {
      const result = await fixContact(
        services,
        {
          userKey: request.params.user ?? "",
          body: json.value,
          actor: caller.name,
          eventId: `http-${idempotencyKey && idempotencyKey.length <= 100 ? idempotencyKey : randomUUID()}`,
        },
        caller,
      );
      if (result.kind === "invalid") {
        return problem(400, "invalid_contact", "The request has fields SSPR cannot use.", result.issues);
      }
      if (result.kind === "refused") {
        const { code, field, message, hint } = result.refusal;
        context.warn(`contact-info fix refused (${code}) for ${caller.name}`);
        return problem(403, code, message, [{ field, code, message, hint }]);
      }
      if (result.kind === "notFound")
        return problem(404, "user_not_found", "No user has that object id, UPN or employeeId.");
      context.log(`${result.outcome.eventId} ${result.outcome.status} by ${caller.name}`);
      return { status: 200, jsonBody: result.outcome };
    } catch (err) {
      context.warn(`contact-info fix failed: ${err instanceof Error ? err.message : String(err)}`);
      return dependencyProblem(err);
    }
  },
);

register.http("fixContactInfo", {
  route: "users/{user}/contact-info",
  methods: ["PATCH"],
  authLevel: "function",
  handler: fixContactInfo,
});
