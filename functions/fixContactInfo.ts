import { appServices, helpdeskDeps } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { admins } from "../shared/http/callerAccess.js";
import { dependencyProblem } from "../shared/http/dependencyProblem.js";
import { fixIdempotency } from "../shared/http/idempotency.js";
import { parseJson } from "../shared/http/parseJson.js";
import { problem } from "../shared/http/problem.js";
import { readBody } from "../shared/http/readBody.js";
import { withCaller } from "../shared/http/withCaller.js";
import { fixContact } from "../shared/sync/fixContact.js";

// A fix names three fields and a few options; anything near this size is not a fix.
const maxBodyBytes = 16 * 1024;

/**
 * Helpdesk/admin fix: the queue path's rules and planner, run now for one user, audited with the caller's
 * name and object id. The body's target and mode may narrow the deployment's CONTACT_TARGET/CONTACT_MODE, never
 * widen them; a phone or email method the user registered is never replaced (409 registered_method_kept).
 */
export const fixContactInfo = withCaller(
  () => admins(appServices().settings),
  async (request, context, caller) => {
    const body = await readBody(request, { maxBytes: maxBodyBytes, contentTypes: ["application/json"] });
    if (!body.ok) return body.response;
    const json = parseJson(body.raw);
    if (!json.ok) return json.response;
    // The key is scoped to the caller and this operation, and the request is fingerprinted with it. The caller
    // is also told apart by the id App Service sets (withCaller only runs behind Easy Auth, which strips a
    // client-sent one), since two people may share a display name.
    const principalId = request.headers.get("x-ms-client-principal-id");
    const idempotency = fixIdempotency(
      principalId ? `${caller.name} (${principalId})` : caller.name,
      "PATCH users/{user}/contact-info",
      request.params.user ?? "",
      request.headers.get("idempotency-key"),
      body.raw,
    );
    if (!idempotency.ok) return problem(400, idempotency.code, idempotency.message);
    try {
      const result = await fixContact(
        helpdeskDeps(appServices()),
        {
          userKey: request.params.user ?? "",
          body: json.value,
          actor: caller.name,
          actorObjectId: caller.objectId,
          eventId: idempotency.eventId,
          ...(idempotency.requestHash ? { requestHash: idempotency.requestHash } : {}),
        },
        caller,
      );
      if (result.kind === "idempotencyConflict") {
        return problem(
          409,
          "idempotency_key_reused",
          "This Idempotency-Key was already used for a different request (another user or body); use a new key for a new fix.",
        );
      }
      if (result.kind === "invalid") {
        return problem(400, "invalid_contact", "The request has fields SSPR cannot use.", result.issues);
      }
      if (result.kind === "refused") {
        const { code, field, message, hint } = result.refusal;
        context.warn(`contact-info fix refused (${code}) for ${caller.name}`);
        return problem(403, code, message, [{ field, code, message, hint }]);
      }
      if (result.kind === "registeredMethodKept") {
        context.warn(`contact-info fix refused (registered_method_kept) for ${caller.name}`);
        return problem(
          409,
          "registered_method_kept",
          "The user has already registered an authentication method this request would replace; nothing was written.",
          result.issues,
        );
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
