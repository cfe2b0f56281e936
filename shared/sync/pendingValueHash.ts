import { createHmac } from "node:crypto";
import type { ContactField } from "../contact/contactFields.js";

/** The keyed hash of a field's whole value: what a pending note keeps to know its own write again. */
export type ValueHash = (field: ContactField, value: string) => string;

/**
 * HMAC-SHA256, keyed with the app's pending-value key (appKeys.ts), over the field and its whole value
 * normalized: an email in lower case, a phone as its `+` and digits (`+1 4255550147` and `+14255550147` are one
 * number). Keyed, so a reader of the outcome table cannot try every phone number of a region against it, as they
 * could a bare SHA-256; per field, so a mobile number noted never matches an office phone method.
 */
export function pendingValueHashWith(key: Uint8Array): ValueHash {
  return (field, value) =>
    createHmac("sha256", key)
      .update(`${field}\n${normalizedValueOf(field, value)}`, "utf8")
      .digest("base64url");
}

function normalizedValueOf(field: ContactField, value: string): string {
  if (field === "alternateEmail") return value.trim().toLowerCase();
  const digits = value.replace(/[^\d]/g, "");
  return value.trim().startsWith("+") ? `+${digits}` : digits;
}
