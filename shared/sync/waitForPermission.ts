import type { DirectoryFailure } from "../directory/directoryFailure.js";
import type { SyncDecision } from "./decidedOutcome.js";
import type { Outcome } from "./outcome.js";

const minute = 60_000;
const hour = 60 * minute;

/**
 * How long a queued event waits for a missing Graph permission before it fails. Microsoft: the back end of managed
 * identities "maintain[s] a cache per resource URI for around 24 hours. This means that it can take several hours
 * for changes to a managed identity's group or role membership to take effect" (Managed identity best practice
 * recommendations, "Limitation of using managed identities for authorization"). A grant made after the event came
 * in thus reaches the app's token within the day, or not through waiting.
 */
export const permissionWaitMs = 24 * hour;

/**
 * The wait before the next try, by how long the permission has been missing (first matching row): soon at first,
 * for a grant made minutes before the event (a fresh deployment), then hourly, as the cache takes hours.
 */
const backOff: ReadonlyArray<{ missingFor: number; waitMs: number }> = [
  { missingFor: 20 * minute, waitMs: hour },
  { missingFor: 5 * minute, waitMs: 15 * minute },
  { missingFor: 0, waitMs: 5 * minute },
];

/** What the queue does about an attempt Graph refused for want of a permission: defer it, or give up. */
export interface PermissionWait {
  decision: Extract<SyncDecision, { kind: "deferred" | "failed" }>;
  /** Put the message back on the queue this many seconds from now. */
  requeueSeconds?: number;
}

/**
 * An event whose call Graph refused with a missing permission (the privilege check, the lookup, a read or a write)
 * waits for the grant: deferred 5 min, 15 min, then hourly, up to `permissionWaitMs` after the permission was
 * first found missing for it (kept on its deferred record, `waitingSince`), and then `failed`, naming the fix. The
 * helpdesk fix answers at once instead (a person is waiting); the backfill stops its run.
 */
export function waitForPermission(
  failure: DirectoryFailure,
  previous: Outcome | undefined,
  now: Date,
): PermissionWait {
  const waitingSince =
    previous?.status === "deferred" && previous.code === "missing_permission" && previous.waitingSince
      ? previous.waitingSince
      : now.toISOString();
  const missingFor = now.getTime() - Date.parse(waitingSince);
  const until = Date.parse(waitingSince) + permissionWaitMs;
  if (!(missingFor < permissionWaitMs)) {
    return {
      decision: {
        kind: "failed",
        code: "missing_permission",
        message: failure.reason,
        hint: `still missing ${Math.round(missingFor / hour)} h after Graph first refused it, longer than a new grant takes to reach the app's token (up to about a day); once it is granted, reach this user with sspr-prepop backfill or a helpdesk fix`,
      },
    };
  }
  const waitMs = backOff.find((step) => missingFor >= step.missingFor)?.waitMs ?? hour;
  const next = Math.min(now.getTime() + waitMs, until);
  return {
    decision: {
      kind: "deferred",
      nextAttemptAt: new Date(next).toISOString(),
      missingPermission: {
        ...(failure.permission ? { permission: failure.permission } : {}),
        since: waitingSince,
        until: new Date(until).toISOString(),
      },
    },
    requeueSeconds: Math.max(1, Math.ceil((next - now.getTime()) / 1000)),
  };
}
