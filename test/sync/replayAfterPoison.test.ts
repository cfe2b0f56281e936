import { describe, expect, it } from "vitest";
import { reopenFailedEvent } from "../../shared/sync/reopenFailedEvent.js";
import { type SyncDeps, syncContactEvent } from "../../shared/sync/syncContactEvent.js";
import { graphError, MemoryDirectory } from "../doubles/memoryDirectory.js";
import { MemoryEventQueue } from "../doubles/memoryEventQueue.js";
import { MemoryOutcomeLog } from "../doubles/memoryOutcomeLog.js";
import { aPolicy, aUser } from "../support/factories.js";

// Graph was down for longer than the retries: the event's last attempt gave up and its message went to the poison
// queue. After the fix, replay-poison reopens the event and puts the message back; this is what happens next.
const avery = aUser({
  id: "0000aaaa-0000-4000-8000-000000000147",
  userPrincipalName: "avery.lee@example.com",
  mail: "avery.lee@example.com",
});
const event = {
  eventId: "replay-1",
  source: "test",
  occurredAt: "2026-11-24T09:00:00.000Z",
  user: { userPrincipalName: avery.userPrincipalName },
  country: "US",
  contact: { mobilePhone: "(425) 555-0147" },
};

function pipeline() {
  let now = Date.parse("2026-11-24T10:00:00.000Z");
  const clock = () => new Date(now);
  const directory = new MemoryDirectory([avery]);
  const outcomes = new MemoryOutcomeLog({ clock });
  const deps: SyncDeps = {
    directory,
    outcomes,
    queue: new MemoryEventQueue(clock),
    rules: { phoneValidation: "valid", organizationDomains: [] },
    policy: aPolicy(),
    userWaitHours: 72,
    newHireDays: 0,
    now: clock,
  };
  return { directory, outcomes, deps, later: (ms: number) => (now += ms), clock };
}

async function givenUp(p: ReturnType<typeof pipeline>) {
  p.directory.failNext("updateProfile", graphError("updateProfile", 503, "Service unavailable"));
  await expect(syncContactEvent(event, { dequeueCount: 5, maxDequeueCount: 5 }, p.deps)).rejects.toThrow();
  expect(await p.outcomes.get(event.eventId)).toMatchObject({ status: "failed" });
}

describe("replaying a poisoned message after a fix", () => {
  it("processes the event again once reopened, keeping the failure as an earlier attempt", async () => {
    const p = pipeline();
    await givenUp(p);
    p.later(3_600_000);
    expect(await reopenFailedEvent(p.outcomes, event.eventId, { now: p.clock(), dryRun: false })).toEqual({
      state: "reopened",
    });
    // The host picks the replayed message up a moment later.
    p.later(1_000);
    const outcome = await syncContactEvent(event, { dequeueCount: 1, maxDequeueCount: 5 }, p.deps);
    expect(outcome).toMatchObject({ status: "updated" });
    expect(p.directory.user(avery.id)?.mobilePhone).toBe("+1 4255550147");
    expect((await p.outcomes.attemptsOf(event.eventId, 10)).map((o) => o.status)).toEqual([
      "updated",
      "deferred",
      "failed",
    ]);
  });

  it("without the reopening, takes the replayed message for a duplicate of the failure", async () => {
    const p = pipeline();
    await givenUp(p);
    const outcome = await syncContactEvent(event, { dequeueCount: 1, maxDequeueCount: 5 }, p.deps);
    expect(outcome.status).toBe("failed");
    expect(p.directory.user(avery.id)?.mobilePhone).toBeFalsy();
  });

  it.each([
    ["no record", undefined, { state: "new" }],
    ["an event already updated", "updated", { state: "finished", status: "updated" }],
  ] as const)("leaves %s alone", async (_, status, found) => {
    const p = pipeline();
    if (status) await syncContactEvent(event, { dequeueCount: 1, maxDequeueCount: 5 }, p.deps);
    expect(await reopenFailedEvent(p.outcomes, event.eventId, { now: p.clock(), dryRun: false })).toEqual(
      found,
    );
    expect((await p.outcomes.attemptsOf(event.eventId, 10)).length).toBe(status ? 1 : 0);
  });

  it("only reads in a dry run", async () => {
    const p = pipeline();
    await givenUp(p);
    expect(await reopenFailedEvent(p.outcomes, event.eventId, { now: p.clock(), dryRun: true })).toEqual({
      state: "reopened",
    });
    expect(await p.outcomes.get(event.eventId)).toMatchObject({ status: "failed" });
  });
});
