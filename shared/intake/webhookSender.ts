import { createHash } from "node:crypto";

/** The HR endpoints that take events in. */
export type WebhookEndpoint = "hr/events" | "hr/bamboohr" | "hr/scim";

/**
 * Who sent a webhook request, as far as its verification proves: the endpoint, and for hr/events (which takes
 * several secrets) the id of the key that verified the signature. Never anything the body says.
 */
export interface WebhookSender {
  endpoint: WebhookEndpoint;
  /** `webhookKeyId` of the verifying key; only hr/events has more than one. */
  keyId?: string;
}

/** The longest eventId a ContactEvent may have (its schema's limit). */
const maxEventIdLength = 128;

/**
 * The audit actor of the sender's events, e.g. `webhook:hr/events#1a2b3c4d` or `webhook:hr/scim`: what the
 * outcome record says did it, in place of the body's self-declared `source`.
 */
export function senderActor(sender: WebhookSender): string {
  return `webhook:${sender.endpoint}${sender.keyId === undefined ? "" : `#${sender.keyId}`}`;
}

/**
 * The event id a sender's event is queued and recorded under: in the sender's own namespace, so no sender can
 * name an event id another one uses (and so make that event a "duplicate" that is never processed, or take
 * over its outcome). BambooHR and SCIM ids are built by this app's mappers and already start with their
 * namespace; hr/events ids come from the body and are prefixed with the endpoint and key id:
 * `hr-events.1a2b3c4d.<id>`. An id that would then be too long is replaced by a hash of it in that namespace.
 */
export function scopedEventId(sender: WebhookSender, eventId: string): string {
  const prefix = namespaceOf(sender);
  if (eventId.startsWith(prefix)) return eventId;
  const scoped = `${prefix}${eventId}`;
  if (scoped.length <= maxEventIdLength) return scoped;
  return `${prefix}sha256-${createHash("sha256").update(eventId, "utf8").digest("hex").slice(0, 32)}`;
}

function namespaceOf(sender: WebhookSender): string {
  switch (sender.endpoint) {
    case "hr/events":
      return `hr-events.${sender.keyId ?? "nokey"}.`;
    case "hr/bamboohr":
      return "bamboohr-";
    case "hr/scim":
      return "scim-";
  }
}
