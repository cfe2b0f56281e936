import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices, intakeDeps } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { deliverEvents, notConfigured } from "../shared/http/deliverEvents.js";
import { problem } from "../shared/http/problem.js";
import { readSignedJson } from "../shared/http/readSignedJson.js";
import { fromHrEvents } from "../shared/intake/fromHrEvents.js";
import { tryStandardWebhookKeys, verifyStandardWebhook } from "../shared/intake/standardWebhook.js";

/** Standard Webhooks (v1) intake: one ContactEvent or an array, signed with HR_WEBHOOK_SECRETS, queued for sync. */
export async function hrEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const services = appServices();
  const keys = tryStandardWebhookKeys(services.settings.HR_WEBHOOK_SECRETS);
  if (!keys) {
    return notConfigured(
      context,
      "hr/events: HR_WEBHOOK_SECRETS is missing or not whsec_<base64>; refusing every delivery",
    );
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
  return deliverEvents(
    {
      label: `hr/events ${verdict.id}`,
      records: records.value,
      // The key that verified the signature is the sender; the body's `source` and any `actor` in it are not.
      options: { sender: { endpoint: "hr/events", keyId: verdict.keyId } },
      onUnavailable: "sender must redeliver",
    },
    intakeDeps(services),
    context,
  );
}

register.http("hrEvents", {
  route: "hr/events",
  methods: ["POST"],
  authLevel: "function",
  handler: hrEvents,
});
