import { beforeEach, describe, expect, it } from "vitest";
import type { Outcome, OutcomeStatus, PendingWrite } from "../../shared/sync/outcome.js";
import { LeaseLostError, type OutcomeLog, type UserKey } from "../../shared/sync/outcomeLog.js";

/** Fictional people and values only. */
const avery = {
  userId: "0000aaaa-0000-4000-8000-000000000147",
  userPrincipalName: "avery.lee@example.com",
  employeeId: "E-0147",
};
const blake = {
  userId: "0000bbbb-0000-4000-8000-000000000148",
  userPrincipalName: "blake.ortiz@example.com",
  employeeId: "E-0148",
};

const t0 = Date.parse("2026-11-24T10:00:00.000Z");
const at = (ms: number) => new Date(t0 + ms);
const minute = 60_000;

let sequence = 0;
/** A fresh event id per call, so no test can see another's records even on a shared table. */
const newEventId = () => `contract-${process.pid}-${++sequence}`;

function anOutcome(overrides: Partial<Outcome> = {}): Outcome {
  return {
    eventId: newEventId(),
    status: "updated",
    source: "contract-test",
    occurredAt: "2026-11-24T09:00:00.000Z",
    ...avery,
    fields: [
      { field: "mobilePhone", target: "profile", action: "set", reason: "was empty", after: "+1 425***0147" },
    ],
    errors: [],
    warnings: [],
    message: "updated: mobilePhone/profile set",
    attempts: 1,
    firstSeenAt: "2026-11-24T09:00:01.000Z",
    updatedAt: "2026-11-24T09:00:02.000Z",
    requestIds: [],
    actor: "queue",
    ...overrides,
  };
}

const deferred = (overrides: Partial<Outcome> = {}) =>
  anOutcome({
    status: "deferred",
    fields: [],
    message: "user not found yet; trying again at 2026-11-24T09:01:01.000Z",
    nextAttemptAt: "2026-11-24T09:01:01.000Z",
    ...overrides,
  });

// One note with the keyed hash of its value, one as notes were before hashes existed: both shapes are read back.
const pendingWrites: PendingWrite[] = [
  {
    field: "mobilePhone",
    target: "profile",
    action: "set",
    reason: "was empty",
    after: "+1 ***147",
    afterHash: "q3Zx1Xl0wX2dQm0aQy3M8l1b0fQvOeRz9H4kG2sJx0E",
  },
  {
    field: "alternateEmail",
    target: "profile",
    action: "set",
    reason: "alternate email was empty",
    after: "a***@example.com",
  },
];

