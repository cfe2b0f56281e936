import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { hasBearerToken } from "../shared/http/hasBearerToken.js";
import { parseJson, readBody } from "../shared/http/httpResponses.js";
import { scimError, toScimResponse } from "../shared/http/scimResponses.js";
import {
  acceptEvents,
  describeIntakeFailure,
  maxEventsPerRequest,
  summarizeAcceptance,
} from "../shared/intake/acceptEvents.js";
import { fromScim } from "../shared/intake/fromScim.js";

const maxBodyBytes = 1024 * 1024;

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
    maxBytes: maxBodyBytes,
    contentTypes: ["application/scim+json", "application/json"],
  });
  if (!body.ok) return scimError(body.response.status ?? 400, messageOf(body.response));
  // Too deep (body_too_deep) or not JSON at all: both are a SCIM invalidSyntax.
  const json = parseJson(body.raw);
  if (!json.ok) return scimError(400, messageOf(json.response), { scimType: "invalidSyntax" });
  const payload = fromScim(json.value, { receivedAt: new Date() });
  if (!payload.ok) {
    return scimError(400, payload.issues.map((issue) => issue.message).join(" "), {
      scimType: "invalidSyntax",
    });
  }
  if (payload.value.operations.length > maxEventsPerRequest) {
    return scimError(413, `The BulkRequest has more than ${maxEventsPerRequest} operations.`);
  }
  try {
    const report = await acceptEvents(
      payload.value.operations.map((operation) => operation.record),
      {
        queue: services.queue,
        receipts: services.webhookReceipts,
        rules: services.rules,
      },
      {
        sender: { endpoint: "hr/scim" },
        ...(payload.value.failOnErrors === undefined
          ? {}
          : { stopAfterRejections: payload.value.failOnErrors }),
      },
    );
    context.log(`hr/scim: ${summarizeAcceptance(report)}`);
    return toScimResponse(payload.value, report);
  } catch (err) {
    context.warn(`hr/scim: not taken in, the sender must retry: ${describeIntakeFailure(err)}`);
    return scimError(503, "Storage is unavailable; retry shortly.", { headers: { "Retry-After": "5" } });
  }
}

/** A `problem()` answer (400, 413, 415) re-told as a SCIM error detail: its message and `[code]`, as for issues. */
function messageOf(response: HttpResponseInit): string | undefined {
  const error = (response.jsonBody as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (error?.message === undefined) return undefined;
  return error.code === undefined ? error.message : `${error.message} [${error.code}]`;
}

register.http("hrScim", {
  route: "hr/scim",
  methods: ["POST"],
  authLevel: "function",
  handler: hrScim,
});
