import { hkdfSync } from "node:crypto";

/**
 * The keys only this app holds, each derived from APP_SIGNING_KEY for one use, so a value made for one use never
 * passes for another: the stamp the webhook intake signs on a queued event's `actor` (actorStamp.ts), and the
 * keyed hash of a value an attempt notes before writing it (pendingValueHash.ts).
 */
export interface AppKeys {
  actorStamp: Uint8Array;
  pendingValue: Uint8Array;
}

/** The least APP_SIGNING_KEY length config.ts takes: `openssl rand -base64 32` gives 44 characters. */
export const minAppSigningKeyLength = 32;

/** Derives the app's keys from the APP_SIGNING_KEY secret (HKDF-SHA256, one label per use). */
export function appKeysFrom(secret: string): AppKeys {
  const derive = (label: string) =>
    new Uint8Array(hkdfSync("sha256", Buffer.from(secret, "utf8"), "sspr-prepop", label, 32));
  return { actorStamp: derive("actor stamp v1"), pendingValue: derive("pending value v1") };
}
