import { beforeEach, describe, expect, it } from "vitest";
import type { UserContactState } from "../../shared/directory/directory.js";
import { type SyncDeps, syncContactEvent } from "../../shared/sync/syncContactEvent.js";
import type { SyncPolicy } from "../../shared/sync/syncPlanner.js";
import { MemoryDirectory, type SeedUser } from "../doubles/memoryDirectory.js";
import { MemoryEventQueue } from "../doubles/memoryEventQueue.js";
import { MemoryOutcomeLog } from "../doubles/memoryOutcomeLog.js";
import { aPolicy, aUser, eventFor } from "../support/factories.js";

// Each guard of "event sources only fill in what is theirs to fill", tried as an attacker (or a careless HR
// export) would: the event is refused or skipped, and the directory shows no write.

const now = Date.parse("2026-11-24T10:00:00.000Z");
const daysAgo = (days: number) => new Date(now - days * 86_400_000).toISOString();

const newHire = aUser({
  id: "0000aaaa-0000-4000-8000-000000000101",
  userPrincipalName: "new.hire@example.com",
  employeeId: "E-0101",
  createdDateTime: daysAgo(2),
});
const veteran = aUser({
  id: "0000aaaa-0000-4000-8000-000000000102",
  userPrincipalName: "long.serving@example.com",
  employeeId: "E-0102",
  createdDateTime: daysAgo(400),
});
const withMethods: SeedUser = {
  ...aUser({
    id: "0000aaaa-0000-4000-8000-000000000103",
    userPrincipalName: "registered@example.com",
    employeeId: "E-0103",
    createdDateTime: daysAgo(3),
  }),
  methods: {
    phoneMethods: [
      { id: "3179e48a-750b-4051-897c-87b9720928f7", phoneNumber: "+1 4255550100", phoneType: "mobile" },
    ],
  },
};

let directory: MemoryDirectory;
let outcomes: MemoryOutcomeLog;
let deps: SyncDeps;

function depsWith(policy: SyncPolicy, newHireDays = 30): SyncDeps {
  const clock = () => new Date(now);
  return {
    directory,
    outcomes,
    queue: new MemoryEventQueue(clock),
    rules: { phoneValidation: "valid", organizationDomains: [] },
    policy,
    userWaitHours: 72,
    newHireDays,
    now: clock,
  };
}

beforeEach(() => {
  directory = new MemoryDirectory([newHire, veteran, withMethods]);
  outcomes = new MemoryOutcomeLog({ clock: () => new Date(now) });
  deps = depsWith(aPolicy({ keepUserMethods: true }));
});

/** An event asking for a mobile and an alternate email for `user`. */
const guardedEvent = (user: Record<string, string>, overrides: Record<string, unknown> = {}) =>
  eventFor(user, { mobilePhone: "(425) 555-0147", alternateEmail: "personal@example.org" }, overrides);

const sync = (message: unknown) => syncContactEvent(message, { dequeueCount: 1, maxDequeueCount: 5 }, deps);
const writes = () => directory.writes();

describe("identifiers that disagree", () => {
  it.each([
    [
      "a UPN with another user's employeeId",
      { userPrincipalName: newHire.userPrincipalName, employeeId: "E-0102" },
    ],
    [
      "an object id with another user's UPN",
      { id: newHire.id, userPrincipalName: veteran.userPrincipalName },
    ],
    ["an object id with another user's employeeId", { id: veteran.id, employeeId: "E-0101" }],
  ])("rejects %s as identity_mismatch and writes nothing", async (_name, user) => {
    const outcome = await sync(guardedEvent(user));
    expect(outcome.status).toBe("rejected");
    expect(outcome.errors.map((issue) => issue.code)).toEqual(["identity_mismatch"]);
    expect(writes()).toEqual([]);
  });

  it("accepts identifiers that all name the same user, whatever the UPN's case", async () => {
    const outcome = await sync(
      guardedEvent({
        id: newHire.id.toUpperCase(),
        userPrincipalName: "NEW.HIRE@example.com",
        employeeId: "E-0101",
      }),
    );
    expect(outcome.status).toBe("updated");
  });
});

