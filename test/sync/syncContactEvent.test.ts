import { createHash } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { appKeysFrom } from "../../shared/sync/appKeys.js";
import { type Delivery, type SyncDeps, syncContactEvent } from "../../shared/sync/syncContactEvent.js";
import { graphError, MemoryDirectory } from "../doubles/memoryDirectory.js";
import { MemoryEventQueue } from "../doubles/memoryEventQueue.js";
import { MemoryOutcomeLog } from "../doubles/memoryOutcomeLog.js";
import { anEvent, aPolicy, aUser } from "../support/factories.js";

// The sync state machine on in-memory doubles; test/sync/onboardingQueue.test.ts runs the same function through
// the queue trigger on Azurite and the emulated tenant.

const avery = aUser({
  id: "0000aaaa-0000-4000-8000-000000000147",
  userPrincipalName: "avery.lee@example.com",
  mail: "avery.lee@example.com",
  employeeId: "E-0147",
});

const start = Date.parse("2026-11-24T10:00:00.000Z");
const leaseMs = 5 * 60_000;
const first: Delivery = { dequeueCount: 1, maxDequeueCount: 5 };
const attempt = (dequeueCount: number): Delivery => ({ dequeueCount, maxDequeueCount: 5 });

/** An event for Avery (a mobile, by UPN), overridable key by key. */
const averyEvent = (overrides: Record<string, unknown> = {}) =>
  anEvent({ user: { userPrincipalName: avery.userPrincipalName }, ...overrides });

let now: number;
let directory: MemoryDirectory;
let outcomes: MemoryOutcomeLog;
let queue: MemoryEventQueue;
let deps: SyncDeps;

beforeEach(() => {
  now = start;
  const clock = () => new Date(now);
  directory = new MemoryDirectory([avery]);
  outcomes = new MemoryOutcomeLog({ clock });
  queue = new MemoryEventQueue(clock);
  deps = {
    directory,
    outcomes,
    queue,
    rules: { phoneValidation: "valid", organizationDomains: [] },
    policy: aPolicy(),
    userWaitHours: 72,
    newHireDays: 0,
    leaseMs,
    now: clock,
    keys: appKeysFrom("test-app-signing-key-not-a-secret-0147"),
  };
});

const sync = (message: unknown, delivery: Delivery = first) => syncContactEvent(message, delivery, deps);
const eventIdOf = (message: Record<string, unknown>) => String(message.eventId);
const fieldsOf = (
  outcome: { fields: Array<{ field: string; target: string; action: string }> } | undefined,
) => outcome?.fields.map((f) => `${f.field}/${f.target} ${f.action}`);

describe("an event for a user who exists", () => {
  it("writes the contact, records the outcome once and notes the event as applied to the user", async () => {
    const event = averyEvent();
    const outcome = await sync(event);
    expect(outcome).toMatchObject({ status: "updated", userId: avery.id, attempts: 1 });
    expect(fieldsOf(outcome)).toEqual(["mobilePhone/profile set"]);
    expect(directory.user(avery.id)?.mobilePhone).toBe("+1 4255550147");
    expect(directory.calls.map((call) => call.operation)).toEqual([
      "findUser",
      "privilegeOf",
      "updateProfile",
    ]);
    expect(await outcomes.get(eventIdOf(event))).toEqual(outcome);
    expect(await outcomes.lastAppliedAt(avery.id)).toBe(event.occurredAt);
    expect(queue.messages).toEqual([]);
  });

  it("records masked values only", async () => {
    const outcome = await sync(averyEvent({ contact: { alternateEmail: "avery.personal@example.com" } }));
    expect(JSON.stringify(outcome)).not.toContain("avery.personal@example.com");
  });
});

describe("an invalid event", () => {
  it.each([
    { what: "a message that is not an object", message: "definitely not json" },
    { what: "an event without an eventId", message: { source: "test", contact: {} } },
    {
      what: "an unusable phone number",
      message: averyEvent({ contact: { mobilePhone: "+1 4251234567X12345" } }),
    },
    { what: "an unknown field", message: averyEvent({ pager: "4255550147" }) },
  ])("is rejected for $what and recorded once, however often it is delivered", async ({ message }) => {
    const firstOutcome = await sync(message);
    now += 3_600_000;
    const again = await sync(message, attempt(2));
    expect(firstOutcome.status).toBe("rejected");
    expect(firstOutcome.errors.length).toBeGreaterThan(0);
    expect(again).toEqual(firstOutcome);
    expect(await outcomes.get(firstOutcome.eventId)).toEqual(firstOutcome);
    expect(directory.calls).toEqual([]);
    expect(queue.messages).toEqual([]);
  });

  it("without an eventId is recorded under an id derived from its content", async () => {
    const outcome = await sync("definitely not json");
    const hash = createHash("sha256").update("definitely not json").digest("hex").slice(0, 32);
    expect(outcome.eventId).toBe(`invalid-${hash}`);
  });
});

