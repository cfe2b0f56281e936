import { isRecord } from "../core/isRecord.js";
import type { Privilege } from "../directory/directory.js";
import { DirectoryErrorKind } from "../directory/directoryError.js";
import type { BatchRequest, BatchResponse } from "./graphBatch.js";
import {
  encodeSegment,
  filterEq,
  maxInValues,
  memberOfPath,
  principalFilter,
  roleAssignmentsPath,
  roleDefinitionsPath,
  roleEligibilitiesPath,
} from "./graphPaths.js";
import { asMissingPermission, GraphRequestError } from "./graphRequestError.js";

/**
 * The Graph application permissions the privilege check needs, named in `missingPermission` errors and granted by
 * infra/scripts/grant-graph-permissions.*. RoleManagement.Read.Directory reads role assignments and (as a higher
 * permission than RoleEligibilitySchedule.Read.Directory) eligibility instances, so one grant covers both.
 * GroupMember.Read.All lets memberships come back with the groups' properties (`isAssignableToRole`, name).
 */
export const privilegePermissions = {
  roles: "RoleManagement.Read.Directory",
  memberships: "GroupMember.Read.All",
} as const;

/** What the privilege check needs from the adapter: `$batch`, a GET of a nextLink page, and a role-name cache. */
export interface PrivilegeReader {
  batch(requests: readonly BatchRequest[]): Promise<Array<BatchResponse | GraphRequestError>>;
  nextPage(nextLink: string, operation: string): Promise<unknown>;
  /** Role definition id → display name, kept by the adapter: role names don't change between checks. */
  roleNames: Map<string, string>;
}

type Via = Extract<Privilege, { privileged: true }>["via"];
/** Why a user is privileged: a named group or role, or a role known by id until its name is read. */
interface Evidence {
  via: Via;
  detail: string;
  /** The role definition whose name `detail` should carry (`detail` is the text after the name). */
  roleId?: string;
}
interface Group {
  id: string;
  name: string;
  /** undefined when Graph gave limited information (the app may not read the group): checked like a true. */
  assignable: boolean | undefined;
}
interface UserState {
  evidence: Evidence[];
  errors: GraphRequestError[];
  groups: Group[];
}
interface Read {
  request: BatchRequest & { operation: string };
  permission: string;
}
type Listing = unknown[] | GraphRequestError;

const rank: Record<Via, number> = { activeRole: 0, eligibleRole: 1, protectedGroup: 2 };
// A user in more groups than this many pages of 999 is beyond what one check should read; fail closed.
const maxPages = 20;

/**
 * Whether each user is privileged, with fresh reads only. Round 1, one `$batch` set: each user's transitive
 * memberships (groups and directory roles), their role assignments (`principalId in`, 15 per read) and their
 * eligibilities (`principalId eq`, as documented). Round 2, only for users with no role found and every read
 * answered: the role assignments and eligibilities of their role-assignable groups. Positive evidence wins over a
 * failed read (the user is not written either way); a user with no evidence and a failed read gets the error.
 */
