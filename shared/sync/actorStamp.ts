import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { contactEventSchema } from "../contact/contactEventSchema.js";
import { isRecord } from "../core/isRecord.js";
import type { RuleIssue } from "../core/result.js";

/**
 * The stamp the webhook intake signs on each event it queues: HMAC-SHA256, keyed with the app's actor-stamp key
 * (appKeys.ts), over the actor, the event id and a digest of the event's content. Whoever may put a message on
 * the queue (Queue Data Contributor) but does not hold APP_SIGNING_KEY can neither write a stamp for a made-up
 * message nor move a real stamp onto other content. Base64url, 43 characters.
 */
export function actorStampOf(key: Uint8Array, actor: string, event: Record<string, unknown>): string {
  return createHmac("sha256", key).update(stampedTextOf(actor, event), "utf8").digest("base64url");
}

/** Who a queue message's record names, and why not the actor it claims when the claim was not believed. */
export interface VerifiedActor {
  actor: string;
  /** Set when the message claimed a webhook sender the stamp does not prove: the record says `queue`. */
  warning?: RuleIssue;
}

/**
 * The actor a queue message is recorded with: the webhook sender it names when the intake's stamp over this very
 * message verifies with `key`, else `queue` — with a warning when it claimed a sender (no key configured, no stamp,
 * a stamp for other content). Fail closed: an unverified claim never reads as a webhook sender.
 */
export function verifiedActorOf(message: unknown, key: Uint8Array | undefined): VerifiedActor {
  const record = isRecord(message) ? message : {};
  const claimed = Object.hasOwn(record, "actor") ? record.actor : undefined;
  if (typeof claimed !== "string" || !contactEventSchema.shape.actor.safeParse(claimed).success) {
    return { actor: "queue" };
  }
  const stamp = Object.hasOwn(record, "actorStamp") ? record.actorStamp : undefined;
  if (key !== undefined && typeof stamp === "string" && sameText(stamp, actorStampOf(key, claimed, record))) {
    return { actor: claimed };
  }
  return {
    actor: "queue",
    warning: {
      field: "actor",
      code: "actor_unverified",
      message: `The message names ${claimed} as its actor, but no stamp this app signed proves it (${
        key === undefined
          ? "APP_SIGNING_KEY is not set"
          : "the stamp is missing or does not match the message"
      }); recorded as queue.`,
      hint: "Events reach the queue with a verified sender only through the HR webhooks; a message put on the queue by other means is recorded as queue.",
    },
  };
}

/**
 * What the stamp covers: the actor, the event id and a SHA-256 of every other field the event has, in a fixed
 * order, each as text or null (an absent field and a null one both mean "leave as is"). The order and the
 * fields are the schema's, not the message's key order, which a queue round trip may keep or not.
 */
function stampedTextOf(actor: string, event: Record<string, unknown>): string {
  const user = isRecord(event.user) ? event.user : {};
  const contact = isRecord(event.contact) ? event.contact : {};
  const content = [
    event.source,
    event.occurredAt,
    user.id,
    user.userPrincipalName,
    user.employeeId,
    event.country,
    contact.mobilePhone,
    contact.officePhone,
    contact.alternateEmail,
  ].map((value) => (typeof value === "string" ? value : null));
  const digest = createHash("sha256").update(JSON.stringify(content), "utf8").digest("base64url");
  return JSON.stringify(["sspr-prepop actor stamp v1", actor, textOrNull(event.eventId), digest]);
}

function textOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
