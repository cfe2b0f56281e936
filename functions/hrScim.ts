import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices, intakeDeps } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { webhookBodyBytes } from "../shared/http/bodyLimits.js";
import { deliverEvents } from "../shared/http/deliverEvents.js";
import { hasBearerToken } from "../shared/http/hasBearerToken.js";
import { limitProblem } from "../shared/http/limitProblem.js";
import { parseJson } from "../shared/http/parseJson.js";
import { readBody } from "../shared/http/readBody.js";
import {
  problemAsScimError,
  scimError,
  scimPayloadError,
  toScimResponse,
} from "../shared/http/scimResponses.js";
import { fromScim } from "../shared/intake/fromScim.js";

/** SCIM 2.0 intake (a User or a BulkRequest, as sent to Entra inbound provisioning), bearer SCIM_TOKEN, queued. */
export async function hrScim(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const services = appServices();
  const token = services.settings.SCIM_TOKEN;
  if (!token) {
    context.warn("hr/scim: SCIM_TOKEN is not set; refusing every request");
    return scimError(503, "endpoint_not_configured: this endpoint is not configured yet.");
  }
  // The token needs no body, so an unauthenticated caller's body is never read.
  if (!hasBearerToken(request.headers.get("authorization"), token)) {
    context.warn("hr/scim: request refused (bearer token missing or wrong)");
    return scimError(401, undefined, { headers: { "WWW-Authenticate": 'Bearer realm="scim"' } });
  }
  const body = await readBody(request, {
    maxBytes: webhookBodyBytes,
    contentTypes: ["application/scim+json", "application/json"],
  });
  if (!body.ok) return problemAsScimError(body.response);
  // Too deep (body_too_deep) or not JSON at all: both are a SCIM invalidSyntax.
  const json = parseJson(body.raw);
  if (!json.ok) return problemAsScimError(json.response, { scimType: "invalidSyntax" });
  const payload = fromScim(json.value, { receivedAt: new Date() });
  if (!payload.ok) return scimPayloadError(payload.issues);
  const scim = payload.value;
  return deliverEvents(
    {
      label: "hr/scim",
      records: scim.operations.map((operation) => operation.record),
      options: {
        sender: { endpoint: "hr/scim" },
        ...(scim.failOnErrors === undefined ? {} : { stopAfterRejections: scim.failOnErrors }),
      },
      onUnavailable: "the sender must retry",
      answers: {
        tooMany: (max) => scimError(413, `The BulkRequest has more than ${max} operations.`),
        limited: (refusal, words) => problemAsScimError(limitProblem(refusal, words)),
        accepted: (report) => toScimResponse(scim, report),
        unavailable: () =>
          scimError(503, "Storage is unavailable; retry shortly.", { headers: { "Retry-After": "5" } }),
      },
    },
    intakeDeps(services),
    context,
  );
}

register.http("hrScim", {
  route: "hr/scim",
  methods: ["POST"],
  authLevel: "function",
  handler: hrScim,
});
