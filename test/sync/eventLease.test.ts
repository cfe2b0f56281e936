import { describe, expect, it } from "vitest";
import {
  type EventRecord,
  eventLease,
  type LeaseWrite,
  type RecordDecision,
} from "../../shared/sync/eventLease.js";
import type { FieldOutcome, Outcome, OutcomeStatus } from "../../shared/sync/outcome.js";
import { type Claim, LeaseLostError } from "../../shared/sync/outcomeLog.js";

// The lease's decisions, state × request → decision, with no store: what each store then carries out is the
// contract suite's (test/contracts/outcomeLogContract.ts). Fictional data only.

const now = new Date("2026-11-24T10:00:00.000Z");
const minute = 60_000;
const leaseMs = minute;
const later = (ms: number) => now.getTime() + ms;

function anOutcome(overrides: Partial<Outcome> = {}): Outcome {
  return {
    eventId: "lease-0147",
    status: "updated",
    source: "lease-test",
    userId: "0000aaaa-0000-4000-8000-000000000147",
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

const updated = anOutcome();
const deferred = anOutcome({
  status: "deferred",
  fields: [],
  message: "user not found yet; trying again at 2026-11-24T10:01:00.000Z",
  nextAttemptAt: "2026-11-24T10:01:00.000Z",
});
const pending: FieldOutcome[] = [
  { field: "mobilePhone", target: "profile", action: "set", reason: "was empty", after: "+1 425***0147" },
];

/** The stored states an event can be in at `now` (version `v1`). */
const states = {
  none: undefined,
  "processing, leased": { status: "processing", leaseUntil: later(minute), version: "v1" },
  "processing, lease ran out, with noted writes": {
    status: "processing",
    leaseUntil: later(-1),
    pending,
    version: "v1",
  },
  "processing, lease ending now": { status: "processing", leaseUntil: later(0), version: "v1" },
  "processing, released": { status: "processing", leaseUntil: 0, version: "v1" },
  "deferred, not leased": { status: "deferred", leaseUntil: 0, outcome: deferred, version: "v1" },
  "deferred, leased, with noted writes": {
    status: "deferred",
    leaseUntil: later(minute),
    outcome: deferred,
    pending,
    version: "v1",
  },
  final: { status: "updated", leaseUntil: 0, outcome: updated, version: "v1" },
  "final, lease still on the row": {
    status: "updated",
    leaseUntil: later(minute),
    outcome: updated,
    version: "v1",
  },
} satisfies Record<string, EventRecord | undefined>;
type State = keyof typeof states;

const recordOf = (outcome: Outcome) => ({ status: outcome.status, leaseUntil: 0, outcome });
const put = (expected: { absent: true } | { version: string }, outcome: Outcome): RecordDecision => ({
  kind: "write",
  write: { kind: "put", expected, record: recordOf(outcome) },
});
const kept: RecordDecision = { kind: "kept" };
const leaseLost: RecordDecision = { kind: "leaseLost" };

describe("claiming an event", () => {
  const taken = (write: LeaseWrite, earlier: Partial<Extract<Claim, { state: "claimed" }>> = {}) => ({
    kind: "take",
    write,
    taken: { state: "claimed", ...earlier },
    raced: { state: "busy", leaseUntil: new Date(later(leaseMs)) },
  });
  const busy = (until: number) => ({ kind: "answer", claim: { state: "busy", leaseUntil: new Date(until) } });
  const duplicate = { kind: "answer", claim: { state: "duplicate", outcome: updated } };
  const renew = { kind: "merge", expected: { version: "v1" }, set: { leaseUntil: later(leaseMs) } } as const;

  it.each<{ state: State; says: string; decision: unknown }>([
    {
      state: "none",
      says: "a new processing row, leased",
      decision: taken({
        kind: "put",
        expected: { absent: true },
        record: { status: "processing", leaseUntil: later(leaseMs) },
      }),
    },
    { state: "processing, leased", says: "busy until the lease ends", decision: busy(later(minute)) },
    {
      state: "processing, lease ran out, with noted writes",
      says: "taken over, with the noted writes",
      decision: taken(renew, { pending }),
    },
    { state: "processing, lease ending now", says: "taken over", decision: taken(renew) },
    { state: "processing, released", says: "taken again", decision: taken(renew) },
    {
      state: "deferred, not leased",
      says: "taken, with the deferred outcome",
      decision: taken(renew, { previous: deferred }),
    },
    { state: "deferred, leased, with noted writes", says: "busy", decision: busy(later(minute)) },
    { state: "final", says: "duplicate", decision: duplicate },
    { state: "final, lease still on the row", says: "duplicate, whatever the lease", decision: duplicate },
  ])("over $state: $says", ({ state, decision }) => {
    expect(eventLease.claim(states[state], { leaseMs, now })).toEqual(decision);
  });

  it("takes a new event only where no row is, and an old one only on the version it read", () => {
    const fresh = eventLease.claim(undefined, { leaseMs, now });
    const stale = eventLease.claim(states["processing, released"], { leaseMs, now });
    expect(fresh.kind === "take" && fresh.write.expected).toEqual({ absent: true });
    expect(stale.kind === "take" && stale.write.expected).toEqual({ version: "v1" });
  });
});

describe("noting pending writes and releasing, on a token", () => {
  it("notes the writes on the token's version only", () => {
    expect(eventLease.notePending({ token: "v1", fields: pending })).toEqual({
      kind: "merge",
      expected: { version: "v1" },
      set: { pending },
    });
  });

  it("ends the lease on the token's version only, keeping the noted writes", () => {
    expect(eventLease.release({ token: "v1" })).toEqual({
      kind: "merge",
      expected: { version: "v1" },
      set: { leaseUntil: 0 },
    });
  });
});

describe("recording an outcome with a token (the queue path)", () => {
  const another = anOutcome({ status: "failed", message: "a second final record" });

  it.each<{ state: State; recording: string; outcome: Outcome; says: string; decision: RecordDecision }>([
    { state: "none", recording: "a record", outcome: updated, says: "lease lost", decision: leaseLost },
    {
      state: "processing, leased",
      recording: "a final record",
      outcome: updated,
      says: "written on the token",
      decision: put({ version: "token" }, updated),
    },
    {
      state: "processing, lease ran out, with noted writes",
      recording: "a deferred record",
      outcome: deferred,
      says: "written on the token (the store refuses a stale one), the noted writes kept for the next attempt",
      decision: {
        kind: "write",
        write: { kind: "put", expected: { version: "token" }, record: { ...recordOf(deferred), pending } },
      },
    },
    {
      state: "deferred, leased, with noted writes",
      recording: "a final record",
      outcome: updated,
      says: "written on the token",
      decision: put({ version: "token" }, updated),
    },
    {
      state: "final",
      recording: "the same record again",
      outcome: structuredClone(updated),
      says: "kept (a retry whose answer was lost)",
      decision: kept,
    },
    {
      state: "final",
      recording: "another record",
      outcome: another,
      says: "lease lost",
      decision: leaseLost,
    },
    {
      state: "final, lease still on the row",
      recording: "another record",
      outcome: another,
      says: "lease lost",
      decision: leaseLost,
    },
  ])("over $state, recording $recording: $says", ({ state, outcome, decision }) => {
    expect(eventLease.record(states[state], { outcome, token: "token" })).toEqual(decision);
  });

  it.each<{ state: State; recording: string; outcome: Outcome; says: string; decision: RecordDecision }>([
    { state: "none", recording: "a record", outcome: updated, says: "lease lost", decision: leaseLost },
    {
      state: "processing, leased",
      recording: "a record",
      outcome: updated,
      says: "lease lost (another delivery holds it)",
      decision: leaseLost,
    },
    {
      state: "deferred, not leased",
      recording: "the same deferred record",
      outcome: structuredClone(deferred),
      says: "kept (the first try landed)",
      decision: kept,
    },
    {
      state: "deferred, not leased",
      recording: "another record",
      outcome: updated,
      says: "lease lost",
      decision: leaseLost,
    },
    {
      state: "final",
      recording: "the same record",
      outcome: structuredClone(updated),
      says: "kept (the first try landed)",
      decision: kept,
    },
    {
      state: "final",
      recording: "another record",
      outcome: another,
      says: "lease lost",
      decision: leaseLost,
    },
  ])(
    "after the token was refused, over $state, recording $recording: $says",
    ({ state, outcome, decision }) => {
      expect(eventLease.recordRefused(states[state], { outcome, token: "token" })).toEqual(decision);
    },
  );
});

describe("recording an outcome without a token (rejections, the helpdesk fix)", () => {
  it.each<{ state: State; says: string; decision: RecordDecision }>([
    { state: "none", says: "a new row", decision: put({ absent: true }, updated) },
    {
      state: "processing, leased",
      says: "replaced on the version read (the holder's token goes stale)",
      decision: put({ version: "v1" }, updated),
    },
    {
      state: "processing, lease ran out, with noted writes",
      says: "replaced on the version read",
      decision: put({ version: "v1" }, updated),
    },
    {
      state: "deferred, not leased",
      says: "replaced on the version read",
      decision: put({ version: "v1" }, updated),
    },
    {
      state: "deferred, leased, with noted writes",
      says: "replaced on the version read",
      decision: put({ version: "v1" }, updated),
    },
    { state: "final", says: "kept: the final record stays", decision: kept },
  ])("over $state: $says", ({ state, decision }) => {
    expect(eventLease.record(states[state], { outcome: updated })).toEqual(decision);
    // A write refused meanwhile is decided again over what the other writer left.
    expect(eventLease.recordRefused(states[state], { outcome: updated })).toEqual(decision);
  });

  it("never turns a final record back into a deferred one", () => {
    expect(eventLease.record(states.final, { outcome: deferred })).toEqual(kept);
  });
});

describe("what recording leaves", () => {
  it("ends the lease and drops the noted writes: the record is the outcome and its status", () => {
    expect(eventLease.recorded(deferred)).toEqual({ status: "deferred", leaseUntil: 0, outcome: deferred });
  });

  it.each<[OutcomeStatus | "processing", boolean]>([
    ["processing", false],
    ["deferred", false],
    ["updated", true],
    ["unchanged", true],
    ["partial", true],
    ["skipped", true],
    ["rejected", true],
    ["stale", true],
    ["failed", true],
  ])("a %s record is final: %s", (status, final) => {
    expect(eventLease.isFinal(status)).toBe(final);
  });

  it("tells a lost lease by LeaseLostError, naming the event and keeping the cause", () => {
    const cause = new Error("412");
    const error = eventLease.leaseLost("lease-0147", cause);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error.message).toContain("lease-0147");
    expect(error.cause).toBe(cause);
  });
});
