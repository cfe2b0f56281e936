import { describe, expect, it } from "vitest";
import type { Privilege } from "../../shared/directory/directory.js";
import {
  type GroupFacts,
  type PrivilegeFacts,
  privilegeIn,
  privilegePictureOf,
  type RoleGrant,
} from "../../shared/directory/privilegePicture.js";

const globalAdmin = "62e90394-69f5-4237-9190-012177145e10";
const helpdeskAdmin = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const user = "00000000-0000-4000-8000-00000000a001";
const groupId = "00000000-0000-4000-8000-00000000b001";

const grant = (principalId: string, state: RoleGrant["state"], directoryScopeId = "/"): RoleGrant => ({
  principalId,
  roleDefinitionId: globalAdmin,
  directoryScopeId,
  state,
});

function group(shape: Partial<GroupFacts>): GroupFacts {
  return {
    id: groupId,
    name: "Tier 0 Admins",
    roleAssignable: true,
    protected: false,
    members: [],
    owners: [],
    eligibleMembers: [],
    eligibleOwners: [],
    ...shape,
  };
}

function facts(shape: Partial<PrivilegeFacts>): PrivilegeFacts {
  return {
    pim: true,
    roleGrants: [],
    groups: new Map(),
    roleNames: new Map([
      [globalAdmin, "Global Administrator"],
      [helpdeskAdmin, "Helpdesk Administrator"],
    ]),
    gaps: [],
    ...shape,
  };
}

const withGroup = (g: GroupFacts, grants: RoleGrant[] = []) =>
  facts({ groups: new Map([[g.id, g]]), roleGrants: grants });

const verdictOf = (f: PrivilegeFacts, id = user) => privilegeIn(privilegePictureOf(f, new Date(0)), id);

describe("what counts as privileged", () => {
  it.each<[string, PrivilegeFacts, Privilege]>([
    [
      "an active directory role, held directly",
      facts({ roleGrants: [grant(user, "active")] }),
      { privileged: true, via: "activeRole", detail: "Global Administrator" },
    ],
    [
      "a PIM-eligible directory role, held directly",
      facts({ roleGrants: [grant(user, "eligible")] }),
      { privileged: true, via: "eligibleRole", detail: "Global Administrator" },
    ],
    [
      "a role scoped to an administrative unit",
      facts({ roleGrants: [grant(user, "active", "/administrativeUnits/au-1")] }),
      {
        privileged: true,
        via: "activeRole",
        detail: "Global Administrator (scope /administrativeUnits/au-1)",
      },
    ],
    [
      "an active role through a role-assignable group",
      withGroup(group({ members: [user] }), [grant(groupId, "active")]),
      { privileged: true, via: "activeRole", detail: "Global Administrator through group Tier 0 Admins" },
    ],
    [
      "an eligible role through a role-assignable group",
      withGroup(group({ members: [user] }), [grant(groupId, "eligible")]),
      { privileged: true, via: "eligibleRole", detail: "Global Administrator through group Tier 0 Admins" },
    ],
    [
      "PIM-eligible membership of a role-assignable group (PIM for Groups)",
      withGroup(group({ eligibleMembers: [user] }), [grant(groupId, "active")]),
      { privileged: true, via: "roleGroupEligible", detail: "Tier 0 Admins, PIM-eligible member" },
    ],
    [
      "PIM-eligible ownership of a role-assignable group",
      withGroup(group({ eligibleOwners: [user] }), [grant(groupId, "active")]),
      { privileged: true, via: "roleGroupEligible", detail: "Tier 0 Admins, PIM-eligible owner" },
    ],
    [
      "ownership of a role-assignable group (an owner can add themself)",
      withGroup(group({ owners: [user] }), [grant(groupId, "active")]),
      { privileged: true, via: "roleGroupOwner", detail: "Tier 0 Admins" },
    ],
    [
      "membership of a role-assignable group that holds no role yet",
      withGroup(group({ members: [user] })),
      { privileged: true, via: "roleGroupMember", detail: "Tier 0 Admins" },
    ],
    [
      "membership of a protected group",
      withGroup(group({ roleAssignable: false, protected: true, members: [user] })),
      { privileged: true, via: "protectedGroup", detail: "Tier 0 Admins, member" },
    ],
    [
      "ownership of a protected group",
      withGroup(group({ roleAssignable: false, protected: true, owners: [user] })),
      { privileged: true, via: "protectedGroup", detail: "Tier 0 Admins, owner" },
    ],
    [
      "PIM-eligible membership of a protected group",
      withGroup(group({ roleAssignable: false, protected: true, eligibleMembers: [user] })),
      { privileged: true, via: "protectedGroup", detail: "Tier 0 Admins, PIM-eligible member" },
    ],
    [
      "a role whose name could not be read",
      facts({ roleGrants: [{ ...grant(user, "active"), roleDefinitionId: "custom-role" }] }),
      { privileged: true, via: "activeRole", detail: "role custom-role" },
    ],
  ])("%s", (_, f, expected) => {
    expect(verdictOf(f)).toEqual(expected);
    // Object ids are compared without regard to case, as Entra compares them.
    expect(verdictOf(f, user.toUpperCase())).toEqual(expected);
  });

  it("names the strongest evidence when there are several", () => {
    const f = withGroup(group({ members: [user], owners: [user] }), [grant(groupId, "eligible")]);
    expect(verdictOf({ ...f, roleGrants: [...f.roleGrants, grant(user, "active")] })).toMatchObject({
      via: "activeRole",
      detail: "Global Administrator",
    });
  });

  it.each<[string, PrivilegeFacts]>([
    ["a user nobody granted anything", facts({})],
    [
      "a member of an ordinary group that is neither role-assignable nor protected",
      withGroup(group({ roleAssignable: false, members: [user] })),
    ],
    ["a user whose only grant belongs to someone else", facts({ roleGrants: [grant(groupId, "active")] })],
  ])("leaves %s unprivileged", (_, f) => {
    expect(verdictOf(f)).toEqual({ privileged: false });
  });

  it("fails closed: with a read missing, a user without evidence is unknown, one with evidence still privileged", () => {
    const gap = new Error("role eligibilities could not be read");
    const f = { ...facts({ roleGrants: [grant(user, "active")] }), gaps: [gap] };
    expect(verdictOf(f, "00000000-0000-4000-8000-00000000a002")).toBe(gap);
    expect(verdictOf(f)).toMatchObject({ privileged: true, via: "activeRole" });
  });
});
