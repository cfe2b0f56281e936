import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appServices, pipelineDeps } from "../../shared/app/appServices.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { syncContactEvent } from "../../shared/sync/syncContactEvent.js";
import { eventFor } from "../support/factories.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// A permission granted a minute ago is not yet in the token: Microsoft says a managed identity's role changes can
// take several hours to take effect (its tokens are cached for around 24 h). So an event Graph refuses for want of
// a permission waits on the queue for the grant, saying so, and goes through once the grant arrives, without
// anyone sending it again. The queue's delay is played on a clock the test moves, not waited for.

let env: TestEnvironment;
const contact = { mobilePhone: "+1 425 555 0147", alternateEmail: "new.hire@example.net" };
const start = new Date("2026-11-24T09:00:00.000Z");
const minute = 60_000;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant() },
    env: { CONTACT_TARGET: "both", CONTACT_MODE: "overwrite", GRAPH_MAX_RETRIES: "0", NEW_HIRE_DAYS: "0" },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.isolate();
});

/** Changes the emulated app's grants, and gives the app a token issued afterwards (the grant reached it). */
function grants(change: "revokePermission" | "grantPermission", permission: string): void {
  env.graph.tenant[change](permission);
  env.configure({ GRAPH_ACCESS_TOKEN: env.graph.issueToken() });
}

/** What the queue was asked to hold back, and for how long. */
type Requeued = { message: unknown; delaySeconds: number };

/**
 * The real queue pipeline (the app's services on Azurite and the emulated tenant) at time `now`, with the queue
 * replaced by a list: a deferred message is kept there instead of hidden on the queue for real minutes.
 */
async function deliverAt(now: Date, message: unknown, requeued: Requeued[]): Promise<Outcome> {
  return syncContactEvent(
    message,
    { dequeueCount: 1, maxDequeueCount: 5 },
    {
      ...pipelineDeps(appServices(), () => undefined),
      queue: {
        send: async (sent, options) => {
          requeued.push({ message: sent, delaySeconds: options?.delaySeconds ?? 0 });
        },
      },
      now: () => now,
    },
  );
}

/** The deferred message, delivered as the queue delivers it: once its delay has passed. */
async function redeliver(requeued: Requeued[], at: Date): Promise<{ outcome: Outcome; at: Date }> {
  const next = requeued.shift();
  if (!next) throw new Error("nothing was put back on the queue");
  const due = new Date(at.getTime() + next.delaySeconds * 1000);
  return { outcome: await deliverAt(due, next.message, requeued), at: due };
}

function written(): { mobilePhone: string | null; phoneMethods: unknown } {
  const user = env.graph.tenant.user(users.newHire.id);
  return { mobilePhone: user?.mobilePhone ?? null, phoneMethods: user?.phoneMethods };
}

describe.each([
  ["the privilege check", "RoleManagement.Read.Directory"],
  ["the user lookup", "User.Read.All"],
  ["the methods list", "UserAuthenticationMethod.Read.All"],
  ["a method write", "UserAuthMethod-Phone.ReadWrite.All"],
  ["a profile write", "User-Phone.ReadWrite.All"],
])("a permission %s needs, granted after the event came in (%s)", (_, permission) => {
  it("defers the event with the reason and the next attempt, then writes it once the grant arrives", async () => {
    grants("revokePermission", permission);
    const requeued: Requeued[] = [];
    const event = eventFor(users.newHire, contact);

    const first = await deliverAt(start, event, requeued);
    expect(first).toMatchObject({
      status: "deferred",
      code: "missing_permission",
      permission,
      waitingSince: start.toISOString(),
      nextAttemptAt: new Date(start.getTime() + 5 * minute).toISOString(),
    });
    expect(first.message).toContain(`waiting for permission ${permission}`);
    expect(first.message).toContain("can take several hours");
    expect(requeued).toEqual([{ message: event, delaySeconds: 300 }]);
    if (permission !== "UserAuthMethod-Phone.ReadWrite.All") {
      // Refused before any write (a method write comes after the profile's PATCH, which lands).
      expect(written().mobilePhone).toBeNull();
    }
    expect(written().phoneMethods).toEqual({});

    grants("grantPermission", permission);
    const { outcome } = await redeliver(requeued, start);
    expect(outcome).toMatchObject({ status: "updated", attempts: 2 });
    expect(outcome.code).toBeUndefined();
    expect(requeued).toEqual([]);
    expect(written()).toEqual({ mobilePhone: "+1 4255550147", phoneMethods: { mobile: "+1 4255550147" } });
    if (permission === "UserAuthMethod-Phone.ReadWrite.All") {
      // The PATCH that landed before the refusal is reported as this event's write, not as found there.
      expect(outcome.fields).toContainEqual(
        expect.objectContaining({ field: "mobilePhone", target: "profile", action: "set" }),
      );
    }
  });
});

describe("a permission never granted", () => {
  it("is tried at 5 min, 15 min, then hourly, and fails a day after it was first missing, naming the fix", async () => {
    grants("revokePermission", "RoleManagement.Read.Directory");
    const requeued: Requeued[] = [];
    let outcome = await deliverAt(start, eventFor(users.newHire, contact), requeued);
    let at = start;
    const delays: number[] = [];
    while (outcome.status === "deferred") {
      delays.push(requeued[0]?.delaySeconds ?? 0);
      ({ outcome, at } = await redeliver(requeued, at));
    }
    expect(delays.slice(0, 4)).toEqual([300, 900, 3600, 3600]);
    expect(at.getTime() - start.getTime()).toBe(24 * 60 * minute);
    expect(outcome).toMatchObject({ status: "failed", code: "missing_permission" });
    expect(outcome.message).toContain("missing permission RoleManagement.Read.Directory");
    expect(outcome.message).toContain("grant-graph-permissions.sh");
    expect(outcome.message).toContain("sspr-prepop backfill");
    expect(requeued).toEqual([]);
    expect(written()).toEqual({ mobilePhone: null, phoneMethods: {} });
  });
});
