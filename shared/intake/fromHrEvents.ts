import { isRecord } from "../core/isRecord.js";
import { fail, ok, type Result } from "../core/result.js";
import { type IntakeRecord, intakeEvent } from "./intakeRecord.js";

/**
 * Reads a Standard Webhooks body — one ContactEvent or an array of them — into records to validate. An event
 * without an eventId takes the delivery's `webhook-id` (in an array `${webhook-id}-${index}`): the sender
 * repeats that id on every redelivery, so it is the idempotency key the spec intends.
 */
export function fromHrEvents(body: unknown, webhookId: string): Result<IntakeRecord[]> {
  if (Array.isArray(body)) {
    return ok(body.map((item, index) => intakeEvent(withEventId(item, `${webhookId}-${index}`))));
  }
  if (isRecord(body)) return ok([intakeEvent(withEventId(body, webhookId))]);
  return fail([
    {
      field: "body",
      code: "invalid_body",
      message: "The body must be one ContactEvent object or an array of them.",
      hint: "Send {eventId, source, occurredAt, user, contact} or a JSON array of such objects.",
    },
  ]);
}

function withEventId(item: unknown, eventId: string): unknown {
  // Anything but an object is left as is, so validation reports it for its index.
  if (!isRecord(item)) return item;
  const current = Object.hasOwn(item, "eventId") ? item.eventId : undefined;
  if (current !== undefined && current !== null && current !== "") return item;
  return { ...item, eventId };
}
