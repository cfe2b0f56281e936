import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixContactInfo } from "../../functions/fixContactInfo.js";
import type { EmulatedUser } from "../../local/graphEmulator/EmulatedTenant.js";
import { appServices } from "../../shared/app/appServices.js";
import { DirectoryError } from "../../shared/directory/directoryError.js";
import { dependencyProblem } from "../../shared/http/dependencyProblem.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { writeFailureOf } from "../../shared/sync/writeFailure.js";
import { deliverToQueue } from "../support/deliverToQueue.js";
import { eventFor } from "../support/factories.js";
import { callers, easyAuthOn } from "../support/helpdeskRequests.js";
import { pipelineTenant, protectedGroupsEnv, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The attack: an HR event (or a helpdesk fix) carrying an attacker's phone and email for an admin. With
// CONTACT_TARGET=both they would become the admin's profile values and, worse, the phone and email methods that
// gate the admin SSPR policy. Every path must refuse before anything is read of, or written to, the account.

let env: TestEnvironment;
const attacker = { mobilePhone: "+1 425 555 0166", alternateEmail: "attacker@example.net" };

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant() },
    env: {
      ...protectedGroupsEnv,
      ...easyAuthOn,
      CONTACT_TARGET: "both",
      CONTACT_MODE: "overwrite",
      GRAPH_MAX_RETRIES: "0",
    },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.graph.setFaults({ unavailableRate: 0, timeoutAfterWriteRate: 0 });
  env.isolate();
  env.graph.stats.reset();
});

const deliver = (message: Record<string, unknown>, dequeueCount = 1) =>
  deliverToQueue(message, { dequeueCount });

function fix(user: string, body: unknown) {
  return fixContactInfo(
    new HttpRequest({
      method: "PATCH",
      url: `http://127.0.0.1:7071/api/users/${user}/contact-info`,
      params: { user },
      headers: { "content-type": "application/json", ...callers.admin },
      body: { string: JSON.stringify(body) },
    }),
    new InvocationContext({ functionName: "fixContactInfo", logHandler: () => undefined }),
  );
}

/** Every write the tenant was asked for, plain or in a `$batch` (the privilege reads travel as a `POST $batch`). */
function writeRequests(): string[] {
  const { requests, batchItems } = env.graph.stats;
  return [...Object.keys(requests), ...Object.keys(batchItems)].filter(
    (key) => !key.startsWith("GET") && key !== "POST $batch",
  );
}

/** The tenant's state of a user, profile and methods, to compare before and after. */
const stateOf = (id: string): EmulatedUser | undefined => env.graph.tenant.user(id);

const privileged = [
  ["the active Global Administrator", users.admin, "Global Administrator, active"],
  ["the PIM-eligible Helpdesk Administrator", users.eligibleAdmin, "Helpdesk Administrator, PIM-eligible"],
  [
    "the holder of a role through a role-assignable group",
    users.groupAdmin,
    "Privileged Authentication Administrator",
  ],
  ["the member of a protected group", users.protectedMember, "protected group Tier 0 Accounts, member"],
] as const;

describe("a queue event naming a privileged account, CONTACT_TARGET=both, mode overwrite", () => {
  it.each(privileged)(
    "writes nothing for %s: every field skipped, privileged_account",
    async (_, user, detail) => {
      const before = stateOf(user.id);
      const outcome = await deliver(eventFor(user, attacker));

      expect(outcome?.status).toBe("skipped");
      expect(outcome?.fields.map((f) => `${f.field}/${f.target}:${f.action}:${f.code}`)).toEqual([
        "mobilePhone/profile:skipped:privileged_account",
        "mobilePhone/methods:skipped:privileged_account",
        "alternateEmail/profile:skipped:privileged_account",
        "alternateEmail/methods:skipped:privileged_account",
      ]);
      expect(outcome?.fields[0]?.reason).toContain(detail);
      expect(outcome?.fields[0]?.reason).toContain("https://aka.ms/mysecurityinfo");
      // Nothing written, nothing even read of the account's methods.
      expect(stateOf(user.id)).toEqual(before);
      expect(writeRequests()).toEqual([]);
      expect(env.graph.stats.writes).toEqual({});
      expect(
        env.graph.stats.batchItems["GET authMethods"] ?? env.graph.stats.requests["GET authMethods"],
      ).toBeUndefined();
      // The attacker's values appear nowhere in the record.
      expect(JSON.stringify(outcome)).not.toMatch(/4255550166|attacker@example\.net/);
    },
  );

  it("writes an ordinary user with the same event (the guard is what stops the others)", async () => {
    const outcome = await deliver(eventFor(users.newHire, attacker));
    expect(outcome?.status).toBe("updated");
    expect(stateOf(users.newHire.id)).toMatchObject({
      mobilePhone: "+1 4255550166",
      phoneMethods: { mobile: "+1 4255550166" },
      emailMethod: "attacker@example.net",
    });
  });
});

