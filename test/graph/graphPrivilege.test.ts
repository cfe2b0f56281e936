import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { Privilege } from "../../shared/directory/directory.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import type { GraphDirectory } from "../../shared/graph/graphDirectory.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";
import { aSeedUser, directoryFor, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";
import { groups, pipelineTenant, protectedGroupId, users } from "../support/tenantSeeds.js";

let emulator: GraphEmulator;
let directory: GraphDirectory;

beforeAll(async () => {
  emulator = await startEmulator({ tenant: pipelineTenant() });
});
beforeEach(() => {
  resetEmulator(emulator);
  directory = directoryFor(emulator, { protectedGroupIds: [protectedGroupId] });
});
afterAll(async () => emulator?.close());

async function failureOf(promise: Promise<unknown>): Promise<GraphRequestError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GraphRequestError))
    throw new Error(`expected a GraphRequestError, got ${String(err)}`);
  return err;
}

describe("GraphDirectory.privilegeOf", () => {
  it.each<[string, string, Privilege]>([
    [
      "an active Global Administrator",
      users.admin.id,
      { privileged: true, via: "activeRole", detail: "Global Administrator" },
    ],
    [
      "a PIM-eligible Helpdesk Administrator with no active role",
      users.eligibleAdmin.id,
      { privileged: true, via: "eligibleRole", detail: "Helpdesk Administrator" },
    ],
    [
      "a user holding a role through a role-assignable group",
      users.groupAdmin.id,
      { privileged: true, via: "activeRole", detail: "Privileged Authentication Administrator" },
    ],
    [
      "a nested member of a protected group",
      users.protectedMember.id,
      { privileged: true, via: "protectedGroup", detail: "Tier 0 Accounts" },
    ],
    ["a user in an ordinary group only", users.newHire.id, { privileged: false }],
    ["a user in no group", users.synced.id, { privileged: false }],
  ])("tells %s", async (_, id, expected) => {
    expect(await directory.privilegeOf(id)).toEqual(expected);
  });

  it("costs one $batch request of three reads for a user in no role-assignable group", async () => {
    await directory.privilegeOf(users.newHire.id);
    expect(emulator.stats.requests).toEqual({ "POST $batch": 1 });
    expect(emulator.stats.batchItems).toEqual({
      "GET transitiveMemberOf": 1,
      "GET roleAssignments": 1,
      "GET roleEligibilityScheduleInstances": 1,
    });
  });

  it("reads the roles of the user's role-assignable groups in a second $batch, naming the group", async () => {
    // An eligibility is not an active role, so no directory role shows in the memberships: only the group's own
    // reads find it.
    const lonely = aSeedUser(900);
    emulator.tenant.addUser(lonely);
    emulator.tenant.addGroup({
      id: "00000000-0000-4000-8000-0000000000e1",
      displayName: "Helpdesk On Call",
      isAssignableToRole: true,
      members: [lonely.id],
      eligibleRoles: ["Helpdesk Administrator"],
    });
    expect(await directory.privilegeOf(lonely.id)).toEqual({
      privileged: true,
      via: "eligibleRole",
      detail: "Helpdesk Administrator through group Helpdesk On Call",
    });
    // A third $batch reads the role's name: grants are read without `$expand` (a resource unit each), and the
    // name is needed only now that the user is known to be privileged.
    expect(emulator.stats.requests).toEqual({ "POST $batch": 3 });
    expect(emulator.stats.batchItems).toEqual({
      "GET transitiveMemberOf": 1,
      "GET roleAssignments": 2,
      "GET roleEligibilityScheduleInstances": 2,
      "GET roleDefinition": 1,
    });
  });

  it("reads a role's name once per process, and none for users found not privileged", async () => {
    await directory.privilegeOfMany([users.eligibleAdmin.id, users.newHire.id, users.synced.id]);
    expect(emulator.stats.batchItems["GET roleDefinition"]).toBe(1);
    await directory.privilegeOf(users.eligibleAdmin.id);
    expect(emulator.stats.batchItems["GET roleDefinition"]).toBe(1);
  });

  it("keeps the verdict when a role's name can't be read, naming the role by id", async () => {
    emulator.tenant.failRoute("GET roleDefinition", 503);
    const privilege = await directory.privilegeOf(users.eligibleAdmin.id);
    expect(privilege).toMatchObject({ privileged: true, via: "eligibleRole" });
    expect(privilege.privileged && privilege.detail).toMatch(/^role [0-9a-f-]{36}$/);
  });

  it("costs Graph's minimum of one resource unit per read (no $expand, memberships with $select)", async () => {
    await directory.privilegeOf(users.newHire.id);
    expect(emulator.stats.resourceUnits).toBe(1 + 1 + 1);
  });

  it("does not read the roles of groups that cannot hold one", async () => {
    await directory.privilegeOf(users.newHire.id); // in All Staff, not role-assignable
    expect(emulator.stats.requestCount("POST $batch")).toBe(1);
  });

  it("checks every group when Graph gives only limited information on groups (no GroupMember.Read.All)", async () => {
    emulator.tenant.revokePermission("GroupMember.Read.All");
    expect(await directory.privilegeOf(users.newHire.id)).toEqual({ privileged: false });
    // All Staff's kind is unknown now, so its roles are read too: a second $batch.
    expect(emulator.stats.requestCount("POST $batch")).toBe(2);
    expect(await directory.privilegeOf(users.protectedMember.id)).toEqual({
      privileged: true,
      via: "protectedGroup",
      detail: protectedGroupId,
    });
  });

  it("follows @odata.nextLink for a user in more than 999 groups", async () => {
    const busy = aSeedUser(901);
    emulator.tenant.addUser(busy);
    for (let n = 0; n < 1000; n++) {
      emulator.tenant.addGroup({
        id: `00000000-0000-4000-8000-${(0x10000 + n).toString(16).padStart(12, "0")}`,
        displayName: `Project ${n}`,
        members: [busy.id],
      });
    }
    // Through the last of them, so the protected group comes after the first page of 999.
    const last = `00000000-0000-4000-8000-${(0x10000 + 999).toString(16).padStart(12, "0")}`;
    emulator.tenant.group(groups.protectedGroup.id)?.members.push(last);
    expect(await directory.privilegeOf(busy.id)).toMatchObject({ privileged: true, via: "protectedGroup" });
    expect(emulator.stats.requestCount("GET transitiveMemberOf")).toBe(1);
  });

  describe("fails closed", () => {
    it("throws kind missingPermission naming RoleManagement.Read.Directory when the role reads answer 403", async () => {
      emulator.tenant.revokePermission("RoleManagement.Read.Directory");
      const err = await failureOf(directory.privilegeOf(users.newHire.id));
      expect(err.kind).toBe(DirectoryErrorKind.missingPermission);
      expect(err.permission).toBe("RoleManagement.Read.Directory");
      expect(err.message).toMatch(/^missing permission RoleManagement\.Read\.Directory: /);
      expect(err.retryable).toBe(false);
    });

    it("still knows an active admin without the permission: Graph lists their directory role as a membership", async () => {
      emulator.tenant.revokePermission("RoleManagement.Read.Directory");
      expect(await directory.privilegeOf(users.admin.id)).toEqual({
        privileged: true,
        via: "activeRole",
        detail: "a directory role",
      });
    });

    it("throws a transient error when a role read keeps answering 5xx, after retrying it", async () => {
      emulator.tenant.failRoute("GET roleEligibilityScheduleInstances", 503, 0);
      const err = await failureOf(directory.privilegeOf(users.newHire.id));
      expect(err.kind).toBe(DirectoryErrorKind.transient);
      expect(err.retryable).toBe(true);
      expect(emulator.stats.batchItems["GET roleEligibilityScheduleInstances"]).toBe(4); // 1 + 3 retries
    });

    it("throws for a user whose memberships cannot be read", async () => {
      emulator.tenant.failRoute("GET transitiveMemberOf", 500, 0);
      expect((await failureOf(directory.privilegeOf(users.newHire.id))).kind).toBe(
        DirectoryErrorKind.transient,
      );
    });
  });
});

