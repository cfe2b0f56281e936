import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { directoryFailureOf } from "../../shared/directory/directoryFailure.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { deliverToQueue } from "../support/deliverToQueue.js";
import { eventFor } from "../support/factories.js";
import { directoryFor } from "../support/graphEmulatorFixtures.js";
import { easyAuthOn, fix } from "../support/helpdeskRequests.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// Graph answers a profile PATCH with the same 403 Authorization_RequestDenied for a privileged target and for a
// write permission the app lacks. A fresh install with a forgotten grant used to report every new hire as a
// "privileged account"; the identity's token (its roles claim) now tells the two apart.

let env: TestEnvironment;
const contact = { mobilePhone: "+1 425 555 0147", alternateEmail: "new.hire@example.net" };

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant() },
    env: { ...easyAuthOn, CONTACT_TARGET: "profile", GRAPH_MAX_RETRIES: "0" },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.isolate();
});

/** Takes permissions from the emulated app and gives the app a token issued afterwards, as Entra ID would. */
function revoke(...permissions: string[]): void {
  for (const permission of permissions) env.graph.tenant.revokePermission(permission);
  env.configure({ GRAPH_ACCESS_TOKEN: env.graph.issueToken() });
}

/** Makes the user a Global Administrator in the emulated tenant, as an admin would in the portal. */
function promote(id: string): void {
  const user = env.graph.tenant.find(id);
  if (!user) throw new Error(`no user ${id}`);
  user.adminRoles.push("Global Administrator");
}

/** The adapter with a fresh token and a privilege picture kept a minute: wide enough to race past deterministically. */
function racingDirectory() {
  return directoryFor(env.graph, { accessToken: env.graph.issueToken(), privilegeMaxAgeMs: 60_000 });
}

const deliver = (message: Record<string, unknown>) => deliverToQueue(message);