describe("a helpdesk fix for a privileged account", () => {
  it.each(privileged)("refuses %s with target methods: 200, skipped, nothing written", async (_, user) => {
    const before = stateOf(user.id);
    const response = await fix(user.userPrincipalName, { ...attacker, target: "methods", mode: "overwrite" });
    expect(response.status).toBe(200);
    const outcome = response.jsonBody as Outcome;
    expect(outcome.status).toBe("skipped");
    expect(outcome.fields.map((f) => `${f.target}:${f.code}`)).toEqual([
      "methods:privileged_account",
      "methods:privileged_account",
    ]);
    expect(stateOf(user.id)).toEqual(before);
    expect(writeRequests()).toEqual([]);
  });

  it("says so in a dry run too", async () => {
    const response = await fix(users.admin.userPrincipalName, { ...attacker, target: "both", dryRun: true });
    expect((response.jsonBody as Outcome).fields.every((f) => f.code === "privileged_account")).toBe(true);
    expect(writeRequests()).toEqual([]);
  });
});

describe("when privilege cannot be checked", () => {
  it("defers the event for the grant, naming the permission and the next attempt, and writes nothing", async () => {
    env.graph.tenant.revokePermission("RoleManagement.Read.Directory");
    const event = eventFor(users.newHire, attacker);
    const outcome = await deliver(event, 1); // returns: the event waits on the queue, the host does not retry
    expect(outcome).toMatchObject({
      status: "deferred",
      code: "missing_permission",
      permission: "RoleManagement.Read.Directory",
      nextAttemptAt: expect.any(String),
      fields: [],
    });
    expect(outcome?.message).toContain("waiting for permission RoleManagement.Read.Directory");
    expect(stateOf(users.newHire.id)).toMatchObject({ mobilePhone: null, emailMethod: null });
    expect(writeRequests()).toEqual([]);
    // A copy delivered before its next attempt (a duplicate message) makes no Graph call.
    env.graph.stats.reset();
    expect(await deliver(event, 2)).toMatchObject({ status: "deferred" });
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  it.each([
    // Roles are visible only to the role reads: unknown, so the event waits for the permission.
    ["the active Global Administrator", "deferred", users.admin],
    ["the PIM-eligible Helpdesk Administrator", "deferred", users.eligibleAdmin],
    // A member of a role-assignable group is known from the group reads alone.
    ["the holder of a role through a group", "skipped", users.groupAdmin],
  ] as const)("writes nothing for %s without the permission: %s", async (_, status, user) => {
    env.graph.tenant.revokePermission("RoleManagement.Read.Directory");
    const before = stateOf(user.id);
    expect((await deliver(eventFor(user, attacker)))?.status).toBe(status);
    expect(stateOf(user.id)).toEqual(before);
    expect(writeRequests()).toEqual([]);
  });

  it("throws on a 5xx from a role read so the host retries; nothing written until the check succeeds", async () => {
    env.graph.tenant.failRoute("GET roleEligibilityScheduleInstances", 503, 0);
    const event = eventFor(users.newHire, attacker);
    await expect(deliver(event, 1)).rejects.toThrow(/503|unavailable/i);
    expect(await appServices().outcomes.get(String(event.eventId))).toBeUndefined();
    expect(writeRequests()).toEqual([]);

    env.graph.tenant.failRoute("GET roleEligibilityScheduleInstances", undefined);
    expect((await deliver(event, 2))?.status).toBe("updated");
  });

  it("records failed on the last attempt when the role read keeps failing, having written nothing", async () => {
    env.graph.tenant.failRoute("GET roleAssignments", 500, 0);
    const event = eventFor(users.newHire, attacker);
    await expect(deliver(event, 5)).rejects.toThrow();
    const outcome = await appServices().outcomes.get(String(event.eventId));
    expect(outcome).toMatchObject({ status: "failed" });
    expect(outcome?.message).toContain("gave up after 5 attempts");
    expect(writeRequests()).toEqual([]);
  });

  it("answers a helpdesk fix with the failed outcome naming the permission", async () => {
    env.graph.tenant.revokePermission("RoleManagement.Read.Directory");
    const response = await fix(users.newHire.userPrincipalName, attacker);
    expect(response.status).toBe(200);
    expect((response.jsonBody as Outcome).status).toBe("failed");
    expect(JSON.stringify(response.jsonBody)).toContain("missing permission RoleManagement.Read.Directory");
    expect(writeRequests()).toEqual([]);
  });
});

describe("how a 403 is reported", () => {
  const error = (kind: "forbidden" | "missingPermission", permission?: string) =>
    new DirectoryError("Graph said 403", { kind, statusCode: 403, permission });

  it("calls a 403 on a profile write a privileged account", () => {
    expect(writeFailureOf(error("forbidden"))).toMatchObject({
      retry: false,
      action: "failed",
      reason: expect.stringMatching(/^privileged account: Graph refused \(403/),
    });
  });

  it("calls a 403 on an operation with a known permission that missing permission", () => {
    expect(
      writeFailureOf(error("missingPermission", "UserAuthenticationMethod.ReadWrite.All")),
    ).toMatchObject({
      retry: false,
      action: "failed",
      reason: expect.stringContaining("missing permission UserAuthenticationMethod.ReadWrite.All"),
    });
  });

  it("answers 502 naming the permission at the HTTP edge, never a bare 500", () => {
    const response = dependencyProblem(error("missingPermission", "RoleManagement.Read.Directory"));
    expect(response.status).toBe(502);
    expect(response.jsonBody).toMatchObject({
      error: {
        code: "missing_permission",
        message: expect.stringContaining("RoleManagement.Read.Directory"),
      },
    });
  });
});