describe("a duplicate delivery of a finished event", () => {
  it.each([
    { finished: "updated", contact: { mobilePhone: "(425) 555-0147" } },
    { finished: "rejected", contact: { mobilePhone: "not a phone number" } },
  ])("of an $finished event makes no directory call and no second record", async ({ finished, contact }) => {
    const event = averyEvent({ contact });
    const firstOutcome = await sync(event);
    expect(firstOutcome.status).toBe(finished);
    directory.calls.length = 0;
    now += 3_600_000;

    const again = await sync(event, attempt(2));
    expect(again).toEqual(firstOutcome);
    expect(directory.calls).toEqual([]);
    expect(await outcomes.listByUser({ kind: "upn", value: avery.userPrincipalName }, 10)).toEqual([
      firstOutcome,
    ]);
    expect(queue.messages).toEqual([]);
  });
});

describe("an event another delivery is working on", () => {
  it.each([
    { into: 0, delaySeconds: 300 },
    { into: 100_000, delaySeconds: 200 },
    { into: 299_500, delaySeconds: 1 },
  ])(
    "is sent back to wait out the lease ($into ms into it → $delaySeconds s)",
    async ({ into, delaySeconds }) => {
      const event = averyEvent();
      await outcomes.claim(eventIdOf(event), leaseMs, new Date(start));
      now = start + into;
      const outcome = await sync(event);
      expect(outcome).toMatchObject({ status: "deferred", message: "another delivery is in progress" });
      expect(queue.messages).toEqual([expect.objectContaining({ body: event, delaySeconds })]);
      expect(directory.calls).toEqual([]);
      expect(await outcomes.get(eventIdOf(event))).toBeUndefined();
    },
  );
});

describe("an event whose user is not provisioned yet", () => {
  const notYet = () => averyEvent({ user: { employeeId: "E-NOT-YET" } });

  it("is deferred 1, 2, 4 … minutes up to 6 h, then failed once USER_WAIT_HOURS have passed", async () => {
    const event = notYet();
    const delays: number[] = [];
    let outcome = await sync(event);
    while (outcome.status === "deferred") {
      const resent = queue.messages.at(-1);
      expect(resent?.body).toEqual(event);
      expect(outcome.nextAttemptAt).toBe(resent?.visibleAt.toISOString());
      expect(await outcomes.get(eventIdOf(event))).toEqual(outcome);
      delays.push(resent?.delaySeconds ?? Number.NaN);
      now = resent?.visibleAt.getTime() ?? Number.NaN;
      outcome = await sync(event);
    }

    const doubling = [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360];
    expect(delays.slice(0, doubling.length)).toEqual(doubling);
    expect(new Set(delays.slice(doubling.length))).toEqual(new Set([6 * 3600]));
    const waited = delays.reduce((sum, delay) => sum + delay, 0);
    expect(waited).toBeGreaterThanOrEqual(72 * 3600);
    expect(waited - (delays.at(-1) ?? 0)).toBeLessThan(72 * 3600);
    expect(outcome).toMatchObject({
      status: "failed",
      attempts: delays.length + 1,
      firstSeenAt: new Date(start).toISOString(),
    });
    expect(outcome.message).toContain("after waiting 72 h");
    expect(await outcomes.get(eventIdOf(event))).toEqual(outcome);
    expect(queue.messages).toHaveLength(delays.length);
    expect(directory.writes()).toEqual([]);
  });

  it("is failed at once when USER_WAIT_HOURS is 0", async () => {
    deps.userWaitHours = 0;
    const outcome = await sync(notYet());
    expect(outcome).toMatchObject({ status: "failed", attempts: 1 });
    expect(queue.messages).toEqual([]);
  });

  it("is processed once the user appears", async () => {
    const event = notYet();
    await sync(event);
    directory.add(
      aUser({
        id: "0000cccc-0000-4000-8000-000000000149",
        userPrincipalName: "casey.nguyen@example.com",
        mail: "casey.nguyen@example.com",
        employeeId: "E-NOT-YET",
      }),
    );
    now = queue.messages[0]?.visibleAt.getTime() ?? Number.NaN;
    const outcome = await sync(event);
    expect(outcome).toMatchObject({
      status: "updated",
      attempts: 2,
      firstSeenAt: new Date(start).toISOString(),
    });
  });

  it("does no work for an extra copy that arrives before the scheduled one", async () => {
    const event = notYet();
    const deferred = await sync(event);
    directory.calls.length = 0;
    now += 10_000;
    const extra = await sync(event);
    expect(extra).toEqual(deferred);
    expect(directory.calls).toEqual([]);
    expect(queue.messages).toHaveLength(1);
    // Released, not left holding the lease: the scheduled copy can take the event.
    expect((await outcomes.claim(eventIdOf(event), leaseMs, new Date(now))).state).toBe("claimed");
  });
});

