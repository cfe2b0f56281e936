import type { RuleIssue } from "../core/result.js";
import type { UserContactState, UserRef } from "./directory.js";

/**
 * Checks that every identifier an event names belongs to the user it resolved to. The directory resolves by the
 * strongest identifier (id, then UPN, then employeeId) and ignores the rest, so without this an event carrying one
 * person's UPN and another's employeeId would write whichever the lookup picked. Entra compares UPNs without case;
 * employee ids are compared as given.
 */
export function identityMismatchOf(ref: UserRef, user: UserContactState): RuleIssue | undefined {
  const mismatched = [
    ref.id && ref.id.toLowerCase() !== user.id.toLowerCase() ? "user.id" : undefined,
    ref.userPrincipalName && ref.userPrincipalName.toLowerCase() !== user.userPrincipalName.toLowerCase()
      ? "user.userPrincipalName"
      : undefined,
    ref.employeeId && ref.employeeId.trim() !== (user.employeeId ?? "").trim()
      ? "user.employeeId"
      : undefined,
  ].filter((field): field is string => field !== undefined);
  if (mismatched.length === 0) return undefined;
  return {
    field: mismatched.join(","),
    code: "identity_mismatch",
    message: `The event's ${mismatched.join(" and ")} does not belong to the user it resolved to; nothing was written.`,
    hint: "Correct the HR record so id, userPrincipalName and employeeId all name the same person, then send the event again.",
  };
}
