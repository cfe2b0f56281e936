import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import {
  type AcceptanceReport,
  type AcceptDeps,
  type AcceptOptions,
  checkDelivery,
  describeIntakeFailure,
  enqueueChecked,
  maxEventsPerRequest,
  summarizeAcceptance,
} from "../intake/acceptEvents.js";
import type { IntakeRecord } from "../intake/intakeRecord.js";
import { senderActor } from "../intake/webhookSender.js";
import { dependencyProblem } from "./dependencyProblem.js";
import { type LimitWords, limitProblem } from "./limitProblem.js";
import { problem } from "./problem.js";
import type { Allowance, WindowLimiter } from "./windowLimiter.js";

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
  /** The sender's hourly event limit refused the delivery whole (429 with Retry-After, or 413: over a whole hour). */
  limited(refusal: Extract<Allowance, { ok: false }>, words: LimitWords): HttpResponseInit;
  accepted(report: AcceptanceReport): HttpResponseInit;
  unavailable(err: unknown): HttpResponseInit;
}

const problemAnswers: DeliveryAnswers = {
  tooMany: (max) => problem(413, "too_many_events", `Send at most ${max} events per delivery.`),
  limited: (refusal, words) => limitProblem(refusal, words),
  accepted: (report) => ({ status: 202, jsonBody: report }),
  unavailable: (err) => dependencyProblem(err),
};

/** What a delivery is taken in with: the intake's stores and rules, and the senders' hourly event limit. */
export interface DeliveryDeps extends AcceptDeps {
  /** HR_EVENTS_PER_SENDER_PER_HOUR, counted per verified sender across every instance. */
  eventLimiter: WindowLimiter;
}

/**
 * The end every HR endpoint shares once a delivery is verified and read: refuse a batch over
 * `maxEventsPerRequest` whole, check the records, take the events it would queue from the sender's hourly
 * allowance (refused whole, before anything is stored, when they do not fit: the sender redelivers later and
 * loses nothing), take the records in (validate, skip repeats, enqueue), log the summary, and answer; when
 * storage fails (the counter or the queue), log what the sender must do and answer so that it retries.
 */
export async function deliverEvents(
  delivery: HrDelivery,
  deps: DeliveryDeps,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const answers = { ...problemAnswers, ...delivery.answers };
  if (delivery.records.length > maxEventsPerRequest) return answers.tooMany(maxEventsPerRequest);
  const checked = checkDelivery(delivery.records, deps, delivery.options);
  try {
    if (checked.queueable > 0) {
      const allowance = await deps.eventLimiter.take(senderActor(delivery.options.sender), checked.queueable);
      if (!allowance.ok) {
        const { perWindow } = deps.eventLimiter.limit;
        context.warn(
          `${delivery.label}: refused whole, event limit ${allowance.why} (${allowance.used}/${perWindow} this hour, ${checked.queueable} more asked; sender must redeliver after ${allowance.resetsAt.toISOString()})`,
        );
        return answers.limited(allowance, eventLimitWords(allowance, checked.queueable, perWindow));
      }
    }
    const report = await enqueueChecked(checked, deps, delivery.options);
    context.log(`${delivery.label}: ${summarizeAcceptance(report)}`);
    return answers.accepted(report);
  } catch (err) {
    context.warn(`${delivery.label}: not taken in, ${delivery.onUnavailable}: ${describeIntakeFailure(err)}`);
    return answers.unavailable(err);
  }
}

/** The refusal in words the HR system's operator can act on: which limit, how far, and when to come back. */
function eventLimitWords(
  refusal: Extract<Allowance, { ok: false }>,
  asked: number,
  perWindow: number,
): LimitWords {
  const field = "sender";
  const nothingTaken = "Nothing of this delivery was taken in";
  const hint =
    "Send the same delivery again after Retry-After: events already queued are acknowledged as duplicates, never queued twice. Load many existing users with `sspr-prepop backfill`, not the webhook; if the HR feed really sends more, an admin raises HR_EVENTS_PER_SENDER_PER_HOUR.";
  switch (refusal.why) {
    case "overWholeLimit":
      return {
        field,
        code: "delivery_over_event_limit",
        message: `This delivery would queue ${asked} events, more than a sender may queue in a whole hour (HR_EVENTS_PER_SENDER_PER_HOUR is ${perWindow}). ${nothingTaken}.`,
        hint: `Send at most ${perWindow} events per delivery, or have an admin raise HR_EVENTS_PER_SENDER_PER_HOUR.`,
      };
    case "busy":
      return {
        field,
        code: "event_limit_busy",
        message: `Too many deliveries from this sender arrived at the same moment to count them. ${nothingTaken}; retry in 1 s.`,
        hint,
      };
    default:
      return {
        field,
        code: "event_limit_reached",
        message: `This sender has queued ${refusal.used} of the ${perWindow} events HR_EVENTS_PER_SENDER_PER_HOUR allows this hour, and this delivery would queue ${asked} more. ${nothingTaken}: redeliver it in ${refusal.retryAfterSeconds} s (at ${refusal.resetsAt.toISOString()}).`,
        hint,
      };
  }
}

/** The answer while the endpoint's secret is not set: every delivery refused (503), the reason logged. */
export function notConfigured(context: InvocationContext, why: string): HttpResponseInit {
  context.warn(why);
  return problem(503, "endpoint_not_configured", "This endpoint is not configured yet.");
}