describe("an event older than the last one applied to its user", () => {
  it.each([
    { occurredAt: "2026-11-24T07:00:00.000Z", status: "stale", mobile: null },
    { occurredAt: "2026-11-24T08:00:00.000Z", status: "updated", mobile: "+1 4255550147" },
    { occurredAt: "2026-11-24T09:00:00.000Z", status: "updated", mobile: "+1 4255550147" },
  ])(
    "that occurred at $occurredAt (last applied 08:00) is $status",
    async ({ occurredAt, status, mobile }) => {
      await outcomes.markApplied(avery.id, "2026-11-24T08:00:00.000Z");
      const event = averyEvent({ occurredAt });
      const outcome = await sync(event);
      expect(outcome.status).toBe(status);
      expect(await outcomes.get(eventIdOf(event))).toEqual(outcome);
      expect(directory.user(avery.id)?.mobilePhone).toBe(mobile);
      expect(await outcomes.lastAppliedAt(avery.id)).toBe(
        status === "stale" ? "2026-11-24T08:00:00.000Z" : occurredAt,
      );
    },
  );
});

describe("a transient failure", () => {
  it.each([
    { operation: "findUser", status: 503, noted: [] },
    { operation: "updateProfile", status: 503, noted: ["mobilePhone/profile set"] },
    { operation: "updateProfile", status: 429, noted: ["mobilePhone/profile set"] },
  ] as const)(
    "($operation answers $status) releases the event and throws for the host to retry",
    async ({ operation, status, noted }) => {
      const event = averyEvent();
      const error = graphError(operation, status);
      directory.failNext(operation, error);
      await expect(sync(event, attempt(1))).rejects.toBe(error);
      expect(await outcomes.get(eventIdOf(event))).toBeUndefined();
      expect(queue.messages).toEqual([]);
      // Released: the retry may take the event at once, and learns which writes had started.
      const claim = await outcomes.claim(eventIdOf(event), leaseMs, new Date(now));
      if (claim.state !== "claimed") throw new Error(`expected to claim the event, got ${claim.state}`);
      expect(fieldsOf({ fields: claim.pending ?? [] })).toEqual(noted);
    },
  );

  it("on the last allowed attempt records failed, naming the writes that had started, and throws", async () => {
    const event = averyEvent();
    directory.failNext("updateProfile", graphError("updateProfile", 503));
    await expect(sync(event, attempt(5))).rejects.toThrow(/503/);
    const outcome = await outcomes.get(eventIdOf(event));
    expect(outcome).toMatchObject({ status: "failed", userId: avery.id });
    expect(outcome?.message).toMatch(
      /^gave up after 5 attempts: GraphRequestError: updateProfile failed: HTTP 503/,
    );
    expect(outcome?.message).toContain("may have been applied (read the user to check): mobilePhone/profile");
    // Final: a redelivery is a duplicate.
    directory.calls.length = 0;
    expect((await sync(event, attempt(6))).status).toBe("failed");
    expect(directory.calls).toEqual([]);
  });

  it("that is not a Graph error is retried the same way", async () => {
    const event = averyEvent();
    directory.failNext("findUser", new TypeError("fetch failed"));
    await expect(sync(event)).rejects.toThrow("fetch failed");
    expect(await outcomes.get(eventIdOf(event))).toBeUndefined();
  });
});