describe("GraphDirectory.privilegeOfMany", () => {
  it("answers in input order, an error in the slot of a user who cannot be checked", async () => {
    emulator.tenant.failRoute("GET transitiveMemberOf", 500, 0);
    const answers = await directory.privilegeOfMany([users.admin.id, users.newHire.id]);
    // The admin's role assignment is evidence enough; the other user's memberships are unknown.
    expect(answers[0]).toMatchObject({ privileged: true, via: "activeRole" });
    expect(answers[1]).toBeInstanceOf(GraphRequestError);
  });

  it("checks 20 users in 3 $batch requests: 20 membership reads, 2 assignment reads, 20 eligibility reads", async () => {
    const many = Array.from({ length: 20 }, (_, i) => aSeedUser(1000 + i));
    for (const user of many) emulator.tenant.addUser(user);
    const answers = await directory.privilegeOfMany(many.map((u) => u.id));
    expect(answers.every((a) => !(a instanceof Error) && !a.privileged)).toBe(true);
    expect(emulator.stats.requests).toEqual({ "POST $batch": 3 });
    expect(emulator.stats.batchItems).toEqual({
      "GET transitiveMemberOf": 20,
      "GET roleAssignments": 2,
      "GET roleEligibilityScheduleInstances": 20,
    });
  });

  it("reads a role-assignable group shared by many users once", async () => {
    const members = Array.from({ length: 5 }, (_, i) => aSeedUser(1100 + i));
    for (const user of members) emulator.tenant.addUser(user);
    emulator.tenant.addGroup({
      id: "00000000-0000-4000-8000-0000000000e2",
      displayName: "Reader Pool",
      isAssignableToRole: true,
      members: members.map((u) => u.id),
    });
    const answers = await directory.privilegeOfMany(members.map((u) => u.id));
    expect(answers).toEqual(members.map(() => ({ privileged: false })));
    expect(emulator.stats.batchItems["GET roleEligibilityScheduleInstances"]).toBe(5 + 1);
  });

  it("makes no request for no users", async () => {
    expect(await directory.privilegeOfMany([])).toEqual([]);
    expect(emulator.stats.totalRequests()).toBe(0);
  });
});

describe("authentication-method writes", () => {
  it("report a 403 as the missing narrow permission (UserAuthMethod-Phone.ReadWrite.All)", async () => {
    emulator.tenant.failRoute("POST phoneMethods", 403);
    const err = await failureOf(directory.addPhoneMethod(users.newHire.id, "+1 4255550147", "mobile"));
    expect(err).toMatchObject({
      kind: "missingPermission",
      permission: "UserAuthMethod-Phone.ReadWrite.All",
    });
    const [batched] = await directory.writeAuthMethods([
      { userId: users.newHire.id, kind: "addPhone", phoneType: "mobile", phoneNumber: "+1 4255550147" },
    ]);
    expect(batched).toMatchObject({
      kind: "missingPermission",
      permission: "UserAuthMethod-Phone.ReadWrite.All",
    });
  });

  it("leave a 403 on a profile write as forbidden: Graph's answer for a privileged user", async () => {
    const err = await failureOf(directory.updateProfile(users.admin.id, { mobilePhone: "+1 4255550147" }));
    expect(err.kind).toBe(DirectoryErrorKind.forbidden);
  });
});
