import { createHash } from "node:crypto";
import type { EmulatedGroup, EmulatedRoleGrant } from "./emulatedObjects.js";
import { badRequest, type EmulatorResponse, graphError, json, resourceNotFound } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";
import { pagedList } from "./pagedList.js";
import { builtInRoleName, roleDefinitionIdOf } from "./roleGrants.js";

/** Page size of the role-management lists (the emulator's choice; clients follow `@odata.nextLink`). */
const rolePageSize = 100;
const defaultMemberPageSize = 100;
const maxMemberPageSize = 999;

/** The role-management lists the emulator serves; the PIM ones (all but roleAssignments) need P2. */
export type RoleList =
  | "roleAssignments"
  | "roleEligibilityScheduleInstances"
  | "roleEligibilitySchedules"
  | "roleAssignmentSchedules"
  | "roleAssignmentScheduleInstances";

/** Each list's entries: active grants or eligibilities, in the shape Microsoft's page shows. */
const lists: Record<
  RoleList,
  { grants: "active" | "eligible"; shape: (g: EmulatedRoleGrant) => Record<string, unknown> }
> = {
  roleAssignments: { grants: "active", shape: assignmentShape },
  roleAssignmentSchedules: { grants: "active", shape: (g) => scheduleShape(g, false) },
  roleAssignmentScheduleInstances: { grants: "active", shape: (g) => instanceShape(g, false) },
  roleEligibilitySchedules: { grants: "eligible", shape: (g) => scheduleShape(g, true) },
  roleEligibilityScheduleInstances: { grants: "eligible", shape: (g) => instanceShape(g, true) },
};

/** When the seeded schedules start (the emulator does not model PIM's start and end). */
export const scheduleStart = "2026-01-05T08:00:00Z";

/**
 * GET /roleManagement/directory/{list}: every entry of the tenant (users' and groups', tenant-wide and
 * administrative-unit scoped) unless `$filter` on `principalId` (`eq`; `in` for assignments only, as documented)
 * narrows it; `$select`, `$expand=roleDefinition`, paging. The route table checks permission and edition first.
 */
export function listRoleGrants(ctx: HandlerContext, list: RoleList): EmulatorResponse {
  const unsupported = unsupportedOption(ctx.query, ["$orderby", "$search", "$count", "$skip", "$top"]);
  if (unsupported) return unsupported;
  const expand = ctx.query.get("$expand");
  if (expand !== null && expand.trim().toLowerCase() !== "roledefinition") {
    return badRequest(`Could not find a navigation property named '${expand}' to expand.`);
  }
  const filterText = ctx.query.get("$filter");
  const principals =
    filterText === null ? undefined : parsePrincipalFilter(filterText, list === "roleAssignments");
  if (principals && "error" in principals) return principals.error;
  const select = ctx.query.get("$select");
  const pick = selector(select);

  const { grants: kind, shape } = lists[list];
  const grants = (kind === "eligible" ? ctx.tenant.roleEligibilities() : ctx.tenant.roleAssignments()).filter(
    (grant) => !principals || principals.ids.includes(grant.principalId),
  );
  return pagedList(ctx, {
    items: grants,
    size: { fixed: rolePageSize },
    context: `${ctx.baseUrl}/$metadata#roleManagement/directory/${list}${select ? `(${select})` : ""}${expand ? "(roleDefinition())" : ""}`,
    path: `roleManagement/directory/${list}`,
    carried: [
      filterText === null ? undefined : `$filter=${encodeURIComponent(filterText)}`,
      select === null ? undefined : `$select=${select}`,
      expand ? `$expand=${expand}` : undefined,
    ],
    render: (grant) => ({
      ...pick(shape(grant)),
      ...(expand ? { roleDefinition: roleDefinitionShape(grant) } : {}),
    }),
  });
}

/** `$select` as Graph applies it to an entity: only the named properties (and `@odata.type` where there is one). */
export function selector(
  select: string | null,
): (object: Record<string, unknown>) => Record<string, unknown> {
  if (select === null) return (object) => object;
  const fields = new Set(select.split(",").map((f) => f.trim()));
  return (object) =>
    Object.fromEntries(Object.entries(object).filter(([key]) => key === "@odata.type" || fields.has(key)));
}

