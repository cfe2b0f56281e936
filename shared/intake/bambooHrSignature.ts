import { createHmac, timingSafeEqual } from "node:crypto";
import { isoTimestamp } from "./isoTimestamp.js";
import {
  type HeaderSource,
  type WebhookClockOptions,
  type WebhookRejection,
  webhookToleranceSeconds,
} from "./standardWebhook.js";

/** A verified BambooHR delivery's send time, or why it was refused (logged, never answered). */
export type BambooHrVerdict = { ok: true; timestamp: Date } | { ok: false; reason: WebhookRejection };

const hexSignature = /^[0-9a-f]{64}$/i;
const unixSeconds = /^\d{1,12}$/;
// BambooHR documents the header as "the timestamp"; deliveries carry unix seconds, but an ISO 8601 value
// (isoTimestamp) is read too rather than refusing every delivery should that change.

/**
 * Verifies a BambooHR webhook: `X-BambooHR-Signature` must be the hex HMAC-SHA256, keyed with the webhook's
 * private key, of the exact body bytes followed by `X-BambooHR-Timestamp` (constant-time compare), and the
 * timestamp must lie within the tolerance either way (a replayed delivery is stale).
 */
export function verifyBambooHrSignature(
  body: Uint8Array,
  headers: HeaderSource,
  key: string,
  options: WebhookClockOptions = {},
): BambooHrVerdict {
  const signature = headers.get("x-bamboohr-signature")?.trim();
  const timestamp = headers.get("x-bamboohr-timestamp")?.trim();
  if (!signature || !timestamp) return { ok: false, reason: "missing_headers" };
  const sentAt = toSentAt(timestamp);
  if (sentAt === undefined) return { ok: false, reason: "invalid_timestamp" };
  const nowMs = (options.now ?? new Date()).getTime();
  const toleranceMs = (options.toleranceSeconds ?? webhookToleranceSeconds) * 1000;
  if (nowMs - sentAt.getTime() > toleranceMs) return { ok: false, reason: "timestamp_too_old" };
  if (sentAt.getTime() - nowMs > toleranceMs) return { ok: false, reason: "timestamp_too_new" };
  if (!hexSignature.test(signature)) return { ok: false, reason: "invalid_signature" };
  const expected = createHmac("sha256", Buffer.from(key, "utf8"))
    .update(body)
    .update(Buffer.from(timestamp, "utf8"))
    .digest();
  const given = Buffer.from(signature, "hex");
  return timingSafeEqual(given, expected)
    ? { ok: true, timestamp: sentAt }
    : { ok: false, reason: "invalid_signature" };
}

function toSentAt(timestamp: string): Date | undefined {
  if (unixSeconds.test(timestamp)) return new Date(Number(timestamp) * 1000);
  if (!isoTimestamp.test(timestamp)) return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
