import { describe, expect, it } from "vitest";
import { SsprError } from "../../shared/core/errors.js";
import type { EventRecord, LeaseWrite, WriteResult } from "../../shared/sync/eventLease.js";
import { eventLeaseOn } from "../../shared/sync/eventLeaseOn.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { LeaseLostError } from "../../shared/sync/outcomeLog.js";

// The runner between the lease's decisions and a store, on a scripted store: the races a real store only shows by
// chance (a write refused between the load and the write) are scripted here. Fictional data only.

const now = new Date("2026-11-24T10:00:00.000Z");
const refused = new Error("412 Precondition Failed");

function anOutcome(overrides: Partial<Outcome> = {}): Outcome {
  return {
    eventId: "runner-0147",
    status: "updated",
    source: "lease-test",
    userPrincipalName: "avery.lee@example.com",
    fields: [],
    errors: [],
    warnings: [],
    message: "updated",
    attempts: 1,
    firstSeenAt: "2026-11-24T09:00:01.000Z",
    updatedAt: "2026-11-24T09:00:02.000Z",
    requestIds: [],
    actor: "queue",
    ...overrides,
  };
}

/** A store whose loads answer `loads` in turn (the last one again) and whose writes answer `writes` in turn. */
function scriptedStore(script: { loads?: Array<EventRecord | undefined>; writes: WriteResult[] }) {
  const calls: string[] = [];
  const written: LeaseWrite[] = [];
  const loads = [...(script.loads ?? [])];
  const writes = [...script.writes];
  const store = {
    async load(): Promise<EventRecord | undefined> {
      calls.push("load");
      return loads.length > 1 ? loads.shift() : loads[0];
    },
    async write(_eventId: string, write: LeaseWrite): Promise<WriteResult> {
      calls.push("write");
      written.push(write);
      return writes.shift() ?? { landed: true, version: "next" };
    },
  };
  return { lease: eventLeaseOn(store), calls, written };
}

const notLanded: WriteResult = { landed: false, cause: refused };

describe("the lease carried out on a store", () => {
  it("answers busy when another delivery's claim lands between the load and the write", async () => {
    const { lease } = scriptedStore({ loads: [undefined], writes: [notLanded] });
    expect(await lease.claim("runner-0147", 60_000, now)).toEqual({
      state: "busy",
      leaseUntil: new Date(now.getTime() + 60_000),
    });
  });

  it("hands back the version the claim's write made as the token", async () => {
    const { lease } = scriptedStore({ loads: [undefined], writes: [{ landed: true, version: "v7" }] });
    expect(await lease.claim("runner-0147", 60_000, now)).toEqual({ state: "claimed", token: "v7" });
  });

  it("throws LeaseLostError, with the store's refusal as cause, when noting writes on a stale token", async () => {
    const { lease } = scriptedStore({ writes: [notLanded] });
    const noted = lease.notePending("runner-0147", "stale", []);
    await expect(noted).rejects.toBeInstanceOf(LeaseLostError);
    await expect(noted).rejects.toMatchObject({ cause: refused });
  });

  it("lets a release on a stale token go without a word", async () => {
    const { lease } = scriptedStore({ writes: [notLanded] });
    await expect(lease.release("runner-0147", "stale")).resolves.toBeUndefined();
  });

  it("records without a token in one write when the event has no record, loading nothing", async () => {
    const { lease, calls, written } = scriptedStore({ writes: [{ landed: true, version: "v1" }] });
    await lease.record(anOutcome());
    expect(calls).toEqual(["write"]);
    expect(written[0]).toMatchObject({ kind: "put", expected: { absent: true } });
  });

  it("decides again over what another writer left when a record without a token is refused", async () => {
    const deferred: EventRecord = {
      status: "deferred",
      leaseUntil: 0,
      outcome: anOutcome({ status: "deferred" }),
      version: "v3",
    };
    const { lease, calls, written } = scriptedStore({ loads: [deferred], writes: [notLanded] });
    await lease.record(anOutcome());
    expect(calls).toEqual(["write", "load", "write"]);
    expect(written[1]).toMatchObject({ kind: "put", expected: { version: "v3" } });
  });

  it("gives up with an error, not a lost lease, after the event changed under four writes in a row", async () => {
    const processing: EventRecord = { status: "processing", leaseUntil: 0, version: "v1" };
    const { lease, calls } = scriptedStore({ loads: [processing], writes: Array(4).fill(notLanded) });
    const recorded = lease.record(anOutcome());
    await expect(recorded).rejects.toThrow(/changed 4 times/);
    await expect(recorded).rejects.not.toBeInstanceOf(LeaseLostError);
    await expect(recorded).rejects.toBeInstanceOf(SsprError);
    expect(calls.filter((call) => call === "write")).toHaveLength(4);
  });

  it.each([
    { there: "this very record (the first try landed, its answer lost)", same: true, answer: "resolves" },
    { there: "another delivery's record", same: false, answer: "throws LeaseLostError" },
  ])("on a token refused, with $there now stored, $answer", async ({ same }) => {
    const outcome = anOutcome();
    const leased: EventRecord = { status: "processing", leaseUntil: now.getTime() + 60_000, version: "v1" };
    const after: EventRecord = {
      status: "updated",
      leaseUntil: 0,
      outcome: same ? structuredClone(outcome) : anOutcome({ status: "failed" }),
      version: "v2",
    };
    const { lease, calls } = scriptedStore({ loads: [leased, after], writes: [notLanded] });
    const recorded = lease.record(outcome, "v1");
    if (same) await expect(recorded).resolves.toBeUndefined();
    else await expect(recorded).rejects.toBeInstanceOf(LeaseLostError);
    // The token decides once: a refused token is never written again.
    expect(calls).toEqual(["load", "write", "load"]);
  });
});