/**
 * GET /roleManagement/directory/roleDefinitions/{id}: a role the tenant knows (a built-in one, or one granted to
 * someone), with `$select` honoured; 404 for an unknown id.
 */
export function getRoleDefinition(ctx: HandlerContext, id: string): EmulatorResponse {
  const wanted = id.toLowerCase();
  const grant = [...ctx.tenant.roleAssignments(), ...ctx.tenant.roleEligibilities()].find(
    (g) => g.roleDefinitionId.toLowerCase() === wanted,
  );
  const roleName = grant?.roleName ?? builtInRoleName(wanted);
  if (roleName === undefined) {
    return graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist.`);
  }
  const definition = roleDefinitionShape({
    id: wanted,
    principalId: "",
    roleDefinitionId: wanted,
    roleName,
    directoryScopeId: "/",
  });
  const select = ctx.query.get("$select");
  const fields = select === null ? undefined : new Set(select.split(",").map((f) => f.trim()));
  const body = Object.fromEntries(
    Object.entries(definition).filter(([key]) => !fields || fields.has(key) || key === "id"),
  );
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#roleManagement/directory/roleDefinitions/$entity`,
    ...body,
  });
}

/**
 * GET /users/{id|upn}/transitiveMemberOf: the groups (nested ones included) and the directory roles (held directly
 * or through a group) of the user, as directoryObjects with `@odata.type`; `$top` 1–999 (default 100), paging.
 * Without GroupMember.Read.All a group comes back with limited information (type and id, the rest null), as
 * Graph documents for objects the app may not read. A role held over an administrative unit is not listed: it is a
 * scoped-role membership (https://learn.microsoft.com/graph/api/resources/scopedrolemembership, listed by
 * directoryRole's `scopedMembers`), not a membership of the directoryRole, which is what transitiveMemberOf returns.
 */
export function listTransitiveMemberOf(ctx: HandlerContext, key: string): EmulatorResponse {
  const user = ctx.tenant.find(key);
  if (!user) return resourceNotFound(key);
  const unsupported = unsupportedOption(ctx.query, ["$orderby", "$search", "$count", "$filter", "$expand"]);
  if (unsupported) return unsupported;
  const groups = ctx.tenant.groupsOf(user.id);
  const roles = [...new Set(ctx.tenant.activeRolesOf(user))];
  const readGroups = ctx.tenant.hasPermission("GroupMember.Read.All");
  const readRoles = ctx.tenant.hasPermission("RoleManagement.Read.Directory");
  // `$select` on a collection of directoryObjects names properties of the derived types too; each object keeps its
  // `@odata.type` and the selected properties its type has (a directoryRole has no isAssignableToRole).
  const select = ctx.query.get("$select");
  return pagedList(ctx, {
    items: [
      ...groups.map((group) => groupShape(group, readGroups)),
      ...roles.map((role) => directoryRoleShape(role, readRoles)),
    ],
    size: { default: defaultMemberPageSize, max: maxMemberPageSize },
    context: `${ctx.baseUrl}/$metadata#directoryObjects`,
    path: `users/${user.id}/transitiveMemberOf`,
    carried: [select === null ? undefined : `$select=${select}`],
    render: selector(select),
  });
}

export function unsupportedOption(query: URLSearchParams, options: string[]): EmulatorResponse | undefined {
  const used = options.find((option) => query.has(option));
  return used
    ? badRequest(`The emulator does not support the query option '${used}' here.`, "Request_UnsupportedQuery")
    : undefined;
}

/** `principalId eq '…'`, or `principalId in ('…', …)` where the property documents `in`. */
function parsePrincipalFilter(
  raw: string,
  allowIn: boolean,
): { ids: string[] } | { error: EmulatorResponse } {
  const eq = /^\s*principalId\s+eq\s+'([^']*)'\s*$/i.exec(raw);
  if (eq) return { ids: [(eq[1] ?? "").toLowerCase()] };
  const inList = /^\s*principalId\s+in\s+\(\s*('[^']*'(?:\s*,\s*'[^']*')*)\s*\)\s*$/i.exec(raw);
  if (inList && allowIn) {
    return { ids: [...(inList[1] ?? "").matchAll(/'([^']*)'/g)].map((m) => (m[1] ?? "").toLowerCase()) };
  }
  return {
    error: badRequest(`Invalid or unsupported filter clause: ${raw}`, "Request_UnsupportedQuery"),
  };
}

