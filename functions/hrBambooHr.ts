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
import { verifyBambooHrSignature } from "../shared/intake/bambooHrSignature.js";
import { fromBambooHr } from "../shared/intake/fromBambooHr.js";

/** BambooHR field-based webhook intake: signed with BAMBOOHR_WEBHOOK_KEY, one ContactEvent per employee, queued. */
export async function hrBambooHr(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const services = appServices();
  const key = services.settings.BAMBOOHR_WEBHOOK_KEY;
  if (!key) {
    context.warn("hr/bamboohr: BAMBOOHR_WEBHOOK_KEY is not set; refusing every delivery");
    return problem(503, "endpoint_not_configured", "This endpoint is not configured yet.");
  }
  const signed = await readSignedJson(request, context, "hr/bamboohr", (raw) =>
    verifyBambooHrSignature(raw, request.headers, key),
  );
  if (!signed.ok) return signed.response;
  const records = fromBambooHr(signed.value, { sentAt: signed.verdict.timestamp });
  if (!records.ok) {
    return problem(400, "invalid_body", "The body is not a BambooHR field-based webhook.", records.issues);
  }
  if (records.value.length > maxEventsPerRequest) {
    return problem(413, "too_many_events", `Send at most ${maxEventsPerRequest} employees per delivery.`);
  }
  try {
    const report = await acceptEvents(
      records.value,
      { queue: services.queue, receipts: services.webhookReceipts, rules: services.rules },
      { sender: { endpoint: "hr/bamboohr" } },
    );
    context.log(`hr/bamboohr: ${summarizeAcceptance(report)}`);
    return { status: 202, jsonBody: report };
  } catch (err) {
    context.warn(`hr/bamboohr: not taken in, BambooHR must redeliver: ${describeIntakeFailure(err)}`);
    return dependencyProblem(err);
  }
}

register.http("hrBambooHr", {
  route: "hr/bamboohr",
  methods: ["POST"],
  authLevel: "function",
  handler: hrBambooHr,
});