describe("users who are not new hires", () => {
  it("skips a user created long ago as not_a_new_hire, writing nothing", async () => {
    const outcome = await sync(guardedEvent({ userPrincipalName: veteran.userPrincipalName }));
    expect(outcome.status).toBe("skipped");
    expect(outcome.fields.map((field) => `${field.field}:${field.code}`)).toEqual([
      "mobilePhone:not_a_new_hire",
      "alternateEmail:not_a_new_hire",
    ]);
    expect(writes()).toEqual([]);
  });

  it("skips a user whose creation time the directory doesn't give (fail closed)", async () => {
    directory.add({
      ...veteran,
      id: "0000aaaa-0000-4000-8000-000000000104",
      userPrincipalName: "no.date@example.com",
      employeeId: "E-0104",
      createdDateTime: null,
    });
    const outcome = await sync(guardedEvent({ userPrincipalName: "no.date@example.com" }));
    expect(outcome.fields.every((field) => field.code === "not_a_new_hire")).toBe(true);
    expect(writes()).toEqual([]);
  });

  it("writes any user when NEW_HIRE_DAYS is 0", async () => {
    deps = depsWith(aPolicy({ keepUserMethods: true }), 0);
    const outcome = await sync(guardedEvent({ userPrincipalName: veteran.userPrincipalName }));
    expect(outcome.status).toBe("updated");
  });
});

describe("events dated in the future", () => {
  it("rejects an event dated more than 5 minutes ahead, and it cannot make later events stale", async () => {
    const future = await sync(
      guardedEvent({ userPrincipalName: newHire.userPrincipalName }, { occurredAt: "2999-01-01T00:00:00Z" }),
    );
    expect(future.status).toBe("rejected");
    expect(future.errors.map((issue) => issue.code)).toEqual(["occurred_at_in_future"]);
    expect(writes()).toEqual([]);
    expect(await outcomes.lastAppliedAt(newHire.id)).toBeUndefined();

    const next = await sync(guardedEvent({ userPrincipalName: newHire.userPrincipalName }));
    expect(next.status).toBe("updated");
  });

  it("accepts clock skew under 5 minutes, and stores the receive time, never a future one", async () => {
    const skewed = new Date(now + 4 * 60_000).toISOString();
    const outcome = await sync(
      guardedEvent({ userPrincipalName: newHire.userPrincipalName }, { occurredAt: skewed }),
    );
    expect(outcome.status).toBe("updated");
    expect(Date.parse((await outcomes.lastAppliedAt(newHire.id)) ?? "")).toBeLessThanOrEqual(now);
  });
});

describe("authentication methods the user registered", () => {
  const methodsPolicy = (mode: SyncPolicy["mode"]) =>
    aPolicy({ target: "both", mode, keepUserMethods: true });

  it.each(["fillEmpty", "overwrite"] as const)(
    "never replaces or adds to them in mode %s (the profile is still filled in)",
    async (mode) => {
      deps = depsWith(methodsPolicy(mode));
      const before = directory.methodsOf(withMethods.id);
      const outcome = await sync(guardedEvent({ userPrincipalName: withMethods.userPrincipalName }));
      expect(directory.methodsOf(withMethods.id)).toEqual(before);
      expect(
        outcome.fields
          .filter((field) => field.target === "methods")
          .map((field) => `${field.field}:${field.code}`),
      ).toEqual(["mobilePhone:user_registered_methods", "alternateEmail:user_registered_methods"]);
      expect(directory.user(withMethods.id)).toMatchObject<Partial<UserContactState>>({
        mobilePhone: "+1 4255550147",
      });
    },
  );

  it("adds methods for a user who has registered none", async () => {
    deps = depsWith(methodsPolicy("fillEmpty"));
    await sync(guardedEvent({ userPrincipalName: newHire.userPrincipalName }));
    expect(directory.methodsOf(newHire.id)?.phoneMethods).toMatchObject([{ phoneNumber: "+1 4255550147" }]);
  });
});
