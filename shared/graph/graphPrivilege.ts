import { isRecord } from "../core/isRecord.js";
import type { GroupFacts, PrivilegeFacts, RoleGrant } from "../directory/privilegePicture.js";
import type { BatchRequest, BatchResponse } from "./graphBatch.js";
import {
  encodeSegment,
  filterEq,
  pimGroupEligibilitiesPath,
  roleAssignmentsPath,
  roleDefinitionsPath,
  roleEligibilitiesPath,
} from "./graphPaths.js";
import { asMissingPermission, GraphRequestError } from "./graphRequestError.js";

/**
 * The Graph application permissions the privilege picture needs (least privileged for each read, per its Graph
 * page), named in `missingPermission` errors and granted by infra/scripts/grant-graph-permissions.*.
 * RoleManagement.Read.Directory reads role assignments, definitions and (as a higher permission than
 * RoleEligibilitySchedule.Read.Directory) eligibility instances, so one grant covers the three. GroupMember.Read.All
 * lists groups, their members and owners. PrivilegedEligibilitySchedule.Read.AzureADGroup reads PIM for Groups.
 */
export const privilegePermissions = {
  roles: "RoleManagement.Read.Directory",
  memberships: "GroupMember.Read.All",
  groupEligibility: "PrivilegedEligibilitySchedule.Read.AzureADGroup",
} as const;

/** Graph's code for a PIM API called in a tenant without Entra ID P2 or ID Governance (400, sometimes 403). */
export const pimLicenceCode = "AadPremiumLicenseRequired";

/** What the privilege reads need from the adapter: `$batch` and a GET of a nextLink page. */
export interface PrivilegeReader {
  batch(requests: readonly BatchRequest[]): Promise<Array<BatchResponse | GraphRequestError>>;
  nextPage(nextLink: string, operation: string): Promise<unknown>;
}

export interface PrivilegeReadOptions {
  protectedGroupIds: ReadonlySet<string>;
  /** false when this process learnt the tenant has no PIM: its PIM reads are then not sent. */
  askPim: boolean;
  /** Role names already known (only the others are read). */
  roleNames: ReadonlyMap<string, string>;
}

interface Read {
  request: BatchRequest & { operation: string };
  permission: string;
  /** A PIM read: Graph's licence refusal means "no PIM here", not a failure. */
  pim?: boolean;
}
type Listing = unknown[] | GraphRequestError | "noPim";

// A group of more than this many pages of 999 members is beyond what one check should read: fail closed.
const maxPages = 100;
const grantSelect = "$select=principalId,roleDefinitionId,directoryScopeId";

/**
 * Reads the tenant-wide facts about privileged principals in two rounds of `$batch`. Round 1: every role
 * assignment and eligibility (no filter: the tenant's, any scope), the role-assignable groups, and the name of each
 * protected group. Round 2, for each of those groups: its members (transitive for a protected group, whose members
 * may be groups), owners and PIM-eligible members and owners; and the name of each role granted that the process
 * has not named yet. The cost grows
 * with the admins' groups, not with the users. A read Graph refuses for want of a PIM licence tells the tenant has
 * no PIM (no eligibility can exist there); any other failed read is a gap, and the picture fails closed on it.
 */
export async function readPrivilegeFacts(
  reader: PrivilegeReader,
  options: PrivilegeReadOptions,
): Promise<PrivilegeFacts> {
  const listings = new Listings(options.askPim);
  const { roleGrants, groups } = await readGrantsAndGroups(reader, options, listings);
  const roleNames = new Map(options.roleNames);
  const unnamed = [...new Set(roleGrants.map((g) => g.roleDefinitionId))].filter(
    (id) => id !== "" && !roleNames.has(id),
  );
  const facts = await readGroupsAndNames(reader, groups, unnamed, roleNames, listings);
  return { pim: listings.pim, roleGrants, groups: facts, roleNames, gaps: listings.gaps };
}

/** What the rounds learnt beside the listings: the gaps (failed reads) and whether the tenant has PIM. */
class Listings {
  readonly gaps: GraphRequestError[] = [];
  constructor(public pim: boolean) {}

  /** The items of a listing; a licence refusal means no PIM, a failed read is a gap (both list nothing). */
  items(listing: Listing | undefined): unknown[] {
    const answer = listing ?? missing();
    if (answer === "noPim") {
      this.pim = false;
      return [];
    }
    if (answer instanceof GraphRequestError) {
      this.gaps.push(answer);
      return [];
    }
    return answer;
  }
}

