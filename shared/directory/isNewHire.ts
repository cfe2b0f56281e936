import type { UserContactState } from "./directory.js";

/**
 * Whether HR events may still write the user: the account was created within `days` (NEW_HIRE_DAYS) of `now`;
 * `days` 0 or less reaches every user. An account without a creation time is not a new hire: the feed fails
 * closed, and an admin's backfill or helpdesk fix reaches it. The queue decides by it, and the readiness report
 * counts by it which users the HR feed can still fill in.
 */
export function isNewHire(user: Pick<UserContactState, "createdDateTime">, now: Date, days: number): boolean {
  if (days <= 0) return true;
  const created = user.createdDateTime ? Date.parse(user.createdDateTime) : Number.NaN;
  return Number.isFinite(created) && now.getTime() - created <= days * 86_400_000;
}
