import { createHash, createHmac, randomUUID } from "node:crypto";

/** The longest Idempotency-Key taken; a longer one is refused (400), not silently ignored. */
export const maxIdempotencyKeyLength = 100;

/** The event id and request fingerprint of one fix request, or why its Idempotency-Key is refused. */
export type FixIdempotency =
  | { ok: true; eventId: string; requestHash?: string }
  | { ok: false; code: "idempotency_key_invalid"; message: string };

/**
 * Derives a fix's event id from its Idempotency-Key, scoped to the caller and the operation: two callers that
 * pick the same key get different event ids, so one can never pre-claim a key and have the other's fix answered
 * with its outcome. The request itself (the `{user}` of the URL and the exact body bytes) is fingerprinted as
 * `requestHash`, recorded with the outcome: the same key with another user or another body is a reuse (409),
 * and only a true retry gets the recorded outcome back.
 *
 * The fingerprint is an HMAC keyed with the caller and the Idempotency-Key, not a bare hash: a bare SHA-256 of a
 * body holding one phone number could be reversed by trying every number; without the key it cannot.
 * Without an Idempotency-Key every request is its own event (a random id, no fingerprint).
 */
export function fixIdempotency(
  caller: string,
  operation: string,
  userKey: string,
  idempotencyKey: string | null,
  body: Uint8Array,
): FixIdempotency {
  if (idempotencyKey === null || idempotencyKey === "") return { ok: true, eventId: `http-${randomUUID()}` };
  if (idempotencyKey.length > maxIdempotencyKeyLength) {
    return {
      ok: false,
      code: "idempotency_key_invalid",
      message: `Idempotency-Key must be at most ${maxIdempotencyKeyLength} characters; a UUID is a good key.`,
    };
  }
  const scope = JSON.stringify([caller, operation, idempotencyKey]);
  const eventId = `http-${createHash("sha256").update(scope, "utf8").digest("hex").slice(0, 40)}`;
  const requestHash = createHmac("sha256", scope)
    .update(JSON.stringify(userKey))
    .update("\n")
    .update(body)
    .digest("hex");
  return { ok: true, eventId, requestHash };
}