type GroupInfo = { name: string; roleAssignable: boolean; protected: boolean };

/** Round 1: role assignments and eligibilities, the role-assignable groups, and the protected groups' names. */
async function readGrantsAndGroups(
  reader: PrivilegeReader,
  options: PrivilegeReadOptions,
  listings: Listings,
): Promise<{ roleGrants: RoleGrant[]; groups: Map<string, GroupInfo> }> {
  const protectedIds = [...options.protectedGroupIds];
  const round1: Read[] = [
    read(`${roleAssignmentsPath}?${grantSelect}`, "role assignments", privilegePermissions.roles),
    ...(options.askPim
      ? [
          read(
            `${roleEligibilitiesPath}?${grantSelect}`,
            "role eligibilities",
            privilegePermissions.roles,
            true,
          ),
        ]
      : []),
    read(
      `/groups?$filter=${encodeURIComponent("isAssignableToRole eq true")}&$select=id,displayName&$top=999`,
      "role-assignable groups",
      privilegePermissions.memberships,
    ),
    ...protectedIds.map((id) =>
      read(
        `/groups/${encodeSegment(id)}?$select=id,displayName`,
        "protected group",
        privilegePermissions.memberships,
      ),
    ),
  ];
  const answers1 = await readAll(reader, round1);
  let k = 0;
  const roleGrants: RoleGrant[] = grantsOf(listings.items(answers1[k++]), "active");
  if (options.askPim) roleGrants.push(...grantsOf(listings.items(answers1[k++]), "eligible"));
  const assignable = listings.items(answers1[k++]);

  const groups = new Map<string, GroupInfo>();
  for (const item of assignable) {
    if (isRecord(item) && typeof item.id === "string") {
      const name = typeof item.displayName === "string" ? item.displayName : item.id;
      groups.set(item.id.toLowerCase(), { name, roleAssignable: true, protected: false });
    }
  }
  for (const id of protectedIds) {
    const body = listings.items(answers1[k++])[0];
    const name = isRecord(body) && typeof body.displayName === "string" ? body.displayName : id;
    const known = groups.get(id);
    groups.set(id, {
      name: known?.name ?? name,
      roleAssignable: known?.roleAssignable ?? false,
      protected: true,
    });
  }
  return { roleGrants, groups };
}

/**
 * Round 2: each group's members, owners and (with PIM) eligible members and owners, with the names of the roles
 * not named yet (set into `roleNames`).
 */
async function readGroupsAndNames(
  reader: PrivilegeReader,
  groups: ReadonlyMap<string, GroupInfo>,
  unnamed: readonly string[],
  roleNames: Map<string, string>,
  listings: Listings,
): Promise<Map<string, GroupFacts>> {
  const groupIds = [...groups.keys()];
  const pim = listings.pim;
  const round2: Read[] = groupIds.flatMap((id) => groupReads(id, groups.get(id)?.protected === true, pim));
  // Role names ride along with round 2, only for roles not yet named: they are for people, so a name that can't
  // be read leaves `role {id}` and is no gap.
  const nameReads = unnamed.map((id) =>
    read(
      `${roleDefinitionsPath}/${encodeSegment(id)}?$select=id,displayName`,
      "role names",
      privilegePermissions.roles,
    ),
  );
  const answersAll =
    round2.length + nameReads.length > 0 ? await readAll(reader, [...round2, ...nameReads]) : [];
  const answers2 = answersAll.slice(0, round2.length);
  unnamed.forEach((id, n) => {
    const answer = answersAll[round2.length + n];
    const body = Array.isArray(answer) ? answer[0] : undefined;
    if (isRecord(body) && typeof body.displayName === "string") roleNames.set(id, body.displayName);
  });
  const perGroup = pim ? 3 : 2;
  const facts = new Map<string, GroupFacts>();
  groupIds.forEach((id, g) => {
    const group = groups.get(id);
    if (!group) return;
    const members = usersIn(listings.items(answers2[g * perGroup]));
    const owners = usersIn(listings.items(answers2[g * perGroup + 1]));
    // A licence refusal for an earlier group's eligibilities ends the PIM reads of the rest (as Graph has none).
    const eligible = listings.pim ? listings.items(answers2[g * perGroup + 2]) : [];
    facts.set(id, {
      id,
      ...group,
      members,
      owners,
      eligibleMembers: eligibleOf(eligible, "member"),
      eligibleOwners: eligibleOf(eligible, "owner"),
    });
  });
  return facts;
}

