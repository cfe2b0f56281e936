import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Why a delivery was refused. Logged, never answered: a forger must not learn which check failed. */
export type WebhookRejection =
  | "missing_headers"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "invalid_signature";

/**
 * A verified delivery's `webhook-id`, timestamp and the id of the key that verified it (see `webhookKeyId`),
 * or why it was refused.
 */
export type StandardWebhookVerdict =
  | { ok: true; id: string; timestamp: Date; keyId: string }
  | { ok: false; reason: WebhookRejection };

/** Reads request headers by name, case-insensitively (`HttpRequest.headers` is one). */
export interface HeaderSource {
  get(name: string): string | null;
}

/** The clock and replay window; tests inject the clock. */
export interface WebhookClockOptions {
  now?: Date;
  /** How far a timestamp may be from `now`, either way; the spec's 5 minutes by default. */
  toleranceSeconds?: number;
}

/** Replay window both Standard Webhooks and BambooHR receivers use. */
export const webhookToleranceSeconds = 5 * 60;

const secretPrefix = "whsec_";
const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
// The spec asks senders for 24–64 random bytes; anything under 128 bits is a paste error, not a key.
const minKeyBytes = 16;
// A header listing more v1 signatures than any rotation needs is an attempt to make us compare; stop there. Only v1
// entries count: a sender may list other schemes (v1a) first, and the spec says to try each signature until one
// matches.
const maxSignatures = 10;
const timestampPattern = /^\d{1,12}$/;

/** Why one HR_WEBHOOK_SECRETS entry can't be a key: said by `doctor` without repeating the secret. */
export type StandardWebhookSecretProblem =
  | { problem: "missing_prefix" }
  | { problem: "not_base64" }
  | { problem: "too_short"; bytes: number; minBytes: number };

/** What is wrong with one `whsec_<base64>` secret, or undefined when it decodes to a key. */
export function standardWebhookSecretProblem(secret: string): StandardWebhookSecretProblem | undefined {
  return keyOrProblem(secret).problem;
}

/**
 * Decodes `whsec_<base64>` secrets (HR_WEBHOOK_SECRETS, several during a rotation) to HMAC keys; undefined when
 * there is none or any is malformed, so the endpoint says it is not configured instead of verifying against junk.
 */
export function tryStandardWebhookKeys(secrets: readonly string[]): Buffer[] | undefined {
  if (secrets.length === 0) return undefined;
  const keys: Buffer[] = [];
  for (const secret of secrets) {
    const { key } = keyOrProblem(secret);
    if (!key) return undefined;
    keys.push(key);
  }
  return keys;
}

function keyOrProblem(secret: string): { key?: Buffer; problem?: StandardWebhookSecretProblem } {
  if (!secret.startsWith(secretPrefix)) return { problem: { problem: "missing_prefix" } };
  const encoded = secret.slice(secretPrefix.length);
  if (!base64.test(encoded)) return { problem: { problem: "not_base64" } };
  const key = Buffer.from(encoded, "base64");
  if (key.length < minKeyBytes) {
    return { problem: { problem: "too_short", bytes: key.length, minBytes: minKeyBytes } };
  }
  return { key };
}

/**
 * Verifies a Standard Webhooks (v1) delivery over the exact body bytes: `webhook-timestamp` within the
 * tolerance either way, and one `v1,<base64>` entry of `webhook-signature` matching HMAC-SHA256 of
 * `{id}.{timestamp}.{body}` under any of the keys (constant-time compare).
 *
 * NOTE: node:crypto rather than the `standardwebhooks` package: its `verify` reads `Date.now()` (no clock to
 * inject for the replay tests) and decodes a Buffer body to a string before signing, so bytes that are not
 * valid UTF-8 would be verified as replacement characters instead of as sent.
 */
export function verifyStandardWebhook(
  body: Uint8Array,
  headers: HeaderSource,
  keys: readonly Uint8Array[],
  options: WebhookClockOptions = {},
): StandardWebhookVerdict {
  const id = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (!id || !timestamp || !signatures) return { ok: false, reason: "missing_headers" };
  if (!timestampPattern.test(timestamp)) return { ok: false, reason: "invalid_timestamp" };
  const seconds = Number(timestamp);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? webhookToleranceSeconds;
  if (now - seconds > tolerance) return { ok: false, reason: "timestamp_too_old" };
  if (seconds - now > tolerance) return { ok: false, reason: "timestamp_too_new" };

  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, "utf8"), body]);
  const expected = keys.map((key) => createHmac("sha256", key).update(signed).digest());
  const v1Entries = signatures
    .trim()
    .split(/\s+/)
    .filter((entry) => entry.startsWith("v1,"))
    .slice(0, maxSignatures);
  for (const entry of v1Entries) {
    const encoded = entry.slice("v1,".length);
    if (!base64.test(encoded)) continue;
    const given = Buffer.from(encoded, "base64");
    // Node ignores the unused low bits of the last base64 character; only the canonical spelling counts, as
    // in implementations that compare the encoded strings.
    if (given.toString("base64") !== encoded) continue;
    for (const [index, candidate] of expected.entries()) {
      if (given.length === candidate.length && timingSafeEqual(given, candidate)) {
        return {
          ok: true,
          id,
          timestamp: new Date(seconds * 1000),
          keyId: webhookKeyId(keys[index] as Uint8Array),
        };
      }
    }
  }
  return { ok: false, reason: "invalid_signature" };
}

/**
 * A short, stable name for a signing key: 8 hex digits of a SHA-256 over it (with a fixed label, so the value is
 * no HMAC or hash of the key used anywhere else). It tells senders apart in audit records and scopes their event
 * ids and receipts, and stays the same while secrets rotate (unlike a position in HR_WEBHOOK_SECRETS); 32 bits of
 * a hash say nothing about a 128-bit-or-longer key.
 */
export function webhookKeyId(key: Uint8Array): string {
  return createHash("sha256").update("sspr-prepop webhook key id\n").update(key).digest("hex").slice(0, 8);
}
