import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import {
  type AcceptanceReport,
  type AcceptDeps,
  type AcceptOptions,
  acceptEvents,
  describeIntakeFailure,
  maxEventsPerRequest,
  summarizeAcceptance,
} from "../intake/acceptEvents.js";
import type { IntakeRecord } from "../intake/intakeRecord.js";
import { dependencyProblem } from "./dependencyProblem.js";
import { problem } from "./problem.js";

/** One HR delivery, read and verified by its endpoint: its records and how to answer for them. */
export interface HrDelivery {
  /** How the log names the delivery: the route, with the sender's delivery id when it gives one. */
  label: string;
  records: readonly IntakeRecord[];
  /** Who sent it, as verified, and how a batch is taken in (acceptEvents). */
  options: AcceptOptions;
  /** What the log says the sender must do when storage fails ("sender must redeliver"). */
  onUnavailable: string;
  /** The answers in the endpoint's own shape; by default Graph's error shape and 202 with the report. */
  answers?: Partial<DeliveryAnswers>;
}

/** The answers a delivery can end in. */
export interface DeliveryAnswers {
  tooMany(max: number): HttpResponseInit;
  accepted(report: AcceptanceReport): HttpResponseInit;
  unavailable(err: unknown): HttpResponseInit;
}

const problemAnswers: DeliveryAnswers = {
  tooMany: (max) => problem(413, "too_many_events", `Send at most ${max} events per delivery.`),
  accepted: (report) => ({ status: 202, jsonBody: report }),
  unavailable: (err) => dependencyProblem(err),
};

/**
 * The end every HR endpoint shares once a delivery is verified and read: refuse a batch over
 * `maxEventsPerRequest` whole, take the records in (acceptEvents: validate, skip repeats, enqueue), log the
 * summary, and answer; when storage fails, log what the sender must do and answer so that it retries.
 */
export async function deliverEvents(
  delivery: HrDelivery,
  deps: AcceptDeps,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const answers = { ...problemAnswers, ...delivery.answers };
  if (delivery.records.length > maxEventsPerRequest) return answers.tooMany(maxEventsPerRequest);
  try {
    const report = await acceptEvents(delivery.records, deps, delivery.options);
    context.log(`${delivery.label}: ${summarizeAcceptance(report)}`);
    return answers.accepted(report);
  } catch (err) {
    context.warn(`${delivery.label}: not taken in, ${delivery.onUnavailable}: ${describeIntakeFailure(err)}`);
    return answers.unavailable(err);
  }
}

/** The answer while the endpoint's secret is not set: every delivery refused (503), the reason logged. */
export function notConfigured(context: InvocationContext, why: string): HttpResponseInit {
  context.warn(why);
  return problem(503, "endpoint_not_configured", "This endpoint is not configured yet.");
}