/** A group's round-2 reads: members (transitive for a protected group), owners, and PIM eligibilities. */
function groupReads(id: string, isProtected: boolean, pim: boolean): Read[] {
  const members = isProtected ? "transitiveMembers" : "members";
  const path = `/groups/${encodeSegment(id)}`;
  return [
    read(`${path}/${members}?$select=id&$top=999`, "group members", privilegePermissions.memberships),
    read(`${path}/owners?$select=id`, "group owners", privilegePermissions.memberships),
    ...(pim
      ? [
          read(
            `${pimGroupEligibilitiesPath}?$filter=${filterEq("groupId", id)}&$select=principalId,accessId,groupId`,
            "group eligibilities",
            privilegePermissions.groupEligibility,
            true,
          ),
        ]
      : []),
  ];
}

function read(url: string, what: string, permission: string, pim = false): Read {
  return { request: { method: "GET", url, operation: `privilegeOf (${what})` }, permission, pim };
}

/** Sends the reads as `$batch` requests and gathers every page of each listing; a 403 names the permission. */
async function readAll(reader: PrivilegeReader, reads: readonly Read[]): Promise<Listing[]> {
  const answers = await reader.batch(reads.map((r) => r.request));
  return Promise.all(
    reads.map(async (r, k) => {
      const answer = answers[k];
      const operation = r.request.operation;
      if (answer === undefined) return missing();
      if (answer instanceof GraphRequestError) {
        if (r.pim && answer.graphCode === pimLicenceCode) return "noPim";
        // Gone between the rounds (a group deleted), or a protected group that does not exist: nothing to list.
        return answer.statusCode === 404 ? [] : asMissingPermission(answer, r.permission);
      }
      try {
        const body = answer.body;
        // A single object (a protected group's name) is a listing of one.
        if (isRecord(body) && !Array.isArray(body.value)) return [body];
        const values: unknown[] = [];
        let page: unknown = body;
        for (let n = 1; ; n++) {
          const value = isRecord(page) ? page.value : undefined;
          if (!Array.isArray(value)) throw malformed(operation, "no value array in the answer");
          values.push(...value);
          const next = isRecord(page) ? page["@odata.nextLink"] : undefined;
          if (typeof next !== "string") return values;
          if (n >= maxPages) throw malformed(operation, `more than ${maxPages} pages`);
          page = await reader.nextPage(next, operation);
        }
      } catch (err) {
        return asMissingPermission(GraphRequestError.fromThrown(operation, err), r.permission);
      }
    }),
  );
}

/** Role grants as listed (an item naming no principal grants nobody anything readable and is passed over). */
function grantsOf(items: unknown[], state: RoleGrant["state"]): RoleGrant[] {
  return items.flatMap((item) => {
    if (!isRecord(item) || typeof item.principalId !== "string") return [];
    return [
      {
        principalId: item.principalId.toLowerCase(),
        roleDefinitionId:
          typeof item.roleDefinitionId === "string" ? item.roleDefinitionId.toLowerCase() : "",
        directoryScopeId: typeof item.directoryScopeId === "string" ? item.directoryScopeId : "/",
        state,
      },
    ];
  });
}

/** The users of a directoryObject listing (nested groups, devices and service principals are left out). */
function usersIn(items: unknown[]): string[] {
  return items.flatMap((item) => {
    if (!isRecord(item) || typeof item.id !== "string") return [];
    const type = item["@odata.type"];
    return type === undefined || type === "#microsoft.graph.user" ? [item.id.toLowerCase()] : [];
  });
}

function eligibleOf(items: unknown[], accessId: "member" | "owner"): string[] {
  return items.flatMap((item) =>
    isRecord(item) && item.accessId === accessId && typeof item.principalId === "string"
      ? [item.principalId.toLowerCase()]
      : [],
  );
}

function malformed(operation: string, why: string): GraphRequestError {
  return new GraphRequestError(`${operation} failed: ${why}`, { kind: "transient", statusCode: 200 });
}

function missing(): GraphRequestError {
  return malformed("privilegeOf", "no answer");
}
