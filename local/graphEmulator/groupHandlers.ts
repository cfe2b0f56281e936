import type { EmulatedGroup, EmulatedTenant, EmulatedUser } from "./EmulatedTenant.js";
import { badRequest, type EmulatorResponse, json, resourceNotFound } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";
import { pagedList } from "./pagedList.js";
import { groupShape, selector, unsupportedOption } from "./roleHandlers.js";

/** Graph's default and maximum page sizes for groups and for a group's members and owners. */
const defaultPageSize = 100;
const maxPageSize = 999;

/** A group's member lists, each as Microsoft documents it. */
export type GroupRelation = "members" | "transitiveMembers" | "owners";

/**
 * GET /groups (https://learn.microsoft.com/graph/api/group-list): `$filter=isAssignableToRole eq true|false` (the
 * group resource lists eq, ne and not; only eq works without ConsistencyLevel, so ne and not are refused here as
 * the emulator serves no advanced queries), `$select`, `$top` 1–999 (default 100), paging.
 */
export function listGroups(ctx: HandlerContext): EmulatorResponse {
  const unsupported = unsupportedOption(ctx.query, ["$orderby", "$search", "$count", "$expand", "$skip"]);
  if (unsupported) return unsupported;
  const filterText = ctx.query.get("$filter");
  let wanted: boolean | undefined;
  if (filterText !== null) {
    const eq = /^\s*isAssignableToRole\s+eq\s+(true|false)\s*$/i.exec(filterText);
    if (!eq)
      return badRequest(
        `Unsupported or invalid query filter clause: ${filterText}`,
        "Request_UnsupportedQuery",
      );
    wanted = eq[1]?.toLowerCase() === "true";
  }
  const groups = ctx.tenant
    .allGroups()
    .filter((g) => wanted === undefined || g.isAssignableToRole === wanted);
  const select = ctx.query.get("$select");
  const pick = selector(select);
  // A group list has no @odata.type per item (it is a collection of groups); directoryObjects keep theirs.
  return pagedList(ctx, {
    items: groups,
    size: { default: defaultPageSize, max: maxPageSize },
    context: `${ctx.baseUrl}/$metadata#groups${select ? `(${select})` : ""}`,
    path: "groups",
    carried: [
      filterText === null ? undefined : `$filter=${encodeURIComponent(filterText)}`,
      select === null ? undefined : `$select=${select}`,
    ],
    render: (g) => withoutType(pick(groupObject(g))),
  });
}

/**
 * GET /groups/{id} (https://learn.microsoft.com/graph/api/group-get): the group with `$select` honoured (its
 * `@odata.context` names the entity); 404 Request_ResourceNotFound for an unknown group.
 */
export function getGroup(ctx: HandlerContext, groupId: string): EmulatorResponse {
  const group = ctx.tenant.group(groupId);
  if (!group) return resourceNotFound(groupId);
  const unsupported = unsupportedOption(ctx.query, ["$expand"]);
  if (unsupported) return unsupported;
  const select = ctx.query.get("$select");
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#groups${select ? `(${select})` : ""}/$entity`,
    ...withoutType(selector(select)(groupObject(group))),
  });
}

/**
 * GET /groups/{id}/members, …/transitiveMembers, …/owners
 * (https://learn.microsoft.com/graph/api/group-list-members, …/group-list-transitivemembers,
 * …/group-list-owners): directoryObjects with `@odata.type` (users and, for members, groups), `$select`, `$top`
 * 1–999, paging; 404 Request_ResourceNotFound for an unknown group. Active owners are not members, and PIM-eligible
 * members or owners are neither until they activate.
 */
export function listGroupRelation(
  ctx: HandlerContext,
  groupId: string,
  relation: GroupRelation,
): EmulatorResponse {
  const group = ctx.tenant.group(groupId);
  if (!group) return resourceNotFound(groupId);
  const unsupported = unsupportedOption(ctx.query, ["$orderby", "$search", "$count", "$filter", "$expand"]);
  if (unsupported) return unsupported;
  const ids =
    relation === "owners"
      ? group.owners
      : relation === "members"
        ? group.members
        : transitiveMemberIds(ctx.tenant, group);
  const objects = ids
    .map((id) => directoryObject(ctx.tenant, id))
    .filter((o): o is Record<string, unknown> => o !== undefined);
  const select = ctx.query.get("$select");
  return pagedList(ctx, {
    items: objects,
    size: { default: defaultPageSize, max: maxPageSize },
    context: `${ctx.baseUrl}/$metadata#directoryObjects`,
    path: `groups/${group.id}/${relation}`,
    carried: [select === null ? undefined : `$select=${select}`],
    render: selector(select),
  });
}

/** Direct members, then the members of member groups, each once (nested groups included, as Graph lists them). */
function transitiveMemberIds(tenant: EmulatedTenant, group: EmulatedGroup): string[] {
  const seen = new Set<string>();
  const queue = [...group.members];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (seen.has(id) || id === group.id) continue;
    seen.add(id);
    queue.push(...(tenant.group(id)?.members ?? []));
  }
  return [...seen];
}

function directoryObject(tenant: EmulatedTenant, id: string): Record<string, unknown> | undefined {
  const user = tenant.find(id);
  if (user) return userObject(user);
  const group = tenant.group(id);
  return group ? groupObject(group) : undefined;
}

function groupObject(group: EmulatedGroup): Record<string, unknown> {
  return groupShape(group, true);
}

function userObject(user: EmulatedUser): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.user",
    id: user.id,
    accountEnabled: user.accountEnabled,
    displayName: user.displayName,
    mail: user.mail,
    userPrincipalName: user.userPrincipalName,
  };
}

function withoutType(object: Record<string, unknown>): Record<string, unknown> {
  const { "@odata.type": _type, ...rest } = object;
  return rest;
}