describe("a delivery that outlives its lease", () => {
  it("stops before writing when another delivery has taken the event, and sends a copy for later", async () => {
    const event = averyEvent();
    // While this delivery reads the user, its lease runs out and another delivery claims the event.
    directory.afterNext("findUser", async () => {
      await outcomes.claim(eventIdOf(event), leaseMs, new Date(now + leaseMs + 1));
    });
    const outcome = await sync(event);
    expect(outcome).toMatchObject({ status: "deferred", message: "another delivery took over this event" });
    expect(directory.writes()).toEqual([]);
    expect(directory.user(avery.id)?.mobilePhone).toBeNull();
    expect(queue.messages).toEqual([expect.objectContaining({ body: event, delaySeconds: leaseMs / 1000 })]);
    expect(await outcomes.get(eventIdOf(event))).toBeUndefined();
  });
});

describe("a write whose answer was lost", () => {
  it.each([
    { target: "profile", operation: "updateProfile" },
    { target: "methods", operation: "addPhoneMethod" },
  ] as const)("to the $target is confirmed on retry, not written again", async ({ target, operation }) => {
    deps.policy = aPolicy({ target });
    const event = averyEvent();
    directory.failNext(operation, graphError(operation, 504), { afterApplying: true });
    await expect(sync(event, attempt(1))).rejects.toThrow(/504/);

    const retried = await sync(event, attempt(2));
    expect(retried.status).toBe("updated");
    expect(fieldsOf(retried)).toEqual([`mobilePhone/${target} set`]);
    expect(retried.fields[0]?.reason).toContain("confirmed on retry");
    expect(retried.fields[0]?.after).toBe("+1 ***147");
    expect(directory.writes()).toEqual([{ operation, userId: avery.id }]);
  });

  it("is not claimed as this event's when the value was changed in between", async () => {
    const event = averyEvent();
    directory.failNext("updateProfile", graphError("updateProfile", 504), { afterApplying: true });
    await expect(sync(event, attempt(1))).rejects.toThrow(/504/);
    await directory.updateProfile(avery.id, { mobilePhone: "+1 4255550199" });

    const retried = await sync(event, attempt(2));
    expect(retried.status).toBe("skipped");
    expect(retried.fields[0]?.reason).not.toContain("confirmed on retry");
  });
});

// The attack: an attempt notes alex@example.com and its write is lost before Graph applies it; meanwhile the user
// registers anna@example.com. Both mask as a***@e***.com, so compared by mask the retry took the user's own address
// for the event's and, in mode overwrite, replaced it.
describe("a method write whose answer was lost, and a look-alike value the user registered", () => {
  const ownAddress = "anna@example.com";
  const eventAddress = "alex@example.com";
  const emailEvent = () => averyEvent({ contact: { alternateEmail: eventAddress } });
  beforeEach(() => {
    deps.policy = aPolicy({ target: "methods", mode: "overwrite", keepUserMethods: true });
  });

  it("keeps the user's own address: an earlier attempt's note matches the whole value only, never its mask", async () => {
    const event = emailEvent();
    directory.failNext("addEmailMethod", graphError("addEmailMethod", 504));
    await expect(sync(event, attempt(1))).rejects.toThrow(/504/);
    await directory.addEmailMethod(avery.id, ownAddress);

    const retried = await sync(event, attempt(2));
    expect(retried.fields).toEqual([
      expect.objectContaining({
        field: "alternateEmail",
        action: "skipped",
        code: "user_registered_methods",
      }),
    ]);
    expect(directory.methodsOf(avery.id)?.emailMethods.map((m) => m.emailAddress)).toEqual([ownAddress]);
    expect(directory.calls.map((call) => call.operation)).not.toContain("updateEmailMethod");
  });

  it("still knows its own write again by its whole value, and confirms it", async () => {
    const event = emailEvent();
    directory.failNext("addEmailMethod", graphError("addEmailMethod", 504), { afterApplying: true });
    await expect(sync(event, attempt(1))).rejects.toThrow(/504/);

    const retried = await sync(event, attempt(2));
    expect(fieldsOf(retried)).toEqual(["alternateEmail/methods set"]);
    expect(retried.fields[0]?.reason).toContain("confirmed on retry");
    expect(JSON.stringify(retried)).not.toContain("afterHash");
  });

  it("without the app's key counts even its own earlier write as the user's (fail closed)", async () => {
    deps.keys = undefined;
    const event = emailEvent();
    directory.failNext("addEmailMethod", graphError("addEmailMethod", 504), { afterApplying: true });
    await expect(sync(event, attempt(1))).rejects.toThrow(/504/);

    const retried = await sync(event, attempt(2));
    expect(fieldsOf(retried)).toEqual(["alternateEmail/methods skipped"]);
  });

  it("keeps no readable value in the note: the address is masked and its hash keyed", async () => {
    const event = emailEvent();
    directory.failNext("addEmailMethod", graphError("addEmailMethod", 504));
    await expect(sync(event, attempt(1))).rejects.toThrow(/504/);
    const claim = await outcomes.claim(eventIdOf(event), leaseMs, new Date(now + 2 * leaseMs));
    const pending = claim.state === "claimed" ? claim.pending : undefined;
    expect(pending).toEqual([
      expect.objectContaining({
        field: "alternateEmail",
        after: "a***@e***.com",
        afterHash: expect.any(String),
      }),
    ]);
    const bareDigest = createHash("sha256").update(eventAddress).digest();
    expect(JSON.stringify(pending)).not.toContain(eventAddress);
    expect(JSON.stringify(pending)).not.toContain(bareDigest.toString("base64url"));
    expect(JSON.stringify(pending)).not.toContain(bareDigest.toString("hex"));
  });
});

