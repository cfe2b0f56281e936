import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Says whether an `Authorization` header carries `Bearer <token>`, compared in constant time. Both sides are
 * hashed first so the comparison takes the same time whatever the lengths (timingSafeEqual needs equal ones).
 */
export function hasBearerToken(authorization: string | null | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  const given = match?.[1] ?? "";
  const equal = timingSafeEqual(digest(given), digest(token));
  return match !== null && token.length > 0 && equal;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
