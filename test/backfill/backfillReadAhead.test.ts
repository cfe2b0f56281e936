import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { loadSettings } from "../../shared/app/config.js";
import { policyFrom } from "../../shared/app/ruleOptions.js";
import { type BackfillDirectory, type BackfillRow, runBackfill } from "../../shared/backfill/backfill.js";
import { aSeedUser, directoryFor } from "../support/graphEmulatorFixtures.js";

// Issue 14: while the write budget makes a batch wait for tokens, the batches behind it keep reading and planning,
// so users who need no write (and the reads of those who do) are not held up by the bucket's refill rate.

const userCount = 100;
let emulator: GraphEmulator;

beforeAll(async () => {
  // The first 20 users need a mobile phone; the other 80 already have the one the export gives.
  const users = Array.from({ length: userCount }, (_, i) => {
    const seed = aSeedUser(i + 1);
    return i < 20 ? seed : { ...seed, mobilePhone: `+1 4255550${String(100 + (i % 100)).slice(-3)}` };
  });
  emulator = await startGraphEmulator({ tenant: { tenant: {}, users } });
});
afterAll(async () => emulator?.close());

async function* rows() {
  for (let n = 1; n <= userCount; n++) {
    yield {
      line: n + 1,
      input: {
        eventId: `ahead-${n}`,
        source: "hr-export",
        occurredAt: "2026-11-01T09:00:00Z",
        user: { userPrincipalName: `user${n}@contoso.example` },
        country: "US",
        contact: { mobilePhone: `(425) 555-0${String(100 + ((n - 1) % 100)).slice(-3)}` },
      },
    };
  }
}

describe("a backfill whose writes wait for the budget", () => {
  it("reads and plans the batches behind a waiting write, and still reports rows in input order", async () => {
    const real = directoryFor(emulator);
    let releaseWrites: () => void = () => {};
    const writesMayGo = new Promise<void>((resolve) => {
      releaseWrites = resolve;
    });
    const lookedUp: number[] = [];
    const privilegeAsked: string[] = [];
    const directory: BackfillDirectory = {
      findUsers: async (refs) => {
        lookedUp.push(refs.length);
        // Every batch behind the waiting one was read: let the writes go.
        if (lookedUp.length === userCount / 20) releaseWrites();
        return real.findUsers(refs);
      },
      privilegeOfMany: (ids) => {
        privilegeAsked.push(...ids);
        return real.privilegeOfMany(ids);
      },
      verifiedDomains: () => real.verifiedDomains(),
      listAuthMethodsOf: (ids) => real.listAuthMethodsOf(ids),
      writeAuthMethods: (writes) => real.writeAuthMethods(writes),
      // The write limiter's wait, as when the bucket is empty: held until the test releases it.
      updateProfiles: async (updates) => {
        await writesMayGo;
        return real.updateProfiles(updates);
      },
    };
    const reported: BackfillRow[] = [];
    const summary = await runBackfill({
      records: rows(),
      rules: { phoneValidation: "valid", organizationDomains: [] },
      policy: policyFrom(loadSettings({})),
      directory,
      sourceName: "ahead.jsonl",
      concurrency: 2,
      onRow: (row) => {
        reported.push(row);
      },
    });

    expect(lookedUp).toEqual([20, 20, 20, 20, 20]);
    expect(summary.rows).toBe(userCount);
    expect(reported.map((row) => row.line)).toEqual(Array.from({ length: userCount }, (_, i) => i + 2));
    expect(reported.slice(0, 20).every((row) => row.outcome.status === "updated")).toBe(true);
    expect(reported.slice(20).every((row) => row.outcome.status === "unchanged")).toBe(true);
    // Only the users with something to write had their privilege asked: 20, not 100, all from the tenant's
    // picture (read per PRIVILEGE_MAX_AGE_SECONDS, not per user).
    expect(privilegeAsked.sort()).toEqual(Array.from({ length: 20 }, (_, i) => aSeedUser(i + 1).id).sort());
    expect(emulator.stats.batchItems["GET roleAssignments"]).toBeGreaterThanOrEqual(1);
    expect(emulator.stats.batchItems["GET transitiveMemberOf"]).toBeUndefined();
  });
});