export async function readPrivileges(
  reader: PrivilegeReader,
  userIds: readonly string[],
  protectedGroupIds: ReadonlySet<string>,
): Promise<Array<Privilege | GraphRequestError>> {
  const ids = [...new Set(userIds.map((id) => id.toLowerCase()))];
  if (ids.length === 0) return [];
  const states = new Map<string, UserState>(ids.map((id) => [id, { evidence: [], errors: [], groups: [] }]));
  const stateOf = (id: string) => states.get(id) as UserState;

  const memberships = ids.map((id) =>
    read(memberOfPath(id), "memberships", privilegePermissions.memberships),
  );
  const assignmentChunks = chunk(ids, maxInValues);
  const assignments = assignmentChunks.map((part) => assignmentRead(part));
  const eligibilities = ids.map((id) => eligibilityRead(id));
  const answers = await readAll(reader, [...memberships, ...assignments, ...eligibilities]);
  const memberAnswers = answers.slice(0, ids.length);
  const assignmentAnswers = answers.slice(ids.length, ids.length + assignments.length);
  const eligibilityAnswers = answers.slice(ids.length + assignments.length);

  ids.forEach((id, k) => {
    const state = stateOf(id);
    const listing = memberAnswers[k] ?? missing();
    if (listing instanceof GraphRequestError) state.errors.push(listing);
    else readMemberships(listing, state, protectedGroupIds);
  });
  for (const [k, part] of assignmentChunks.entries()) {
    attribute(assignmentAnswers[k] ?? missing(), part, "activeRole", stateOf);
  }
  for (const [k, id] of ids.entries()) {
    attribute(eligibilityAnswers[k] ?? missing(), [id], "eligibleRole", stateOf);
  }

  // Round 2: the roles of the role-assignable groups of users not yet known to be privileged.
  const pending = ids.filter((id) => {
    const state = stateOf(id);
    return state.evidence.length === 0 && state.errors.length === 0 && candidates(state).length > 0;
  });
  if (pending.length > 0) {
    const groups = new Map<string, Group>();
    for (const id of pending) for (const group of candidates(stateOf(id))) groups.set(group.id, group);
    const groupIds = [...groups.keys()];
    const groupStates = new Map<string, UserState>(
      groupIds.map((id) => [id, { evidence: [], errors: [], groups: [] }]),
    );
    const groupState = (id: string) => groupStates.get(id) as UserState;
    const groupChunks = chunk(groupIds, maxInValues);
    const groupAnswers = await readAll(reader, [
      ...groupChunks.map((part) => assignmentRead(part)),
      ...groupIds.map((id) => eligibilityRead(id)),
    ]);
    const throughGroup = (principal: string) => ` through group ${groups.get(principal)?.name ?? principal}`;
    for (const [k, part] of groupChunks.entries()) {
      attribute(groupAnswers[k] ?? missing(), part, "activeRole", groupState, throughGroup);
    }
    for (const [k, id] of groupIds.entries()) {
      const listing = groupAnswers[groupChunks.length + k] ?? missing();
      attribute(listing, [id], "eligibleRole", groupState, throughGroup);
    }
    for (const id of pending) {
      const state = stateOf(id);
      for (const group of candidates(state)) {
        state.evidence.push(...groupState(group.id).evidence);
        state.errors.push(...groupState(group.id).errors);
      }
    }
  }

  const verdicts = userIds.map((userId) => verdict(stateOf(userId.toLowerCase())));
  await nameRoles(reader, verdicts);
  return verdicts.map((v) => named(v, reader.roleNames));
}

function read(url: string, what: string, permission: string): Read {
  return { request: { method: "GET", url, operation: `privilegeOf (${what})` }, permission };
}

// No `$expand=roleDefinition`: it would add a resource unit to every read (Graph's cost table), while a role's name
// is needed only for the few users found privileged, and is read then (and kept) by `nameRoles`.
function assignmentRead(principals: readonly string[]): Read {
  return read(
    `${roleAssignmentsPath}?$filter=${principalFilter(principals)}`,
    "role assignments",
    privilegePermissions.roles,
  );
}

function eligibilityRead(principal: string): Read {
  return read(
    `${roleEligibilitiesPath}?$filter=${filterEq("principalId", principal)}`,
    "role eligibilities",
    privilegePermissions.roles,
  );
}

/** Sends the reads as `$batch` requests and gathers every page of each listing; a 403 names the permission. */
async function readAll(reader: PrivilegeReader, reads: readonly Read[]): Promise<Listing[]> {
  const answers = await reader.batch(reads.map((r) => r.request));
  return Promise.all(
    reads.map(async (r, k) => {
      const answer = answers[k];
      const operation = r.request.operation;
      if (answer === undefined) return missing();
      if (answer instanceof GraphRequestError) return asMissingPermission(answer, r.permission);
      try {
        const values: unknown[] = [];
        let body = answer.body;
        for (let page = 1; ; page++) {
          const value = isRecord(body) ? body.value : undefined;
          if (!Array.isArray(value)) throw malformed(operation, "no value array in the answer");
          values.push(...value);
          const next = isRecord(body) ? body["@odata.nextLink"] : undefined;
          if (typeof next !== "string") return values;
          if (page >= maxPages) throw malformed(operation, `more than ${maxPages} pages`);
          body = await reader.nextPage(next, operation);
        }
      } catch (err) {
        return asMissingPermission(GraphRequestError.fromThrown(operation, err), r.permission);
      }
    }),
  );
}

/** Directory roles in the memberships are active roles; groups are kept, and protected ones are evidence. */
function readMemberships(objects: unknown[], state: UserState, protectedGroupIds: ReadonlySet<string>): void {
  for (const object of objects) {
    if (!isRecord(object) || typeof object.id !== "string") continue;
    const type = object["@odata.type"];
    const name = typeof object.displayName === "string" ? object.displayName : undefined;
    if (type === "#microsoft.graph.directoryRole") {
      state.evidence.push({ via: "activeRole", detail: name ?? "a directory role" });
    } else if (type === "#microsoft.graph.group") {
      const id = object.id.toLowerCase();
      const assignable =
        typeof object.isAssignableToRole === "boolean" ? object.isAssignableToRole : undefined;
      state.groups.push({ id, name: name ?? id, assignable });
      if (protectedGroupIds.has(id)) state.evidence.push({ via: "protectedGroup", detail: name ?? id });
    }
  }
}

