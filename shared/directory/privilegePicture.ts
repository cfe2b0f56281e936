import type { Privilege } from "./directory.js";

/**
 * What the tenant says about its privileged principals, read tenant-wide in one go (the Graph adapter's
 * `readPrivilegeFacts`): every directory role assignment and PIM eligibility (any scope), every role-assignable
 * group with its members, owners and PIM-eligible members and owners, and the same of each protected group. Its
 * size grows with the number of admins, not of users, so one picture serves every user checked while it is fresh.
 */
export interface PrivilegeFacts {
  /** Whether the tenant has Privileged Identity Management (Entra ID P2 or ID Governance). */
  pim: boolean;
  /** Directory role grants, active (assignments) and PIM-eligible, to users and to role-assignable groups. */
  roleGrants: readonly RoleGrant[];
  /** Role-assignable groups and protected groups, by lower-case id. */
  groups: ReadonlyMap<string, GroupFacts>;
  /** Role definition id (lower-case) → display name, for reasons people read. */
  roleNames: ReadonlyMap<string, string>;
  /**
   * Reads that failed (other than "this tenant has no PIM"): a user with no evidence cannot be known to be
   * unprivileged while any of these is missing, so they get the first one (fail closed).
   */
  gaps: readonly Error[];
}

export interface RoleGrant {
  principalId: string;
  roleDefinitionId: string;
  /** `/` for the tenant, `/administrativeUnits/{id}` or an object for a narrower scope: privileged either way. */
  directoryScopeId: string;
  state: "active" | "eligible";
}

export interface GroupFacts {
  id: string;
  name: string;
  roleAssignable: boolean;
  protected: boolean;
  /** User ids (lower-case): transitive members for a protected group (role-assignable groups can't nest). */
  members: readonly string[];
  owners: readonly string[];
  eligibleMembers: readonly string[];
  eligibleOwners: readonly string[];
}

export type PrivilegedVia = Extract<Privilege, { privileged: true }>["via"];
type Evidence = Extract<Privilege, { privileged: true }>;

/** The facts turned into one verdict per privileged user, with the time the reads began. */
export interface PrivilegePicture {
  /** When the reads began: a grant made after this may be missing from the picture. */
  readAt: Date;
  pim: boolean;
  /** Privileged users by lower-case id, each with the strongest evidence found. */
  privileged: ReadonlyMap<string, Evidence>;
  /** The first failed read, if any: users without evidence are unknown, not unprivileged. */
  gap: Error | undefined;
}

// Strongest first: the reason names what most plainly makes the account an admin.
const rank: Record<PrivilegedVia, number> = {
  activeRole: 0,
  eligibleRole: 1,
  roleGroupOwner: 2,
  roleGroupEligible: 3,
  roleGroupMember: 4,
  protectedGroup: 5,
};

/**
 * What counts as privileged, decided here once for every path. A user is privileged when they hold a directory role
 * (active or PIM-eligible, any scope, administrative units included) directly or through a role-assignable group;
 * when they are a member, owner, PIM-eligible member or PIM-eligible owner of any role-assignable group (an owner
 * can add themself, an eligible member is one activation away, and such groups exist to hold roles); or when they
 * are a member, owner or PIM-eligible member or owner of a protected group (transitively for members).
 */
export function privilegePictureOf(facts: PrivilegeFacts, readAt: Date): PrivilegePicture {
  const found = new Map<string, Evidence>();
  const note = (userId: string, evidence: Evidence) => {
    const id = userId.toLowerCase();
    const known = found.get(id);
    if (!known || rank[evidence.via] < rank[known.via]) found.set(id, evidence);
  };
  const roleName = (grant: RoleGrant) =>
    facts.roleNames.get(grant.roleDefinitionId.toLowerCase()) ?? `role ${grant.roleDefinitionId}`;
  const scoped = (grant: RoleGrant) =>
    grant.directoryScopeId === "/" ? "" : ` (scope ${grant.directoryScopeId})`;

  const groupRoles = new Map<string, RoleGrant[]>();
  for (const grant of facts.roleGrants) {
    const principal = grant.principalId.toLowerCase();
    const group = facts.groups.get(principal);
    if (group) {
      groupRoles.set(principal, [...(groupRoles.get(principal) ?? []), grant]);
      continue;
    }
    // A principal that is not a known group is a user (or a service principal, which is never looked up).
    const via = grant.state === "active" ? "activeRole" : "eligibleRole";
    note(principal, { privileged: true, via, detail: `${roleName(grant)}${scoped(grant)}` });
  }

  for (const group of facts.groups.values()) {
    const roles = groupRoles.get(group.id.toLowerCase()) ?? [];
    const active = roles.find((grant) => grant.state === "active");
    const eligible = roles.find((grant) => grant.state === "eligible");
    const through = ` through group ${group.name}`;
    for (const member of group.members) {
      if (active)
        note(member, {
          privileged: true,
          via: "activeRole",
          detail: `${roleName(active)}${scoped(active)}${through}`,
        });
      if (eligible) {
        note(member, {
          privileged: true,
          via: "eligibleRole",
          detail: `${roleName(eligible)}${scoped(eligible)}${through}`,
        });
      }
      if (group.roleAssignable)
        note(member, { privileged: true, via: "roleGroupMember", detail: group.name });
      if (group.protected)
        note(member, { privileged: true, via: "protectedGroup", detail: `${group.name}, member` });
    }
    const owners = group.owners.map((id) => [id, "owner"] as const);
    const eligibleOnes = [
      ...group.eligibleMembers.map((id) => [id, "PIM-eligible member"] as const),
      ...group.eligibleOwners.map((id) => [id, "PIM-eligible owner"] as const),
    ];
    for (const [user, as] of owners) {
      if (group.roleAssignable) note(user, { privileged: true, via: "roleGroupOwner", detail: group.name });
      if (group.protected)
        note(user, { privileged: true, via: "protectedGroup", detail: `${group.name}, ${as}` });
    }
    for (const [user, as] of eligibleOnes) {
      if (group.roleAssignable) {
        note(user, { privileged: true, via: "roleGroupEligible", detail: `${group.name}, ${as}` });
      }
      if (group.protected)
        note(user, { privileged: true, via: "protectedGroup", detail: `${group.name}, ${as}` });
    }
  }
  return { readAt, pim: facts.pim, privileged: found, gap: facts.gaps[0] };
}

/** One user's verdict in a picture; the picture's gap (thrown by the caller) when they have no evidence. */
export function privilegeIn(picture: PrivilegePicture, userId: string): Privilege | Error {
  const evidence = picture.privileged.get(userId.toLowerCase());
  if (evidence) return evidence;
  return picture.gap ?? { privileged: false };
}
