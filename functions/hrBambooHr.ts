import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices, intakeDeps } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { deliverEvents, notConfigured } from "../shared/http/deliverEvents.js";
import { limitProblem } from "../shared/http/limitProblem.js";
import { problem } from "../shared/http/problem.js";
import { readSignedJson } from "../shared/http/readSignedJson.js";
import { verifyBambooHrSignature } from "../shared/intake/bambooHrSignature.js";
import { fromBambooHr } from "../shared/intake/fromBambooHr.js";

/** BambooHR field-based webhook intake: signed with BAMBOOHR_WEBHOOK_KEY, one ContactEvent per employee, queued. */
export async function hrBambooHr(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const services = appServices();
  const key = services.settings.BAMBOOHR_WEBHOOK_KEY;
  if (!key)
    return notConfigured(context, "hr/bamboohr: BAMBOOHR_WEBHOOK_KEY is not set; refusing every delivery");
  const signed = await readSignedJson(request, context, "hr/bamboohr", (raw) =>
    verifyBambooHrSignature(raw, request.headers, key),
  );
  if (!signed.ok) return signed.response;
  const records = fromBambooHr(signed.value, { sentAt: signed.verdict.timestamp });
  if (!records.ok) {
    return problem(400, "invalid_body", "The body is not a BambooHR field-based webhook.", records.issues);
  }
  return deliverEvents(
    {
      label: "hr/bamboohr",
      records: records.value,
      options: { sender: { endpoint: "hr/bamboohr" } },
      onUnavailable: "BambooHR must redeliver",
      answers: {
        tooMany: (max) => problem(413, "too_many_events", `Send at most ${max} employees per delivery.`),
        // BambooHR drops a delivery answered 4xx and retries a 5xx (5 times, 5 to 80 min apart, 155 min in all):
        // a 429 would lose the events, a 503 brings them back in a later hour.
        limited: (refusal, words) => limitProblem(refusal, words, 503),
      },
    },
    intakeDeps(services),
    context,
  );
}

register.http("hrBambooHr", {
  route: "hr/bamboohr",
  methods: ["POST"],
  authLevel: "function",
  handler: hrBambooHr,
});
