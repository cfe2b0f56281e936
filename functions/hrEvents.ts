import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { dependencyProblem, problem } from "../shared/http/httpResponses.js";
import { readSignedJson } from "../shared/http/readSignedJson.js";
import {
  acceptEvents,
  describeIntakeFailure,
  maxEventsPerRequest,
  summarizeAcceptance,
} from "../shared/intake/acceptEvents.js";
import { fromHrEvents } from "../shared/intake/fromHrEvents.js";
import { tryStandardWebhookKeys, verifyStandardWebhook } from "../shared/intake/standardWebhook.js";

/** Standard Webhooks (v1) intake: one ContactEvent or an array, signed with HR_WEBHOOK_SECRETS, queued for sync. */
export async function hrEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const services = appServices();
  const keys = tryStandardWebhookKeys(services.settings.HR_WEBHOOK_SECRETS);
  if (!keys) {
    context.warn("hr/events: HR_WEBHOOK_SECRETS is missing or not whsec_<base64>; refusing every delivery");
    return problem(503, "endpoint_not_configured", "This endpoint is not configured yet.");
  }
  const signed = await readSignedJson(request, context, "hr/events", (raw) =>
    verifyStandardWebhook(raw, request.headers, keys),
  );
  if (!signed.ok) return signed.response;
  const { verdict } = signed;
  const records = fromHrEvents(signed.value, verdict.id);
  if (!records.ok) {
    return problem(
      400,
      "invalid_body",
      "The body is not a ContactEvent or an array of them.",
      records.issues,
    );
  }
  if (records.value.length > maxEventsPerRequest) {
    return problem(413, "too_many_events", `Send at most ${maxEventsPerRequest} events per delivery.`);
  }
  try {
    const report = await acceptEvents(
      records.value,
      { queue: services.queue, receipts: services.webhookReceipts, rules: services.rules },
      // The key that verified the signature is the sender; the body's `source` and any `actor` in it are not.
      { sender: { endpoint: "hr/events", keyId: verdict.keyId } },
    );
    context.log(`hr/events ${verdict.id}: ${summarizeAcceptance(report)}`);
    return { status: 202, jsonBody: report };
  } catch (err) {
    context.warn(
      `hr/events ${verdict.id}: not taken in, sender must redeliver: ${describeIntakeFailure(err)}`,
    );
    return dependencyProblem(err);
  }
}

register.http("hrEvents", {
  route: "hr/events",
  methods: ["POST"],
  authLevel: "function",
  handler: hrEvents,
});
