import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { Privilege } from "../../shared/directory/directory.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import type { GraphDirectory } from "../../shared/graph/graphDirectory.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";
import { aSeedUser, directoryFor, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";
import { groups, guardTenant, protectedGroupId, shapes, users } from "../support/tenantSeeds.js";

// The adapter's side of the guard: one tenant-wide picture of privileged principals, read in two `$batch` rounds,
// kept no longer than its bound, on a P2 tenant (with PIM) and on a P1 tenant (Graph refuses every PIM read).

let emulator: GraphEmulator;
let directory: GraphDirectory;

beforeAll(async () => {
  emulator = await startEmulator({ tenant: guardTenant("P2") });
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

/** Every shape of docs/security.md, with the verdict the adapter gives it on a P2 tenant. */
const verdicts: Array<[string, string, Privilege]> = [
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
    "a role holder through a role-assignable group",
    users.groupAdmin.id,
    {
      privileged: true,
      via: "activeRole",
      detail: "Privileged Authentication Administrator through group Authentication Admins",
    },
  ],
  [
    "a User Administrator scoped to an administrative unit",
    shapes.scopedAdmin.id,
    {
      privileged: true,
      via: "activeRole",
      detail: "User Administrator (scope /administrativeUnits/00000000-0000-4000-8000-0000000000f1)",
    },
  ],
  [
    "the owner of a role-assignable group",
    shapes.groupOwner.id,
    { privileged: true, via: "roleGroupOwner", detail: "Emergency Global Admins" },
  ],
  [
    "a PIM-eligible member of a role-assignable group (PIM for Groups)",
    shapes.eligibleGroupMember.id,
    { privileged: true, via: "roleGroupEligible", detail: "Emergency Global Admins, PIM-eligible member" },
  ],
  [
    "a PIM-eligible owner of a role-assignable group",
    shapes.eligibleGroupOwner.id,
    { privileged: true, via: "roleGroupEligible", detail: "Emergency Global Admins, PIM-eligible owner" },
  ],
  [
    "a member of a role-assignable group that holds no role yet",
    shapes.quietGroupMember.id,
    { privileged: true, via: "roleGroupMember", detail: "Future Admins" },
  ],
  [
    "a nested member of a protected group",
    users.protectedMember.id,
    { privileged: true, via: "protectedGroup", detail: "Tier 0 Accounts, member" },
  ],
  [
    "the owner of a protected group",
    shapes.protectedOwner.id,
    { privileged: true, via: "protectedGroup", detail: "Tier 0 Accounts, owner" },
  ],
  ["a user in an ordinary group only", users.newHire.id, { privileged: false }],
  ["a user in no group", users.synced.id, { privileged: false }],
];

describe("GraphDirectory.privilegeOf on a P2 tenant", () => {
  it.each(verdicts)("tells %s", async (_, id, expected) => {
    expect(await directory.privilegeOf(id)).toEqual(expected);
  });

  it("reads the whole picture in two $batch requests, whoever asks", async () => {
    await directory.privilegeOf(users.newHire.id);
    expect(emulator.stats.requests).toEqual({ "POST $batch": 2 });
    // Round 1: the tenant's grants, its role-assignable groups, the protected group. Round 2: each of the four
    // groups' members, owners and PIM eligibilities, and the names of the roles granted.
    expect(emulator.stats.batchItems).toMatchObject({
      "GET roleAssignments": 1,
      "GET roleEligibilityScheduleInstances": 1,
      "GET groups": 1,
      "GET group": 1,
      "GET members": 3,
      "GET transitiveMembers": 1,
      "GET owners": 4,
      "GET eligibilityScheduleInstances": 4,
    });
    expect(emulator.stats.batchItems["GET transitiveMemberOf"]).toBeUndefined();
  });

  it("costs the same for 200 users as for one: the picture grows with the admins' groups, not the users", async () => {
    const many = Array.from({ length: 200 }, (_, i) => aSeedUser(3000 + i));
    for (const user of many) emulator.tenant.addUser(user);
    await directory.privilegeOf(users.newHire.id);
    const one = emulator.stats.resourceUnits;
    resetEmulator(emulator);
    for (const user of many) emulator.tenant.addUser(user);
    const fresh = directoryFor(emulator, { protectedGroupIds: [protectedGroupId] });
    const answers = await fresh.privilegeOfMany(many.map((u) => u.id));
    expect(answers.every((a) => !(a instanceof Error) && !a.privileged)).toBe(true);
    expect(emulator.stats.resourceUnits).toBe(one);
  });

  it("uses a picture while its reads began at most PRIVILEGE_MAX_AGE_SECONDS ago, reading the next one in the background past half of it", async () => {
    let now = 1_000_000;
    const clocked = directoryFor(emulator, {
      protectedGroupIds: [protectedGroupId],
      privilegeMaxAgeMs: 5_000,
      now: () => now,
    });
    const reads = () => emulator.stats.batchItems["GET roleAssignments"] ?? 0;
    await clocked.privilegeOf(users.newHire.id);
    now += 2_000;
    await clocked.privilegeOfMany([users.admin.id, users.synced.id]);
    expect(reads()).toBe(1);
    // Past half its age: answered from the current picture at once, the next one read meanwhile.
    now += 1_000;
    expect(await clocked.privilegeOf(users.newHire.id)).toEqual({ privileged: false });
    await clocked.privilegePicture(); // still the current one
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads()).toBe(2);
    // A grant made now is in no picture read so far; once the newest is older than the bound, a read sees it.
    emulator.tenant.find(users.newHire.id)?.adminRoles.push("Global Administrator");
    now += 5_001;
    expect(await clocked.privilegeOf(users.newHire.id)).toMatchObject({
      privileged: true,
      via: "activeRole",
    });
    expect(reads()).toBe(3);
  });

  it("reads each role's name once per process, and only for roles someone holds", async () => {
    await directory.privilegeOf(users.newHire.id);
    const names = emulator.stats.batchItems["GET roleDefinition"] ?? 0;
    // Global Administrator (held directly and through Emergency Global Admins), Helpdesk, Privileged
    // Authentication and User Administrator: four roles granted, four names.
    expect(names).toBe(4);
    let now = Date.now() + 60_000;
    const later = directoryFor(emulator, { protectedGroupIds: [protectedGroupId], now: () => now });
    await later.privilegeOf(users.newHire.id);
    now += 10_000;
    await later.privilegeOf(users.newHire.id);
    expect(emulator.stats.batchItems["GET roleDefinition"]).toBe(names * 2);
  });

  it("keeps the verdict when a role's name can't be read, naming the role by id", async () => {
    emulator.tenant.failRoute("GET roleDefinition", 503);
    const privilege = await directory.privilegeOf(users.eligibleAdmin.id);
    expect(privilege).toMatchObject({ privileged: true, via: "eligibleRole" });
    expect(privilege.privileged && privilege.detail).toMatch(/^role [0-9a-f-]{36}$/);
  });

  it("follows @odata.nextLink through a protected group of more than 999 members", async () => {
    const crowd = Array.from({ length: 1200 }, (_, i) => aSeedUser(5000 + i));
    for (const user of crowd) emulator.tenant.addUser(user);
    emulator.tenant.group(groups.protectedGroup.id)?.members.push(...crowd.map((u) => u.id));
    const last = crowd.at(-1)?.id ?? "";
    expect(await directory.privilegeOf(last)).toMatchObject({ privileged: true, via: "protectedGroup" });
    expect(emulator.stats.requestCount("GET transitiveMembers")).toBe(1);
  });

  describe("fails closed", () => {
    it.each([
      ["RoleManagement.Read.Directory", "roleAssignments"],
      ["GroupMember.Read.All", "groups"],
      ["PrivilegedEligibilitySchedule.Read.AzureADGroup", "eligibilityScheduleInstances"],
    ])("throws kind missingPermission naming %s when Graph refuses its read", async (permission) => {
      emulator.tenant.revokePermission(permission);
      const err = await failureOf(directory.privilegeOf(users.newHire.id));
      expect(err.kind).toBe(DirectoryErrorKind.missingPermission);
      expect(err.permission).toBe(permission);
      expect(err.retryable).toBe(false);
    });

    it("still knows a member of a role-assignable group when only the role reads are refused", async () => {
      emulator.tenant.revokePermission("RoleManagement.Read.Directory");
      expect(await directory.privilegeOf(users.groupAdmin.id)).toMatchObject({
        privileged: true,
        via: "roleGroupMember",
      });
      expect((await failureOf(directory.privilegeOf(users.admin.id))).permission).toBe(
        "RoleManagement.Read.Directory",
      );
    });

    it("throws a transient error when a read keeps answering 5xx, after retrying it, and keeps no such picture", async () => {
      emulator.tenant.failRoute("GET roleEligibilityScheduleInstances", 503, 0);
      const err = await failureOf(directory.privilegeOf(users.newHire.id));
      expect(err.kind).toBe(DirectoryErrorKind.transient);
      expect(err.retryable).toBe(true);
      expect(emulator.stats.batchItems["GET roleEligibilityScheduleInstances"]).toBe(4); // 1 + 3 retries
      emulator.tenant.failRoute("GET roleEligibilityScheduleInstances", undefined);
      expect(await directory.privilegeOf(users.newHire.id)).toEqual({ privileged: false });
    });

    it("answers every slot with the error when nothing could be read", async () => {
      emulator.tenant.failRoute("GET roleAssignments", 500, 0);
      emulator.tenant.failRoute("GET groups", 500, 0);
      emulator.tenant.failRoute("GET group", 500, 0);
      emulator.tenant.failRoute("GET roleEligibilityScheduleInstances", 500, 0);
      const answers = await directory.privilegeOfMany([users.admin.id, users.newHire.id]);
      expect(answers.every((a) => a instanceof GraphRequestError)).toBe(true);
    });
  });
});

describe("GraphDirectory.privilegeOf on a P1 tenant (no PIM)", () => {
  let p1: GraphEmulator;
  beforeAll(async () => {
    p1 = await startEmulator({ tenant: guardTenant("P1") });
  });
  beforeEach(() => resetEmulator(p1));
  afterAll(async () => p1?.close());
  const onP1 = (now?: () => number) =>
    directoryFor(p1, { protectedGroupIds: [protectedGroupId], ...(now ? { now } : {}) });

  it.each(
    verdicts.filter(
      ([, id]) =>
        ![users.eligibleAdmin.id, shapes.eligibleGroupMember.id, shapes.eligibleGroupOwner.id].includes(id),
    ),
  )("still tells %s from what the tenant has", async (_, id, expected) => {
    expect(await onP1().privilegeOf(id)).toEqual(expected);
  });

  it.each([
    [400, "current"],
    [403, "current"],
    [400, "legacy"],
  ] as const)(
    "reads Graph's AadPremiumLicenseRequired (%i, %s wording) as 'no PIM here' and writes the new hire",
    async (status, wording) => {
      p1.tenant.pimRefusal = { status, wording };
      const picture = await onP1().privilegePicture();
      expect(picture.pim).toBe(false);
      expect(picture.gap).toBeUndefined();
      expect(await onP1().privilegeOf(users.newHire.id)).toEqual({ privileged: false });
    },
  );

  it("learns it once per process: later pictures send no PIM read, until an hour has passed", async () => {
    let now = 1_000_000;
    const directory = onP1(() => now);
    await directory.privilegePicture();
    expect(p1.stats.batchItems["GET roleEligibilityScheduleInstances"]).toBe(1);
    expect(p1.stats.batchItems["GET eligibilityScheduleInstances"]).toBeUndefined();
    for (let k = 0; k < 3; k++) {
      now += 6_000;
      await directory.privilegePicture();
    }
    expect(p1.stats.batchItems["GET roleAssignments"]).toBe(4);
    expect(p1.stats.batchItems["GET roleEligibilityScheduleInstances"]).toBe(1);
    now += 3_600_001;
    await directory.privilegePicture();
    expect(p1.stats.batchItems["GET roleEligibilityScheduleInstances"]).toBe(2);
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
    // The write gate keeps every admin the guard knows from Graph; this is Graph's own refusal behind it.
    emulator.tenant.failRoute("PATCH user", 403);
    const err = await failureOf(directory.updateProfile(users.newHire.id, { mobilePhone: "+1 4255550147" }));
    expect(err.kind).toBe(DirectoryErrorKind.forbidden);
  });

  it("are not sent to an admin the guard knows: the write gate answers for Graph", async () => {
    const err = await failureOf(directory.updateProfile(users.admin.id, { mobilePhone: "+1 4255550147" }));
    expect(err.kind).toBe(DirectoryErrorKind.privilegedTarget);
    expect(emulator.stats.writes).toEqual({});
  });
});
