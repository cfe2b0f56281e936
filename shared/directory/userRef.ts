import type { UserRef } from "./directory.js";

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the `{user}` of a URL: an object id (GUID), a UPN (has `@`), or else an employeeId. */
export function userRefFromKey(key: string): UserRef {
  const trimmed = key.trim();
  if (guidPattern.test(trimmed)) return { id: trimmed };
  if (trimmed.includes("@")) return { userPrincipalName: trimmed };
  return { employeeId: trimmed };
}

/** Drops the null and empty identifiers an event may carry. */
export function toUserRef(user: {
  id?: string | null | undefined;
  userPrincipalName?: string | null | undefined;
  employeeId?: string | null | undefined;
}): UserRef {
  return {
    ...(user.id ? { id: user.id } : {}),
    ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
    ...(user.employeeId ? { employeeId: user.employeeId } : {}),
  };
}
