import { describe, expect, it } from "vitest";
import { runBackfill } from "../../shared/backfill/backfill.js";
import { DirectoryError, DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { directoryFailureOf } from "../../shared/directory/directoryFailure.js";
import { dependencyProblem } from "../../shared/http/dependencyProblem.js";
import { fixContact } from "../../shared/sync/fixContact.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { syncContactEvent } from "../../shared/sync/syncContactEvent.js";
import { MemoryDirectory, type SeedUser } from "../doubles/memoryDirectory.js";
import { MemoryEventQueue } from "../doubles/memoryEventQueue.js";
import { MemoryOutcomeLog } from "../doubles/memoryOutcomeLog.js";
import { aPolicy, aUser } from "../support/factories.js";

// One refusal, three doors: a queue message, a helpdesk fix and a backfill row that meet the same refusal must
// record it with the same machine code, the same reason and the same outcome message (a path may only add what its
// reader does next, after the shared words). A door that cannot meet a refusal says why in its column.

const rules = { phoneValidation: "valid" as const, organizationDomains: [] };
const policy = aPolicy();
const now = new Date("2026-11-24T10:00:00.000Z");
const mobile = "(425) 555-0147";

const avery = aUser({
  id: "0000aaaa-0000-4000-8000-000000000147",
  userPrincipalName: "avery.lee@example.com",
  employeeId: "E-0147",
});
const blake = aUser({
  id: "0000bbbb-0000-4000-8000-000000000148",
  userPrincipalName: "blake.kim@example.com",
  employeeId: "E-0148",
});

/** How a refusal reads on one path. */
interface Wording {
  status: string;
  code: string | undefined;
  reason: string | undefined;
  message: string;
}

/** A refusal to meet: the tenant, how the event names the user, what it asks, and what the test arranges. */
interface Scenario {
  users: SeedUser[];
  user: Record<string, string>;
  /** The helpdesk fix's `{user}` key; absent when a fix cannot name the user this way. */
  fixKey?: string;
  contact?: Record<string, string>;
  arrange?: (directory: MemoryDirectory) => void;
}

const missingRoleRead = () =>
  new DirectoryError("privilegeOf failed: HTTP 403", {
    kind: DirectoryErrorKind.missingPermission,
    statusCode: 403,
    permission: "RoleManagement.Read.Directory",
  });
const masteredOnPremises = () =>
  new DirectoryError("updateProfile failed: HTTP 400", {
    kind: DirectoryErrorKind.onPremisesMastered,
    statusCode: 400,
  });

const scenarios: Array<readonly [name: string, scenario: Scenario, code: string]> = [
  [
    "a guest account",
    {
      users: [{ ...avery, userType: "Guest" }],
      user: { userPrincipalName: avery.userPrincipalName },
      fixKey: avery.id,
    },
    "guest_account",
  ],
  [
    "a privileged account",
    {
      users: [
        { ...avery, privilege: { privileged: true, via: "activeRole", detail: "Global Administrator" } },
      ],
      user: { userPrincipalName: avery.userPrincipalName },
      fixKey: avery.id,
    },
    "privileged_account",
  ],
  [
    "a privilege check Graph refused for a missing permission",
    {
      users: [avery],
      user: { userPrincipalName: avery.userPrincipalName },
      fixKey: avery.id,
      arrange: (directory) => directory.failNext("privilegeOf", missingRoleRead()),
    },
    "privilege_check_failed",
  ],
  [
    "a user Entra ID does not have",
    { users: [], user: { userPrincipalName: avery.userPrincipalName }, fixKey: avery.userPrincipalName },
    "user_not_found",
  ],
  [
    "identifiers naming two different users",
    {
      users: [avery, blake],
      user: { userPrincipalName: avery.userPrincipalName, employeeId: blake.employeeId ?? "" },
    },
    "identity_mismatch",
  ],
  [
    "an employeeId several users share",
    {
      users: [avery, { ...blake, employeeId: avery.employeeId }],
      user: { employeeId: avery.employeeId ?? "" },
      fixKey: avery.employeeId ?? "",
    },
    "user_ambiguous",
  ],
  [
    "a property mastered on premises",
    {
      users: [avery],
      user: { userPrincipalName: avery.userPrincipalName },
      fixKey: avery.id,
      arrange: (directory) => directory.failNext("updateProfile", masteredOnPremises()),
    },
    "on_premises_mastered",
  ],
  [
    "an invalid value",
    {
      users: [avery],
      user: { userPrincipalName: avery.userPrincipalName },
      fixKey: avery.id,
      contact: { mobilePhone: "12345" },
    },
    "phone_too_short",
  ],
];

function tenant(scenario: Scenario): MemoryDirectory {
  const directory = new MemoryDirectory(scenario.users);
  scenario.arrange?.(directory);
  return directory;
}

const eventFor = (scenario: Scenario, eventId: string) => ({
  eventId,
  source: "hr-export",
  occurredAt: "2026-11-24T09:00:00.000Z",
  user: scenario.user,
  country: "US",
  contact: scenario.contact ?? { mobilePhone: mobile },
});

/** The machine code, reason and message an outcome gives, every field agreeing on one code. */
function wordingOf(outcome: Outcome): Wording {
  const fieldCodes = new Set(outcome.fields.map((field) => field.code));
  expect(fieldCodes.size).toBeLessThanOrEqual(1);
  const field = outcome.fields[0];
  const issue = outcome.errors[0];
  return {
    status: outcome.status,
    code: field?.code ?? issue?.code ?? outcome.code,
    reason: field?.reason ?? issue?.message,
    message: outcome.message,
  };
}

async function throughTheQueue(scenario: Scenario): Promise<Wording> {
  const outcome = await syncContactEvent(
    eventFor(scenario, "same-refusal-queue"),
    { dequeueCount: 1, maxDequeueCount: 5 },
    {
      directory: tenant(scenario),
      outcomes: new MemoryOutcomeLog({ clock: () => now }),
      queue: new MemoryEventQueue(() => now),
      rules,
      policy,
      // No wait for provisioning: an absent user is the refusal under test, not a deferral.
      userWaitHours: 0,
      newHireDays: 0,
      now: () => now,
    },
  );
  return wordingOf(outcome);
}

/** The fix's answer: its outcome, or what it answers without one (not found, invalid, a Graph failure). */
async function throughTheFix(scenario: Scenario): Promise<Wording | "cannot name the user this way"> {
  if (scenario.fixKey === undefined) return "cannot name the user this way";
  const deps = {
    directory: tenant(scenario),
    outcomes: new MemoryOutcomeLog({ clock: () => now }),
    rules,
    policy,
  };
  const request = {
    userKey: scenario.fixKey,
    body: { ...(scenario.contact ?? { mobilePhone: mobile }), country: "US" },
    actor: "helpdesk@example.com",
    eventId: "same-refusal-fix",
    now,
  };
  try {
    const result = await fixContact(deps, request, { isAdmin: true });
    if (result.kind === "done") return wordingOf(result.outcome);
    if (result.kind === "notFound") {
      return { status: "failed", code: result.code, reason: undefined, message: result.message };
    }
    if (result.kind === "invalid") {
      const [issue] = result.issues;
      return { status: "rejected", code: issue?.code, reason: issue?.message, message: "" };
    }
    throw new Error(`unexpected fix result ${result.kind}`);
  } catch (err) {
    // The HTTP answer the helpdesk gets for a failure the fix throws: the failure's own code and reason.
    const answer = dependencyProblem(err).jsonBody as { error: { code: string; message: string } };
    return { status: "failed", code: answer.error.code, reason: directoryFailureOf(err).reason, message: "" };
  }
}

async function throughTheBackfill(scenario: Scenario): Promise<Wording | { stopped: Error }> {
  const outcomes = new MemoryOutcomeLog({ clock: () => now });
  try {
    await runBackfill({
      records: (async function* () {
        yield { line: 2, input: eventFor(scenario, "same-refusal-row") };
      })(),
      rules,
      policy,
      // The double answers the bulk calls one item at a time, in order, a failure in its slot.
      directory: tenant(scenario),
      outcomes,
      sourceName: "same-refusal.jsonl",
      now: () => now,
    });
  } catch (err) {
    return { stopped: err as Error };
  }
  const recorded = await outcomes.get("backfill-same-refusal-row");
  if (!recorded) throw new Error("the backfill recorded no outcome");
  return wordingOf(recorded);
}

describe.each(scenarios)("%s", (_name, scenario, code) => {
  it("reads the same on the queue, in the helpdesk fix and in a backfill", async () => {
    const queue = await throughTheQueue(scenario);
    const fix = await throughTheFix(scenario);
    const backfill = await throughTheBackfill(scenario);
    if (queue.status === "deferred") {
      expectTheQueueToWaitForTheGrant(code, queue, fix, backfill);
      return;
    }

    expect(queue.code).toBe(code);
    expectSameOnTheFix(code, fix, queue);
    expectSameInTheBackfill(code, backfill, queue);
  });
});

/**
 * A missing permission is the one refusal the paths answer differently, by design: the queue waits for the grant
 * (deferred, code `missing_permission`: a new grant can take hours to reach the token), the fix answers the person
 * at once, and the backfill stops its run; all three name the same permission.
 */
function expectTheQueueToWaitForTheGrant(
  code: string,
  queue: Wording,
  fix: Wording | string,
  backfill: Wording | { stopped: Error },
): void {
  expect(code).toBe("privilege_check_failed");
  expect(queue.code).toBe("missing_permission");
  if (typeof fix === "string" || "stopped" in fix) throw new Error("the fix gave no outcome");
  expect(fix).toMatchObject({ status: "failed", code });
  if (!("stopped" in backfill)) throw new Error("the backfill did not stop");
  const { permission } = directoryFailureOf(backfill.stopped);
  expect(permission).toBeDefined();
  expect(queue.message).toContain(`waiting for permission ${permission}`);
  expect(fix.reason).toContain(`missing permission ${permission}`);
}

function expectSameOnTheFix(code: string, fix: Wording | string, queue: Wording): void {
  if (code === "identity_mismatch") {
    // A fix names its user by one key (`{user}`), so no two identifiers can disagree.
    expect(fix).toBe("cannot name the user this way");
    return;
  }
  if (typeof fix === "string") throw new Error(fix);
  expect(fix.code).toBe(queue.code);
  if (code === "user_ambiguous") {
    // Answered over HTTP (409) with the failure's code and reason; the queue records the same code and reason as
    // a final `rejected` event (the event names no one user; retrying changes nothing), not an outage's `failed`.
    expect(queue.status).toBe("rejected");
    expect(queue.reason).toBe(fix.reason);
    return;
  }
  if (code === "user_not_found") {
    // The queue waited USER_WAIT_HOURS first, and says so after the shared words.
    expect(queue.message).toBe(`${fix.message}; gave up after waiting 0 h (USER_WAIT_HOURS)`);
    return;
  }
  expect(fix.reason).toBe(queue.reason);
  // The fix's body is flat (`mobilePhone`), so its answer carries no event-shaped summary.
  if (code !== "phone_too_short") expect(fix).toEqual(queue);
}

function expectSameInTheBackfill(code: string, backfill: Wording | { stopped: Error }, queue: Wording): void {
  if ("stopped" in backfill) {
    // A missing permission fails every further row the same way: the run stops (exit 2) naming the same
    // permission the queue's refusal names, and no row is recorded as failed.
    expect(code).toBe("privilege_check_failed");
    const failure = directoryFailureOf(backfill.stopped);
    expect(failure).toMatchObject({ code: "missing_permission", handling: "stopRun" });
    expect(queue.reason).toContain(`missing permission ${failure.permission}`);
    return;
  }
  if (code === "user_not_found") {
    expect({
      ...backfill,
      message: `${backfill.message}; gave up after waiting 0 h (USER_WAIT_HOURS)`,
    }).toEqual(queue);
    return;
  }
  expect(backfill).toEqual(queue);
}