describe("a 403 on a profile write, told apart by the identity's grants", () => {
  it("reports missing_permission User-Phone.ReadWrite.All for a queued event, not a privileged account", async () => {
    revoke("User-Phone.ReadWrite.All");
    const outcome = await deliver(eventFor(users.newHire, { mobilePhone: contact.mobilePhone }));
    // The queue waits for the grant rather than failing the event (test/sync/permissionGrantedLate.test.ts).
    expect(outcome).toMatchObject({
      status: "deferred",
      code: "missing_permission",
      permission: "User-Phone.ReadWrite.All",
    });
    expect(JSON.stringify(outcome)).not.toContain("privileged");
    expect(env.graph.tenant.user(users.newHire.id)?.mobilePhone).toBeNull();
  });

  it("reports missing_permission User-Mail.ReadWrite.All for a helpdesk fix of the alternate email", async () => {
    revoke("User-Mail.ReadWrite.All");
    const response = await fix(users.newHire.userPrincipalName, { alternateEmail: contact.alternateEmail });
    const outcome = response.jsonBody as Outcome;
    expect(outcome.fields).toEqual([
      expect.objectContaining({
        field: "alternateEmail",
        code: "missing_permission",
        reason: expect.stringContaining("User-Mail.ReadWrite.All"),
      }),
    ]);
  });

  it.each([
    ["the broad User.ReadWrite.All instead of the narrow ones", ["User.ReadWrite.All"], "updated"],
    ["Directory.ReadWrite.All instead of the narrow ones", ["Directory.ReadWrite.All"], "updated"],
  ])("writes with %s", async (_, granted, status) => {
    for (const permission of granted) env.graph.tenant.grantPermission(permission);
    revoke("User-Phone.ReadWrite.All", "User-Mail.ReadWrite.All");
    expect((await deliver(eventFor(users.newHire, contact)))?.status).toBe(status);
  });

  it("never sends a write to a known admin, even when the adapter is asked directly", async () => {
    // The guard stops admins before any PATCH; asked directly, the adapter's write gate still holds it back.
    const directory = directoryFor(env.graph, { accessToken: env.graph.issueToken() });
    env.graph.stats.reset();
    const error = await directory
      .updateProfile(users.admin.id, { mobilePhone: contact.mobilePhone })
      .catch((e) => e);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({ kind: DirectoryErrorKind.privilegedTarget });
    expect(env.graph.stats.requestCount("PATCH user")).toBe(0);
  });

  it("reports a real privileged target as privileged, saying the app holds the write permissions", async () => {
    // A user made an admin within the picture's bound (PRIVILEGE_MAX_AGE_SECONDS) passes the write gate: the one
    // race left, where Graph's own 403 is the protection and must be explained as a privileged account.
    const directory = racingDirectory();
    expect(await directory.privilegeOf(users.newHire.id)).toEqual({ privileged: false });
    promote(users.newHire.id);
    const error = await directory
      .updateProfile(users.newHire.id, { mobilePhone: contact.mobilePhone })
      .catch((e) => e);
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({ kind: DirectoryErrorKind.forbidden, permissionsConfirmed: true });
    expect(env.graph.tenant.user(users.newHire.id)?.mobilePhone).toBeNull();
    const failure = directoryFailureOf(error);
    expect(failure.code).toBe("forbidden_privileged_user");
    expect(failure.reason).toMatch(/^privileged account: .*although the app holds the write permissions/);
    expect(failure.reason).not.toContain("check the app has");
  });

  it("names both causes when the token can't be read (an opaque token)", async () => {
    const directory = directoryFor(env.graph, { accessToken: "local-dev-token" });
    env.graph.tenant.revokePermission("User-Phone.ReadWrite.All");
    const error = await directory
      .updateProfile(users.newHire.id, { mobilePhone: contact.mobilePhone })
      .catch((e) => e);
    expect(error).toMatchObject({ kind: DirectoryErrorKind.forbidden, permissionsConfirmed: false });
    expect(directoryFailureOf(error).reason).toContain(
      "check the app has User-Phone.ReadWrite.All and User-Mail.ReadWrite.All",
    );
  });

  it("explains each item of a $batch of profile writes by its own properties", async () => {
    env.graph.tenant.revokePermission("User-Mail.ReadWrite.All");
    const directory = racingDirectory();
    // The picture is read while users.registered is ordinary; made an admin within its bound, Graph refuses them.
    await directory.privilegeOfMany([users.newHire.id, users.reformat.id, users.registered.id]);
    promote(users.registered.id);
    env.graph.stats.reset();
    const answers = await directory.updateProfiles([
      { userId: users.newHire.id, patch: { mobilePhone: contact.mobilePhone } },
      { userId: users.reformat.id, patch: { otherMails: [contact.alternateEmail] } },
      { userId: users.registered.id, patch: { mobilePhone: contact.mobilePhone } },
      { userId: users.admin.id, patch: { mobilePhone: contact.mobilePhone } },
    ]);
    expect(answers[0]).toBeUndefined();
    expect(answers[1]).toMatchObject({ kind: "missingPermission", permission: "User-Mail.ReadWrite.All" });
    expect(answers[2]).toMatchObject({ kind: "forbidden", permissionsConfirmed: true });
    // A known admin's item never reaches Graph: the write gate answers it.
    expect(answers[3]).toMatchObject({ kind: "privilegedTarget" });
    expect(env.graph.stats.batchItems["PATCH user"]).toBe(3);
    expect(env.graph.stats.batchItems["GET roleAssignments"]).toBeUndefined();
  });

  it("keeps reporting what the token says: a token issued before a revocation still claims the grant", async () => {
    const directory = directoryFor(env.graph, { accessToken: env.graph.token });
    env.graph.tenant.revokePermission("User-Phone.ReadWrite.All");
    const error = await directory
      .updateProfile(users.newHire.id, { mobilePhone: contact.mobilePhone })
      .catch((e) => e);
    // Graph itself would honour that token until it expires; the emulator refuses at once, so this is the one
    // case where the explanation can be wrong, and it errs towards not writing.
    expect(error).toMatchObject({ kind: "forbidden", permissionsConfirmed: true });
  });
});

describe("the access tokens the emulated tenant issues", () => {
  it("are JWTs whose roles claim lists the permissions granted when they were issued", async () => {
    const directory = directoryFor(env.graph);
    expect(await directory.grantedPermissions()).toMatchObject({
      known: true,
      permissions: new Set(env.graph.tenant.grantedPermissions()),
    });
    env.graph.tenant.revokePermission("RoleManagement.Read.Directory");
    const fresh = await directoryFor(env.graph, { accessToken: env.graph.issueToken() }).grantedPermissions();
    expect(fresh.known && fresh.permissions.has("RoleManagement.Read.Directory")).toBe(false);
  });

  it.each([
    ["a token it issued earlier", () => env.graph.token, 200],
    ["the opaque local-dev-token", () => "local-dev-token", 200],
    [
      "a token whose roles were edited (signature no longer matches)",
      () => withRoles(env.graph.token, ["Directory.ReadWrite.All"]),
      401,
    ],
    ["no token", () => "", 401],
  ])("accepts %s → %i", async (_, token, status) => {
    const response = await fetch(`${env.graph.url}/users?$top=1`, {
      headers: token() ? { Authorization: `Bearer ${token()}` } : {},
    });
    expect(response.status).toBe(status);
  });
});

/** The same token with its payload's roles replaced, keeping the old signature: a forgery. */
function withRoles(token: string, roles: string[]): string {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
  return [header, Buffer.from(JSON.stringify({ ...claims, roles })).toString("base64url"), signature].join(
    ".",
  );
}