// https://learn.microsoft.com/graph/api/resources/unifiedroleassignment
function assignmentShape(grant: EmulatedRoleGrant): Record<string, unknown> {
  return {
    id: grant.id,
    principalId: grant.principalId,
    resourceScope: grant.directoryScopeId,
    directoryScopeId: grant.directoryScopeId,
    roleDefinitionId: grant.roleDefinitionId,
  };
}

// https://learn.microsoft.com/graph/api/resources/unifiedroleeligibilityscheduleinstance
// https://learn.microsoft.com/graph/api/resources/unifiedroleassignmentscheduleinstance
function instanceShape(grant: EmulatedRoleGrant, eligible: boolean): Record<string, unknown> {
  return {
    ...scheduledGrantFields(grant),
    startDateTime: scheduleStart,
    endDateTime: null,
    ...(eligible
      ? { memberType: "Direct", roleEligibilityScheduleId: grant.id }
      : {
          assignmentType: "Assigned",
          memberType: "Direct",
          roleAssignmentOriginId: grant.id,
          roleAssignmentScheduleId: grant.id,
        }),
  };
}

/** What the schedule and instance shapes open with: the grant's ids and scope (no app scope in the emulator). */
function scheduledGrantFields(grant: EmulatedRoleGrant): Record<string, unknown> {
  return {
    id: grant.id,
    principalId: grant.principalId,
    roleDefinitionId: grant.roleDefinitionId,
    directoryScopeId: grant.directoryScopeId,
    appScopeId: null,
  };
}

/** A schedule's `scheduleInfo`: from the seeded start, no recurrence, no expiration. */
export function scheduleInfo(): Record<string, unknown> {
  return {
    startDateTime: scheduleStart,
    recurrence: null,
    expiration: { type: "noExpiration", endDateTime: null, duration: null },
  };
}

// https://learn.microsoft.com/graph/api/resources/unifiedroleassignmentschedule
// https://learn.microsoft.com/graph/api/resources/unifiedroleeligibilityschedule
function scheduleShape(grant: EmulatedRoleGrant, eligible: boolean): Record<string, unknown> {
  return {
    ...scheduledGrantFields(grant),
    createdUsing: grant.id,
    createdDateTime: scheduleStart,
    modifiedDateTime: null,
    status: "Provisioned",
    ...(eligible ? {} : { assignmentType: "Assigned" }),
    memberType: "Direct",
    scheduleInfo: scheduleInfo(),
  };
}

function roleDefinitionShape(grant: EmulatedRoleGrant): Record<string, unknown> {
  return {
    id: grant.roleDefinitionId,
    displayName: grant.roleName,
    description: null,
    isBuiltIn: true,
    isEnabled: true,
    templateId: grant.roleDefinitionId,
    version: "1",
    rolePermissions: [],
  };
}

export function groupShape(group: EmulatedGroup, readable: boolean): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.group",
    id: group.id,
    displayName: readable ? group.displayName : null,
    description: null,
    groupTypes: readable ? [] : null,
    isAssignableToRole: readable ? group.isAssignableToRole : null,
    mail: null,
    mailEnabled: readable ? false : null,
    securityEnabled: readable ? true : null,
  };
}

function directoryRoleShape(roleName: string, readable: boolean): Record<string, unknown> {
  const templateId = roleDefinitionIdOf(roleName);
  return {
    "@odata.type": "#microsoft.graph.directoryRole",
    // An activated role's object id differs from its template id.
    id: createHash("sha256")
      .update(`directoryRole:${templateId}`)
      .digest("hex")
      .replace(/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*$/, "$1-$2-4$3-8$4-$5"),
    displayName: readable ? roleName : null,
    description: null,
    roleTemplateId: readable ? templateId : null,
  };
}