/**
 * Files each listed grant under its principal. An item naming no principal it was asked for is unreadable, so the
 * whole read counts as failed for its principals (fail closed).
 */
function attribute(
  listing: Listing,
  principals: readonly string[],
  via: Via,
  stateOf: (id: string) => UserState,
  suffix: (principal: string) => string = () => "",
): void {
  const fail = (error: GraphRequestError) => {
    for (const principal of principals) stateOf(principal).errors.push(error);
  };
  if (listing instanceof GraphRequestError) {
    fail(listing);
    return;
  }
  for (const item of listing) {
    const grant = isRecord(item) ? item : {};
    const principal = typeof grant.principalId === "string" ? grant.principalId.toLowerCase() : undefined;
    if (!principal || !principals.includes(principal)) {
      fail(malformed("privilegeOf", `a ${via} grant names no principal that was asked for`));
      return;
    }
    stateOf(principal).evidence.push(roleEvidence(via, grant, suffix(principal)));
  }
}

function roleEvidence(via: Via, grant: Record<string, unknown>, suffix: string): Evidence {
  const definition = isRecord(grant.roleDefinition) ? grant.roleDefinition : {};
  if (typeof definition.displayName === "string")
    return { via, detail: `${definition.displayName}${suffix}` };
  if (typeof grant.roleDefinitionId === "string") {
    return { via, detail: suffix, roleId: grant.roleDefinitionId.toLowerCase() };
  }
  return { via, detail: `a directory role${suffix}` };
}

type Verdict = (Privilege & { roleId?: string }) | GraphRequestError;

/**
 * Puts role names into the verdicts that name a role by id: one `$batch` of
 * `GET roleDefinitions/{id}?$select=displayName` for the ids not yet known. Only privileged users get here, so a
 * check of ordinary users reads no role definitions. A name that can't be read leaves `role {id}`: the verdict
 * stands either way.
 */
async function nameRoles(reader: PrivilegeReader, verdicts: Verdict[]): Promise<void> {
  const unknown = [
    ...new Set(
      verdicts.flatMap((v) =>
        !(v instanceof GraphRequestError) && v.roleId && !reader.roleNames.has(v.roleId) ? [v.roleId] : [],
      ),
    ),
  ];
  if (unknown.length === 0) return;
  const answers = await reader.batch(
    unknown.map((id) => ({
      method: "GET",
      url: `${roleDefinitionsPath}/${encodeSegment(id)}?$select=id,displayName`,
      operation: "privilegeOf (role names)",
    })),
  );
  unknown.forEach((id, k) => {
    const answer = answers[k];
    const body = answer instanceof GraphRequestError || answer === undefined ? undefined : answer.body;
    if (isRecord(body) && typeof body.displayName === "string") reader.roleNames.set(id, body.displayName);
  });
}

/** The verdict as the port gives it: a role known by id gets its name (or `role {id}` if it couldn't be read). */
function named(v: Verdict, names: ReadonlyMap<string, string>): Privilege | GraphRequestError {
  if (v instanceof GraphRequestError || !v.privileged || v.roleId === undefined) return v;
  const role = names.get(v.roleId) ?? `role ${v.roleId}`;
  return { privileged: true, via: v.via, detail: `${role}${v.detail}` };
}

/** Groups that can hold a role: role-assignable ones, and those whose kind Graph did not tell. */
function candidates(state: UserState): Group[] {
  return state.groups.filter((group) => group.assignable !== false);
}

function verdict(state: UserState): Verdict {
  const strongest = [...state.evidence].sort((a, b) => rank[a.via] - rank[b.via])[0];
  if (strongest) {
    return strongest.roleId
      ? { privileged: true, via: strongest.via, detail: strongest.detail, roleId: strongest.roleId }
      : { privileged: true, via: strongest.via, detail: strongest.detail };
  }
  // A missing permission is worth reporting over a transient fault: retrying will not cure it.
  const error = state.errors.find((e) => e.kind === DirectoryErrorKind.missingPermission) ?? state.errors[0];
  return error ?? { privileged: false };
}

function malformed(operation: string, why: string): GraphRequestError {
  return new GraphRequestError(`${operation} failed: ${why}`, {
    kind: DirectoryErrorKind.transient,
    statusCode: 200,
  });
}

function missing(): GraphRequestError {
  return malformed("privilegeOf", "no answer");
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