describe("an employeeId several users share", () => {
  it("is rejected at once (user_ambiguous), final, with nothing written and no retry", async () => {
    directory.add(aUser({ id: "0000bbbb-0000-4000-8000-000000000148", employeeId: avery.employeeId }));
    const event = anEvent({ user: { employeeId: avery.employeeId } });
    const outcome = await sync(event);
    expect(outcome).toMatchObject({ status: "rejected", attempts: 1 });
    expect(outcome.code).toBeUndefined();
    expect(outcome.errors).toEqual([
      expect.objectContaining({ field: "user.employeeId", code: "user_ambiguous" }),
    ]);
    expect(directory.writes()).toEqual([]);
    expect(queue.messages).toEqual([]);
    // Final: another delivery of the same event is a duplicate and asks Graph nothing.
    const calls = directory.calls.length;
    expect(await sync(event, attempt(2))).toEqual(outcome);
    expect(directory.calls.length).toBe(calls);
  });
});

describe("an alternate email inside the tenant", () => {
  beforeEach(() => {
    directory.withDomains([
      { id: "contoso.example", isVerified: true },
      { id: "fabrikam.example", isVerified: false },
    ]);
  });

  it.each([
    ["a verified domain", "mei.chen@contoso.example", "contoso.example"],
    ["a subdomain of one", "mei.chen@mail.Contoso.example", "contoso.example"],
  ])(
    "is rejected when it is in %s, though ORGANIZATION_DOMAINS is empty, and nothing is written",
    async (_, alternateEmail, domain) => {
      const outcome = await sync(averyEvent({ contact: { mobilePhone: "(425) 555-0147", alternateEmail } }));
      expect(outcome.status).toBe("rejected");
      expect(outcome.errors).toEqual([
        expect.objectContaining({ field: "contact.alternateEmail", code: "email_is_organizational" }),
      ]);
      expect(outcome.errors?.[0]?.message).toContain(`(${domain})`);
      expect(JSON.stringify(outcome)).not.toContain("mei.chen");
      expect(directory.writes()).toEqual([]);
      expect(directory.user(avery.id)?.mobilePhone).toBeNull();
    },
  );

  it("is written when it is only in a domain the tenant has not verified", async () => {
    const outcome = await sync(averyEvent({ contact: { alternateEmail: "mei@fabrikam.example" } }));
    expect(outcome.status).toBe("updated");
    expect(directory.user(avery.id)?.otherMails).toEqual(["mei@fabrikam.example"]);
  });

  it("is the only reason to read the tenant's domains: an event without one makes no such read", async () => {
    await sync(averyEvent());
    expect(directory.calls.map((call) => call.operation)).not.toContain("verifiedDomains");
  });

  it("is retried, not written, while the domains cannot be read, and fails on the last attempt", async () => {
    const event = averyEvent({ contact: { alternateEmail: "mei@example.org" } });
    const error = graphError("verifiedDomains", 503);
    directory.failNext("verifiedDomains", error);
    await expect(sync(event, attempt(1))).rejects.toBe(error);
    directory.failNext("verifiedDomains", error);
    await expect(sync(event, attempt(5))).rejects.toBe(error);
    expect(await outcomes.get(eventIdOf(event))).toMatchObject({ status: "failed" });
    expect(directory.writes()).toEqual([]);
  });
});
