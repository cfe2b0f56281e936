import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { loadSettings } from "../../shared/app/config.js";
import { policyFrom } from "../../shared/app/ruleOptions.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { WriteLimiter } from "../../shared/graph/writeLimiter.js";
import { applyPlans } from "../../shared/sync/applyPlans.js";
import { oneUserDirectory } from "../../shared/sync/oneUserDirectory.js";
import { planSync } from "../../shared/sync/syncPlanner.js";
import { directoryFor, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";
import { type ManualClock, manualClock } from "../support/manualClock.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";

// Privilege is checked before a plan is made, and a write may leave minutes later: behind Graph's write budget, after
// a 429's Retry-After. Whoever is made an admin in between must still not be written. So each write is checked once
// more when it goes out, against a picture no older than PRIVILEGE_MAX_AGE_SECONDS, and a stopped run sends nothing
// that was still waiting.

let emulator: GraphEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ tenant: pipelineTenant() });
});
beforeEach(() => resetEmulator(emulator));
afterAll(async () => emulator?.close());

const mobile = "+1 4255550147";
/**
 * A one-token bucket refilled in `ms` of the manual clock, its token already taken: the next write waits until
 * the test moves the clock that far. The directory reads the same clock for its picture's age.
 */
async function emptyBucket(ms: number, clock: ManualClock): Promise<WriteLimiter> {
  const limiter = new WriteLimiter({ budget: 1, windowMs: ms, clock });
  await limiter.acquire(1);
  return limiter;
}
/** Resolves once the write has reached the limiter and waits there for budget. */
const waitingForBudget = (clock: ManualClock) => vi.waitFor(() => expect(clock.sleeping()).toBe(1));
/** Makes the user a Global Administrator, as an admin would in the portal. */
function promote(id: string): void {
  const user = emulator.tenant.find(id);
  if (!user) throw new Error(`no user ${id}`);
  user.adminRoles.push("Global Administrator");
}
const writesSent = () => Object.keys(emulator.stats.writes);
const pictureReads = () => emulator.stats.batchItems["GET roleAssignments"] ?? 0;

describe("a write that waited for Graph's budget", () => {
  it("is checked again when it goes out, and not sent to a user who became an admin while it waited", async () => {
    const clock = manualClock(Date.now());
    const limiter = await emptyBucket(1_500, clock);
    const directory = directoryFor(emulator, { limiter, privilegeMaxAgeMs: 200, now: clock.now });
    expect(await directory.privilegeOf(users.newHire.id)).toEqual({ privileged: false });
    const write = directory.updateProfile(users.newHire.id, { mobilePhone: mobile });
    await waitingForBudget(clock);
    await clock.advance(300);
    promote(users.newHire.id);
    await clock.advance(1_200);

    await expect(write).rejects.toMatchObject({ kind: DirectoryErrorKind.privilegedTarget });
    expect(writesSent()).toEqual([]);
    expect(emulator.tenant.user(users.newHire.id)?.mobilePhone).toBeNull();
    // The plan's picture, then a fresh one at the moment of writing.
    expect(pictureReads()).toBe(2);
  });

  it("ends the field skipped with privileged_account, as if the guard had refused it first", async () => {
    const clock = manualClock(Date.now());
    const limiter = await emptyBucket(1_500, clock);
    const directory = directoryFor(emulator, { limiter, privilegeMaxAgeMs: 200, now: clock.now });
    const user = await directory.findUser({ id: users.newHire.id });
    if (!user) throw new Error("no user");
    const plan = planSync({
      user,
      contact: { mobilePhone: mobile },
      policy: policyFrom(loadSettings({})),
    });
    const applied = applyPlans(oneUserDirectory(directory), [{ userId: user.id, plan }]).then(([one]) => one);
    await waitingForBudget(clock);
    await clock.advance(300);
    promote(users.newHire.id);
    await clock.advance(1_200);
    expect((await applied)?.fields).toMatchObject([
      { field: "mobilePhone", target: "profile", action: "skipped", code: "privileged_account" },
    ]);
    expect(writesSent()).toEqual([]);
  });

  it("in a $batch, holds back only the item for the new admin; the others are written", async () => {
    const clock = manualClock(Date.now());
    const limiter = await emptyBucket(1_500, clock);
    const directory = directoryFor(emulator, { limiter, privilegeMaxAgeMs: 200, now: clock.now });
    await directory.privilegeOfMany([users.newHire.id, users.reformat.id]);
    const writes = directory.updateProfiles([
      { userId: users.newHire.id, patch: { mobilePhone: mobile } },
      { userId: users.reformat.id, patch: { mobilePhone: mobile } },
    ]);
    await waitingForBudget(clock);
    await clock.advance(300);
    promote(users.newHire.id);
    // Chunks hold no more writes than the bucket (one): two $batch requests served in turn, the second 1.5 s later.
    await clock.advance(3_000);
    const [promoted, ordinary] = await writes;
    expect(promoted).toMatchObject({ kind: DirectoryErrorKind.privilegedTarget });
    expect(ordinary).toBeUndefined();
    expect(writesSent()).toEqual([users.reformat.id]);
  });

  it("reuses a picture younger than the bound: a write right after the check costs no read", async () => {
    const directory = directoryFor(emulator, { privilegeMaxAgeMs: 60_000 });
    await directory.privilegeOf(users.newHire.id);
    await directory.updateProfile(users.newHire.id, { mobilePhone: mobile });
    expect(pictureReads()).toBe(1);
    expect(writesSent()).toEqual([users.newHire.id]);
  });

  it("is never sent to an admin, even when no check came before it", async () => {
    const directory = directoryFor(emulator);
    await expect(
      directory.updateProfile(users.eligibleAdmin.id, { mobilePhone: mobile }),
    ).rejects.toMatchObject({
      kind: DirectoryErrorKind.privilegedTarget,
    });
    const [answer] = await directory.writeAuthMethods([
      { userId: users.groupAdmin.id, kind: "addPhone", phoneType: "mobile", phoneNumber: mobile },
    ]);
    expect(answer).toMatchObject({ kind: DirectoryErrorKind.privilegedTarget });
    expect(writesSent()).toEqual([]);
  });
});

describe("a write that names its user by UPN", () => {
  it("is refused for good (the picture knows object ids), never retried as if Graph were down", async () => {
    const err = await directoryFor(emulator)
      .updateProfile(users.newHire.userPrincipalName, { mobilePhone: mobile })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ kind: DirectoryErrorKind.invalidRequest, retryable: false });
    expect(writesSent()).toEqual([]);
  });
});

describe("a run that is stopped (Ctrl-C)", () => {
  it("drops the writes still waiting for budget instead of sending them after the stop", async () => {
    const stop = new AbortController();
    const clock = manualClock(Date.now());
    const limiter = await emptyBucket(1_000, clock);
    const directory = directoryFor(emulator, { limiter, stopSignal: stop.signal, now: clock.now });
    const writes = directory.updateProfiles([
      { userId: users.newHire.id, patch: { mobilePhone: mobile } },
      { userId: users.reformat.id, patch: { mobilePhone: mobile } },
    ]);
    await waitingForBudget(clock);
    await clock.advance(100);
    stop.abort();
    await clock.advance(2_000);
    expect(await writes).toMatchObject([
      { kind: DirectoryErrorKind.notSent },
      { kind: DirectoryErrorKind.notSent },
    ]);
    expect(writesSent()).toEqual([]);
  });
});