const finalStatuses: OutcomeStatus[] = [
  "updated",
  "unchanged",
  "partial",
  "skipped",
  "rejected",
  "stale",
  "failed",
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Claims `eventId` and fails the test unless the claim succeeds; returns the token. */
async function claimed(log: OutcomeLog, eventId: string, now = at(0), leaseMs = minute): Promise<string> {
  const claim = await log.claim(eventId, leaseMs, now);
  if (claim.state !== "claimed") throw new Error(`expected to claim ${eventId}, got ${claim.state}`);
  return claim.token;
}

/**
 * The rules every OutcomeLog keeps (see shared/sync/outcomeLog.ts), run against the Table adapter and the
 * in-memory double alike. `makeLog` gives an empty log for each test.
 */
export function outcomeLogContract(name: string, makeLog: () => Promise<OutcomeLog> | OutcomeLog): void {
  describe(`${name} as an OutcomeLog`, () => {
    let log: OutcomeLog;
    beforeEach(async () => {
      log = await makeLog();
    });

    describe("reading an event", () => {
      it("has no outcome for an event it has never seen", async () => {
        expect(await log.get(newEventId())).toBeUndefined();
      });

      it("has no outcome for an event that is claimed but not recorded", async () => {
        const eventId = newEventId();
        await claimed(log, eventId);
        expect(await log.get(eventId)).toBeUndefined();
      });

      it("returns what was recorded, as a copy that later changes on either side do not reach", async () => {
        const outcome = anOutcome();
        const expected = structuredClone(outcome);
        await log.record(outcome);
        outcome.message = "changed by the caller after recording";
        const read = await log.get(outcome.eventId);
        expect(read).toEqual(expected);
        if (read) read.status = "failed";
        expect(await log.get(outcome.eventId)).toEqual(expected);
      });
    });

    describe("claiming an event", () => {
      it("claims an event nobody has taken, with a token and nothing from before", async () => {
        const claim = await log.claim(newEventId(), minute, at(0));
        expect(claim).toEqual({ state: "claimed", token: expect.any(String) });
        expect(claim.state === "claimed" && claim.token.length).toBeGreaterThan(0);
      });

      it.each([
        { later: 0, state: "busy" },
        { later: minute - 1, state: "busy" },
        { later: minute, state: "claimed" },
        { later: 10 * minute, state: "claimed" },
      ])("a second claim $later ms into a one-minute lease is $state", async ({ later, state }) => {
        const eventId = newEventId();
        await claimed(log, eventId, at(0), minute);
        const second = await log.claim(eventId, minute, at(later));
        expect(second.state).toBe(state);
        if (second.state === "busy") expect(second.leaseUntil).toEqual(at(minute));
      });

      it("lets an event be claimed again at once after it is released", async () => {
        const eventId = newEventId();
        const token = await claimed(log, eventId, at(0), 10 * minute);
        await log.release(eventId, token);
        expect((await log.claim(eventId, minute, at(1))).state).toBe("claimed");
      });

      it.each(finalStatuses)(
        "answers duplicate, with the outcome, once a %s outcome is recorded",
        async (status) => {
          const outcome = anOutcome({ status });
          const token = await claimed(log, outcome.eventId);
          await log.record(outcome, token);
          expect(await log.claim(outcome.eventId, minute, at(1))).toEqual({ state: "duplicate", outcome });
          // However long after, and whatever the lease: a final outcome is never processed again.
          expect(await log.claim(outcome.eventId, minute, at(1_000 * minute))).toEqual({
            state: "duplicate",
            outcome,
          });
        },
      );

      it("treats deferred as not final: the next claim succeeds and carries the deferred outcome", async () => {
        const outcome = deferred();
        const token = await claimed(log, outcome.eventId);
        await log.record(outcome, token);
        const claim = await log.claim(outcome.eventId, minute, at(1));
        expect(claim).toEqual({ state: "claimed", previous: outcome, token: expect.any(String) });
      });

      it("gives the lease to one of two deliveries claiming at once; the other is busy", async () => {
        const eventId = newEventId();
        const claims = await Promise.all([
          log.claim(eventId, minute, at(0)),
          log.claim(eventId, minute, at(0)),
        ]);
        expect(claims.map((claim) => claim.state).sort()).toEqual(["busy", "claimed"]);
        expect(claims.find((claim) => claim.state === "busy")).toEqual({
          state: "busy",
          leaseUntil: at(minute),
        });
      });

      it("answers busy for a deferred event while another delivery holds its lease", async () => {
        const outcome = deferred();
        await log.record(outcome);
        await claimed(log, outcome.eventId, at(0), minute);
        expect(await log.claim(outcome.eventId, minute, at(1))).toEqual({
          state: "busy",
          leaseUntil: at(minute),
        });
      });
    });

    describe("noting pending writes", () => {
      it("returns a new token, after which the one it replaced is stale", async () => {
        const eventId = newEventId();
        const first = await claimed(log, eventId);
        const second = await log.notePending(eventId, first, pendingWrites);
        expect(second).not.toBe(first);
        await expect(log.notePending(eventId, first, pendingWrites)).rejects.toBeInstanceOf(LeaseLostError);
        const third = await log.notePending(eventId, second, pendingWrites);
        expect(third).not.toBe(second);
      });

      it("hands the noted writes to the next claim after a release, the latest noted winning", async () => {
        const eventId = newEventId();
        let token = await claimed(log, eventId);
        token = await log.notePending(eventId, token, pendingWrites.slice(0, 1));
        token = await log.notePending(eventId, token, pendingWrites);
        await log.release(eventId, token);
        expect(await log.claim(eventId, minute, at(1))).toEqual({
          state: "claimed",
          pending: pendingWrites,
          token: expect.any(String),
        });
      });

      it("hands the noted writes to the delivery that takes over after the lease ran out", async () => {
        const eventId = newEventId();
        const token = await claimed(log, eventId, at(0), minute);
        await log.notePending(eventId, token, pendingWrites);
        const takeover = await log.claim(eventId, minute, at(2 * minute));
        expect(takeover).toMatchObject({ state: "claimed", pending: pendingWrites });
      });

      it("throws LeaseLostError once another delivery has claimed the event", async () => {
        const eventId = newEventId();
        const token = await claimed(log, eventId, at(0), minute);
        await claimed(log, eventId, at(2 * minute), minute);
        await expect(log.notePending(eventId, token, pendingWrites)).rejects.toBeInstanceOf(LeaseLostError);
      });

      it.each([
        {
          after: "a release",
          end: (l: OutcomeLog, id: string, token: string) => l.release(id, token),
        },
        {
          after: "a deferred record",
          end: (l: OutcomeLog, id: string, token: string) => l.record(deferred({ eventId: id }), token),
        },
        {
          after: "a final record",
          end: (l: OutcomeLog, id: string, token: string) => l.record(anOutcome({ eventId: id }), token),
        },
      ])("throws LeaseLostError for a token used before $after", async ({ end }) => {
        const eventId = newEventId();
        const token = await claimed(log, eventId);
        await end(log, eventId, token);
        await expect(log.notePending(eventId, token, pendingWrites)).rejects.toBeInstanceOf(LeaseLostError);
      });

      it("throws LeaseLostError for an event that was never claimed", async () => {
        const eventId = newEventId();
        const token = await claimed(log, eventId);
        await expect(log.notePending(newEventId(), token, pendingWrites)).rejects.toBeInstanceOf(
          LeaseLostError,
        );
      });

      it("keeps a deferred attempt's pending writes for the next claim: they are the event's own, not the user's", async () => {
        const outcome = deferred();
        let token = await claimed(log, outcome.eventId);
        token = await log.notePending(outcome.eventId, token, pendingWrites);
        await log.record(outcome, token);
        expect(await log.claim(outcome.eventId, minute, at(1))).toEqual({
          state: "claimed",
          previous: outcome,
          pending: pendingWrites,
          token: expect.any(String),
        });
      });

      it("keeps no pending writes after a final record", async () => {
        const outcome = { ...deferred(), status: "updated" as const };
        let token = await claimed(log, outcome.eventId);
        token = await log.notePending(outcome.eventId, token, pendingWrites);
        await log.record(outcome, token);
        expect(await log.claim(outcome.eventId, minute, at(1))).toEqual({ state: "duplicate", outcome });
      });
    });

    describe("releasing an event", () => {
      it("ignores a release with a stale token: the delivery that took over keeps its lease", async () => {
        const eventId = newEventId();
        const stale = await claimed(log, eventId, at(0), minute);
        const current = await claimed(log, eventId, at(2 * minute), 10 * minute);
        await expect(log.release(eventId, stale)).resolves.toBeUndefined();
        expect(await log.claim(eventId, minute, at(3 * minute))).toEqual({
          state: "busy",
          leaseUntil: at(12 * minute),
        });
        await expect(log.notePending(eventId, current, pendingWrites)).resolves.toEqual(expect.any(String));
      });

      it("keeps a deferred outcome through a release", async () => {
        const outcome = deferred();
        await log.record(outcome);
        const token = await claimed(log, outcome.eventId);
        await log.release(outcome.eventId, token);
        expect(await log.get(outcome.eventId)).toEqual(outcome);
        expect(await log.claim(outcome.eventId, minute, at(1))).toMatchObject({
          state: "claimed",
          previous: outcome,
        });
      });
    });

    describe("recording an outcome", () => {
      it("records without a claim (the HTTP fix does)", async () => {
        const outcome = anOutcome({ actor: "admin@example.com", source: "http" });
        await log.record(outcome);
        expect(await log.get(outcome.eventId)).toEqual(outcome);
      });

      it("ends the lease: a deferred event can be claimed again at once", async () => {
        const outcome = deferred();
        const token = await claimed(log, outcome.eventId, at(0), 10 * minute);
        await log.record(outcome, token);
        expect((await log.claim(outcome.eventId, minute, at(1))).state).toBe("claimed");
      });

      it.each([
        {
          how: "both without a token",
          second: "kept quietly",
          write: async (l: OutcomeLog, first: Outcome, second: Outcome) => {
            await l.record(first);
            await l.record(second);
          },
        },
        {
          how: "both with the same token",
          second: "refused with LeaseLostError",
          write: async (l: OutcomeLog, first: Outcome, second: Outcome) => {
            const token = await claimed(l, first.eventId);
            await l.record(first, token);
            await l.record(second, token);
          },
        },
        {
          how: "the second by a delivery whose lease ran out",
          second: "refused with LeaseLostError",
          write: async (l: OutcomeLog, first: Outcome, second: Outcome) => {
            const late = await claimed(l, first.eventId, at(0), minute);
            const current = await claimed(l, first.eventId, at(2 * minute), minute);
            await l.record(first, current);
            await l.record(second, late);
          },
        },
        {
          how: "the first without a claim, the second with a token taken before it",
          second: "refused with LeaseLostError",
          write: async (l: OutcomeLog, first: Outcome, second: Outcome) => {
            const token = await claimed(l, first.eventId);
            await l.record(first);
            await l.record(second, token);
          },
        },
      ])(
        "keeps the first final outcome when a second is recorded $how: the second is $second",
        async ({ write, second: answer }) => {
          const first = anOutcome({ status: "updated" });
          const second = anOutcome({
            eventId: first.eventId,
            status: "failed",
            message: "a second final record",
          });
          const written = write(log, first, second);
          if (answer === "kept quietly") await written;
          else await expect(written).rejects.toBeInstanceOf(LeaseLostError);
          expect(await log.get(first.eventId)).toEqual(first);
          expect(await log.listByUser({ kind: "id", value: avery.userId }, 10)).toEqual([first]);
          expect(await log.claim(first.eventId, minute, at(10 * minute))).toEqual({
            state: "duplicate",
            outcome: first,
          });
          // The refused record is no attempt of the event: it was never stored.
          expect(await log.attemptsOf(first.eventId, 10)).toEqual([first]);
        },
      );

      it("accepts the same final record again with the same token (a retry of a write whose answer was lost)", async () => {
        const outcome = anOutcome();
        const token = await claimed(log, outcome.eventId);
        await log.record(outcome, token);
        await expect(log.record(structuredClone(outcome), token)).resolves.toBeUndefined();
        expect(await log.get(outcome.eventId)).toEqual(outcome);
      });

      it("accepts the same deferred record again with its token (a retry of a write whose answer was lost)", async () => {
        const waiting = deferred();
        const token = await claimed(log, waiting.eventId);
        await log.record(waiting, token);
        await expect(log.record(structuredClone(waiting), token)).resolves.toBeUndefined();
        expect(await log.get(waiting.eventId)).toEqual(waiting);
        expect(await log.attemptsOf(waiting.eventId, 10)).toEqual([waiting]);
      });

      it("lets a record without a token take over an event a delivery holds: that delivery's token is stale", async () => {
        const eventId = newEventId();
        const token = await claimed(log, eventId, at(0), 10 * minute);
        const rejected = anOutcome({ eventId, status: "rejected", actor: "admin@example.com" });
        await log.record(rejected);
        await expect(log.notePending(eventId, token, pendingWrites)).rejects.toBeInstanceOf(LeaseLostError);
        await expect(log.record(anOutcome({ eventId }), token)).rejects.toBeInstanceOf(LeaseLostError);
        expect(await log.get(eventId)).toEqual(rejected);
      });

      it("keeps one of two final records written at once without a token, and only that one", async () => {
        const first = anOutcome({ status: "updated" });
        const second = anOutcome({
          eventId: first.eventId,
          status: "failed",
          message: "written at the same time",
        });
        await Promise.all([log.record(first), log.record(second)]);
        const kept = await log.get(first.eventId);
        expect([first, second]).toContainEqual(kept);
        expect(await log.attemptsOf(first.eventId, 10)).toEqual([kept]);
        expect(await log.listByUser({ kind: "id", value: avery.userId }, 10)).toEqual([kept]);
      });

      it("refuses a record with a token the event no longer has, leaving the live delivery its lease and noted writes", async () => {
        const eventId = newEventId();
        const late = await claimed(log, eventId, at(0), minute);
        let current = await claimed(log, eventId, at(2 * minute), 10 * minute);
        current = await log.notePending(eventId, current, pendingWrites);
        await expect(
          log.record(deferred({ eventId, message: "written with a stale token" }), late),
        ).rejects.toBeInstanceOf(LeaseLostError);
        expect(await log.get(eventId)).toBeUndefined();
        expect(await log.claim(eventId, minute, at(3 * minute))).toEqual({
          state: "busy",
          leaseUntil: at(12 * minute),
        });
        await log.release(eventId, current);
        expect(await log.claim(eventId, minute, at(4 * minute))).toMatchObject({
          state: "claimed",
          pending: pendingWrites,
        });
      });

      it("refuses a record with a stale token over a deferred record, which stays", async () => {
        const waiting = deferred();
        const late = await claimed(log, waiting.eventId, at(0), minute);
        await log.record(waiting, await claimed(log, waiting.eventId, at(2 * minute), minute));
        await expect(
          log.record(anOutcome({ eventId: waiting.eventId, status: "failed" }), late),
        ).rejects.toBeInstanceOf(LeaseLostError);
        expect(await log.get(waiting.eventId)).toEqual(waiting);
      });

      it("refuses a record with a token for an event that has no row", async () => {
        const token = await claimed(log, newEventId());
        await expect(log.record(anOutcome(), token)).rejects.toBeInstanceOf(LeaseLostError);
      });

      it("lets a record without a token replace a deferred record, as the helpdesk fix and rejections do", async () => {
        const waiting = deferred();
        await log.record(waiting);
        const fixed = anOutcome({ eventId: waiting.eventId, actor: "admin@example.com" });
        await log.record(fixed);
        expect(await log.get(waiting.eventId)).toEqual(fixed);
      });

      it("replaces a deferred outcome with the final one", async () => {
        const waiting = deferred();
        const done = anOutcome({ eventId: waiting.eventId, attempts: 2 });
        await log.record(waiting, await claimed(log, waiting.eventId));
        await log.record(done, await claimed(log, waiting.eventId, at(1)));
        expect(await log.get(done.eventId)).toEqual(done);
      });

      it("never turns a final outcome back into a deferred one", async () => {
        const done = anOutcome();
        await log.record(done);
        await log.record(deferred({ eventId: done.eventId }));
        expect(await log.get(done.eventId)).toEqual(done);
      });
    });

    describe("listing a user's outcomes", () => {
      const keysOf = (user: typeof avery): Array<[string, UserKey]> => [
        ["object id", { kind: "id", value: user.userId }],
        ["UPN", { kind: "upn", value: user.userPrincipalName }],
        ["employeeId", { kind: "employeeId", value: user.employeeId }],
      ];

      it.each(keysOf(avery))("finds an outcome by the user's %s, in any letter case", async (_, key) => {
        const outcome = anOutcome();
        await log.record(outcome);
        for (const value of [key.value, key.value.toUpperCase(), key.value.toLowerCase()]) {
          expect(await log.listByUser({ kind: key.kind, value }, 10)).toEqual([outcome]);
        }
      });

      it("does not find an outcome under another kind of key with the same value", async () => {
        await log.record(anOutcome());
        expect(await log.listByUser({ kind: "employeeId", value: avery.userPrincipalName }, 10)).toEqual([]);
        expect(await log.listByUser({ kind: "upn", value: avery.userId }, 10)).toEqual([]);
      });

      it("lists only the outcomes that name the user", async () => {
        const mine = anOutcome();
        const theirs = anOutcome({ ...blake });
        const nobodys = anOutcome({
          status: "rejected",
          userId: undefined,
          userPrincipalName: undefined,
          employeeId: undefined,
        });
        await Promise.all([log.record(mine), log.record(theirs), log.record(nobodys)]);
        expect(await log.listByUser({ kind: "upn", value: avery.userPrincipalName }, 10)).toEqual([mine]);
        expect(await log.listByUser({ kind: "upn", value: blake.userPrincipalName }, 10)).toEqual([theirs]);
      });

      it("lists only the keys an outcome has: one without a userId is found by UPN, not by id", async () => {
        const outcome = deferred({ userId: undefined, employeeId: undefined });
        await log.record(outcome);
        expect(await log.listByUser({ kind: "upn", value: avery.userPrincipalName }, 10)).toEqual([outcome]);
        expect(await log.listByUser({ kind: "id", value: avery.userId }, 10)).toEqual([]);
      });

      describe("latest first", () => {
        const seen = ["2026-11-20T08:00:00.000Z", "2026-11-22T08:00:00.000Z", "2026-11-24T08:00:00.000Z"];
        let newestFirst: Outcome[];
        beforeEach(async () => {
          const outcomes = seen.map((firstSeenAt) => anOutcome({ firstSeenAt, updatedAt: firstSeenAt }));
          // Recorded out of order: the order comes from when each event was first seen, not when it was written.
          for (const index of [1, 2, 0]) await log.record(outcomes[index] as Outcome);
          newestFirst = [...outcomes].reverse();
        });

        it.each([
          { top: 1, count: 1 },
          { top: 2, count: 2 },
          { top: 3, count: 3 },
          { top: 20, count: 3 },
        ])("lists the newest $count when asked for the top $top", async ({ top, count }) => {
          expect(await log.listByUser({ kind: "id", value: avery.userId }, top)).toEqual(
            newestFirst.slice(0, count),
          );
        });
      });

      it("keeps one entry per event: its deferred record is replaced by the final one", async () => {
        const waiting = deferred();
        const done = anOutcome({
          eventId: waiting.eventId,
          attempts: 2,
          updatedAt: "2026-11-24T09:05:00.000Z",
        });
        await log.record(waiting, await claimed(log, waiting.eventId));
        await log.record(done, await claimed(log, waiting.eventId, at(1)));
        expect(await log.listByUser({ kind: "employeeId", value: avery.employeeId }, 10)).toEqual([done]);
      });
      it("lists an event only under the keys its latest record has: a deferred entry under an old UPN goes", async () => {
        const waiting = deferred({ userPrincipalName: "avery.old@example.com", userId: undefined });
        const done = anOutcome({ eventId: waiting.eventId, attempts: 2 });
        await log.record(waiting, await claimed(log, waiting.eventId));
        await log.record(done, await claimed(log, waiting.eventId, at(1)));
        expect(await log.listByUser({ kind: "upn", value: "avery.old@example.com" }, 10)).toEqual([]);
        expect(await log.listByUser({ kind: "upn", value: avery.userPrincipalName }, 10)).toEqual([done]);
        expect(await log.listByUser({ kind: "employeeId", value: avery.employeeId }, 10)).toEqual([done]);
      });

      it.each([0, -1, 101, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
        "refuses to list the top %s (a whole number from 1 to 100)",
        async (top) => {
          await log.record(anOutcome());
          await expect(log.listByUser({ kind: "id", value: avery.userId }, top)).rejects.toBeInstanceOf(
            RangeError,
          );
        },
      );

      it("lists up to the top 100", async () => {
        const outcome = anOutcome();
        await log.record(outcome);
        expect(await log.listByUser({ kind: "id", value: avery.userId }, 100)).toEqual([outcome]);
      });
    });

    describe("an event's attempts", () => {
      it("lists none for an event it has never seen", async () => {
        expect(await log.attemptsOf(newEventId(), 10)).toEqual([]);
      });

      it("lists a deferred record and the final one that replaced it, latest first", async () => {
        const waiting = deferred();
        const done = anOutcome({
          eventId: waiting.eventId,
          attempts: 2,
          updatedAt: "2026-11-24T09:05:00.000Z",
        });
        await log.record(waiting, await claimed(log, waiting.eventId));
        await log.record(done, await claimed(log, waiting.eventId, at(1)));
        expect(await log.attemptsOf(waiting.eventId, 10)).toEqual([done, waiting]);
        expect(await log.attemptsOf(waiting.eventId, 1)).toEqual([done]);
      });

      it("keeps one attempt for a final record sent again with its token", async () => {
        const outcome = anOutcome();
        const token = await claimed(log, outcome.eventId);
        await log.record(outcome, token);
        await log.record(structuredClone(outcome), token);
        expect(await log.attemptsOf(outcome.eventId, 10)).toEqual([outcome]);
      });

      it.each([0, 101, 2.5])("refuses to list the top %s attempts", async (top) => {
        await expect(log.attemptsOf(newEventId(), top)).rejects.toBeInstanceOf(RangeError);
      });

      it("lets an earlier attempt age out on its own date while the event's latest record stays", async () => {
        const first = anOutcome({ status: "failed", fields: [] });
        await log.recordMany([first]);
        await sleep(50);
        const cutoff = new Date();
        await sleep(50);
        const rerun = anOutcome({
          eventId: first.eventId,
          firstSeenAt: "2026-11-24T12:00:00.000Z",
          updatedAt: "2026-11-24T12:00:00.000Z",
        });
        await log.recordMany([rerun]);
        expect(await log.deleteOlderThan(cutoff)).toBe(0);
        expect(await log.get(first.eventId)).toEqual(rerun);
        expect(await log.attemptsOf(first.eventId, 10)).toEqual([rerun]);
        expect(await log.listByUser({ kind: "id", value: avery.userId }, 10)).toEqual([rerun]);
      });

      it("keeps the attempts of an event that is still deferred", async () => {
        const waiting = deferred();
        await log.record(waiting);
        await sleep(50);
        expect(await log.deleteOlderThan(new Date(Date.now() + 1))).toBe(0);
        expect(await log.attemptsOf(waiting.eventId, 10)).toEqual([waiting]);
      });
    });

    describe("the last event applied to a user", () => {
      it("is unknown for a user nothing was applied to", async () => {
        expect(await log.lastAppliedAt(avery.userId)).toBeUndefined();
      });

      it.each([
        {
          order: "in order",
          applied: ["2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z"],
          last: "2026-11-24T11:00:00Z",
        },
        {
          order: "newest first",
          applied: ["2026-11-24T11:00:00Z", "2026-11-24T10:00:00Z"],
          last: "2026-11-24T11:00:00Z",
        },
        {
          order: "with offsets, compared as instants",
          applied: ["2026-11-24T11:30:00Z", "2026-11-24T12:00:00+01:00"],
          last: "2026-11-24T11:30:00Z",
        },
        {
          order: "the same instant twice, keeping the first text",
          applied: ["2026-11-24T11:00:00Z", "2026-11-24T12:00:00+01:00"],
          last: "2026-11-24T11:00:00Z",
        },
      ])("keeps the newest when applied $order", async ({ applied, last }) => {
        for (const occurredAt of applied) await log.markApplied(avery.userId, occurredAt);
        expect(await log.lastAppliedAt(avery.userId)).toBe(last);
      });

      it("reads the user id without regard to case, and keeps users apart", async () => {
        await log.markApplied(avery.userId.toUpperCase(), "2026-11-24T10:00:00Z");
        expect(await log.lastAppliedAt(avery.userId)).toBe("2026-11-24T10:00:00Z");
        expect(await log.lastAppliedAt(blake.userId)).toBeUndefined();
      });
      it("keeps the newest time when several are noted at once, in either order", async () => {
        const users = Array.from(
          { length: 12 },
          (_, n) => `0000cccc-0000-4000-8000-${String(n).padStart(12, "0")}`,
        );
        const newer = "2026-11-24T11:00:00.000Z";
        const older = "2026-11-24T10:00:00.000Z";
        await Promise.all(
          users.flatMap((userId, n) => {
            const times = n % 2 === 0 ? [newer, older, older] : [older, older, newer];
            return times.map((occurredAt) => log.markApplied(userId, occurredAt));
          }),
        );
        for (const userId of users) expect(await log.lastAppliedAt(userId)).toBe(newer);
      });
    });

    describe("deleting old records", () => {
      it("deletes nothing when every record is newer than the cutoff", async () => {
        const outcome = anOutcome();
        await log.record(outcome);
        expect(await log.deleteOlderThan(new Date(Date.now() - 60_000))).toBe(0);
        expect(await log.get(outcome.eventId)).toEqual(outcome);
      });

      it("deletes final records written before the cutoff and keeps deferred, in-progress and newer ones", async () => {
        const old = anOutcome({ ...blake });
        const waiting = deferred({ ...blake });
        const inProgress = newEventId();
        await log.record(old);
        await log.record(waiting);
        await claimed(log, inProgress, new Date(), 60 * minute);
        // The cutoff is wall-clock time: the table compares it with the server's last-modified stamp.
        await sleep(50);
        const cutoff = new Date();
        await sleep(50);
        const recent = anOutcome({ ...blake });
        await log.record(recent);

        expect(await log.deleteOlderThan(cutoff)).toBe(1);
        expect(await log.get(old.eventId)).toBeUndefined();
        expect(await log.get(waiting.eventId)).toEqual(waiting);
        expect(await log.get(recent.eventId)).toEqual(recent);
        expect((await log.claim(inProgress, minute, new Date())).state).toBe("busy");
        const listed = await log.listByUser({ kind: "id", value: blake.userId }, 10);
        expect(listed.map((o) => o.eventId).sort()).toEqual([waiting.eventId, recent.eventId].sort());
      });
    });

    describe("deleting old records: what else retention keeps and cleans", () => {
      const everything = () => new Date(Date.now() + 1);

      it("returns the number of events it deleted, not of rows", async () => {
        await log.record(anOutcome());
        await log.record(anOutcome({ ...blake }));
        await log.markApplied(avery.userId, "2026-11-24T09:00:00Z");
        await sleep(50);
        expect(await log.deleteOlderThan(everything())).toBe(2);
      });

      it("keeps a user's last-applied time, so the out-of-order guard still knows the user after quiet days", async () => {
        await log.markApplied(avery.userId, "2026-11-24T09:00:00Z");
        await log.record(anOutcome());
        await sleep(50);
        await log.deleteOlderThan(everything());
        expect(await log.lastAppliedAt(avery.userId)).toBe("2026-11-24T09:00:00Z");
      });

      it("leaves nothing listed under any key a deleted event ever had", async () => {
        const waiting = deferred({ userPrincipalName: "avery.old@example.com", employeeId: "E-OLD-0147" });
        const done = anOutcome({ eventId: waiting.eventId, attempts: 2 });
        await log.record(waiting, await claimed(log, waiting.eventId));
        await log.record(done, await claimed(log, waiting.eventId, at(1)));
        await sleep(50);
        expect(await log.deleteOlderThan(everything())).toBe(1);
        for (const key of [
          { kind: "upn", value: "avery.old@example.com" },
          { kind: "employeeId", value: "E-OLD-0147" },
          { kind: "upn", value: avery.userPrincipalName },
          { kind: "id", value: avery.userId },
        ] as const) {
          expect(await log.listByUser(key, 10)).toEqual([]);
        }
      });

      it("deletes an event recorded in a batch with all its entries", async () => {
        const outcomes = [anOutcome(), anOutcome({ ...blake }), anOutcome({ status: "rejected" })];
        await log.recordMany(outcomes);
        await sleep(50);
        expect(await log.deleteOlderThan(everything())).toBe(3);
        expect(await log.listByUser({ kind: "id", value: avery.userId }, 10)).toEqual([]);
        for (const outcome of outcomes) expect(await log.get(outcome.eventId)).toBeUndefined();
      });
    });

    describe("recording a batch of outcomes (the backfill's)", () => {
      it("records each outcome, found by event id and under each of its user keys, latest first", async () => {
        const older = anOutcome({ firstSeenAt: "2026-11-20T08:00:00.000Z" });
        const newer = anOutcome({ firstSeenAt: "2026-11-22T08:00:00.000Z" });
        const theirs = anOutcome({ ...blake });
        const nobodys = anOutcome({
          status: "rejected",
          userId: undefined,
          userPrincipalName: undefined,
          employeeId: undefined,
        });
        expect(await log.recordMany([older, theirs, nobodys, newer])).toEqual([
          undefined,
          undefined,
          undefined,
          undefined,
        ]);
        for (const outcome of [older, newer, theirs, nobodys]) {
          expect(await log.get(outcome.eventId)).toEqual(outcome);
        }
        expect(await log.listByUser({ kind: "upn", value: avery.userPrincipalName }, 10)).toEqual([
          newer,
          older,
        ]);
        expect(await log.listByUser({ kind: "employeeId", value: blake.employeeId }, 10)).toEqual([theirs]);
      });

      it("records nothing for an empty batch", async () => {
        expect(await log.recordMany([])).toEqual([]);
      });

      it("records many outcomes of many users at once", async () => {
        const outcomes = Array.from({ length: 60 }, (_, n) =>
          anOutcome({
            userId: `0000dddd-0000-4000-8000-${String(n).padStart(12, "0")}`,
            userPrincipalName: `user${n}@example.com`,
            employeeId: `E-${n}`,
          }),
        );
        expect((await log.recordMany(outcomes)).every((result) => result === undefined)).toBe(true);
        for (const outcome of [outcomes[0], outcomes[29], outcomes[59]] as Outcome[]) {
          expect(await log.get(outcome.eventId)).toEqual(outcome);
          expect(await log.listByUser({ kind: "upn", value: outcome.userPrincipalName ?? "" }, 10)).toEqual([
            outcome,
          ]);
        }
      });

      it("makes each outcome its event's record over a final or a deferred one, and keeps the earlier one as an attempt", async () => {
        const done = anOutcome();
        const waiting = deferred({ userPrincipalName: "avery.old@example.com" });
        await log.record(done);
        await log.record(waiting);
        const rerun = { firstSeenAt: "2026-11-25T09:00:00.000Z", updatedAt: "2026-11-25T09:00:00.000Z" };
        const again = anOutcome({ eventId: done.eventId, status: "failed", ...rerun });
        const now = anOutcome({ eventId: waiting.eventId, ...rerun });
        const fresh = anOutcome();
        expect(await log.recordMany([again, now, fresh])).toEqual([undefined, undefined, undefined]);
        expect(await log.get(done.eventId)).toEqual(again);
        expect(await log.get(waiting.eventId)).toEqual(now);
        expect(await log.get(fresh.eventId)).toEqual(fresh);
        expect(await log.attemptsOf(done.eventId, 10)).toEqual([again, done]);
        expect(await log.attemptsOf(waiting.eventId, 10)).toEqual([now, waiting]);
        // The earlier attempt stays listed under the key it had.
        expect(await log.listByUser({ kind: "upn", value: "avery.old@example.com" }, 10)).toEqual([waiting]);
        expect(await log.claim(done.eventId, minute, at(10 * minute))).toEqual({
          state: "duplicate",
          outcome: again,
        });
      });

      it("records a failed run and its successful rerun: the rerun decides, the failure stays visible by user and by event", async () => {
        const failed = anOutcome({
          eventId: `backfill-${newEventId()}`,
          status: "failed",
          fields: [],
          message: "could not read the user after retries (transient); run the backfill again for this row",
          source: "backfill",
          actor: "backfill",
        });
        const rerun = anOutcome({
          eventId: failed.eventId,
          source: "backfill",
          actor: "backfill",
          firstSeenAt: "2026-11-24T11:00:00.000Z",
          updatedAt: "2026-11-24T11:00:00.000Z",
        });
        await log.recordMany([failed]);
        await log.recordMany([rerun]);
        expect(await log.get(failed.eventId)).toEqual(rerun);
        expect(await log.attemptsOf(failed.eventId, 10)).toEqual([rerun, failed]);
        expect(await log.listByUser({ kind: "id", value: avery.userId }, 10)).toEqual([rerun, failed]);
      });

      it("takes two outcomes of one event in batch order: the later decides, both are attempts", async () => {
        const first = anOutcome();
        const second = anOutcome({
          eventId: first.eventId,
          status: "failed",
          updatedAt: "2026-11-24T09:00:03.000Z",
        });
        expect(await log.recordMany([first, second])).toEqual([undefined, undefined]);
        expect(await log.get(first.eventId)).toEqual(second);
        expect(await log.attemptsOf(first.eventId, 10)).toEqual([second, first]);
      });

      it("keeps one attempt when the same outcome is recorded twice (a batch sent again)", async () => {
        const outcome = anOutcome();
        await log.recordMany([outcome]);
        await log.recordMany([structuredClone(outcome)]);
        expect(await log.attemptsOf(outcome.eventId, 10)).toEqual([outcome]);
        expect(await log.listByUser({ kind: "id", value: avery.userId }, 10)).toEqual([outcome]);
      });

      it("replaces a deferred outcome in the same batch by its final one", async () => {
        const waiting = deferred();
        const done = anOutcome({ eventId: waiting.eventId, updatedAt: "2026-11-24T09:05:00.000Z" });
        await log.recordMany([waiting, done]);
        expect(await log.get(waiting.eventId)).toEqual(done);
      });

      it("takes over an event a delivery holds, as record() without a token does: that delivery's record is refused", async () => {
        const eventId = newEventId();
        const token = await claimed(log, eventId, at(0), 10 * minute);
        const batch = anOutcome({ eventId, source: "backfill", actor: "backfill" });
        expect(await log.recordMany([batch])).toEqual([undefined]);
        await expect(log.record(anOutcome({ eventId }), token)).rejects.toBeInstanceOf(LeaseLostError);
        expect(await log.get(eventId)).toEqual(batch);
      });
    });
  });
}
