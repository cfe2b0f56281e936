import { createHash } from "node:crypto";
import type { EmulatedGroupAccess } from "./EmulatedTenant.js";
import { badRequest, type EmulatorResponse } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";
import { pagedList } from "./pagedList.js";
import { scheduleInfo, scheduleStart, selector, unsupportedOption } from "./roleHandlers.js";

/** The PIM for Groups lists under /identityGovernance/privilegedAccess/group/. */
export type PimGroupList =
  | "eligibilityScheduleInstances"
  | "assignmentScheduleInstances"
  | "eligibilitySchedules"
  | "assignmentSchedules";

const pageSize = 100;
/** The properties each list lets `$filter` compare with `eq` (the resource pages: accessId, groupId, principalId). */
const filterable = ["groupId", "principalId", "accessId"] as const;
type Filterable = (typeof filterable)[number];

/**
 * GET /identityGovernance/privilegedAccess/group/{list}
 * (https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityscheduleinstances and the
 * assignmentScheduleInstances, eligibilitySchedules, assignmentSchedules pages): the pages REQUIRE `$filter` (`eq`)
 * on groupId or principalId, so without one the emulator answers 400 (the docs give no error text; the code and
 * message here are the emulator's); `and` joins eq clauses on groupId, principalId and accessId. `$select`,
 * paging by 100. The route table checks permission and edition (P2) first.
 */
export function listPimGroup(ctx: HandlerContext, list: PimGroupList): EmulatorResponse {
  const unsupported = unsupportedOption(ctx.query, [
    "$orderby",
    "$search",
    "$count",
    "$skip",
    "$top",
    "$expand",
  ]);
  if (unsupported) return unsupported;
  const filterText = ctx.query.get("$filter");
  if (filterText === null) {
    return badRequest(
      "The $filter query parameter with 'eq' on groupId or principalId is required for this request.",
      "BadRequest",
    );
  }
  const filter = parseFilter(filterText);
  if ("error" in filter) return filter.error;
  const select = ctx.query.get("$select");
  const pick = selector(select);

  const eligible = list.startsWith("eligibility");
  const instances = list.endsWith("Instances");
  const matches = ctx.tenant
    .groupAccess(eligible ? "eligible" : "active")
    .filter((a) => Object.entries(filter.clauses).every(([key, value]) => a[key as Filterable] === value));
  const shape = (a: EmulatedGroupAccess) =>
    instances ? instanceShape(a, eligible) : scheduleShape(a, eligible);
  return pagedList(ctx, {
    items: matches,
    size: { fixed: pageSize },
    context: `${ctx.baseUrl}/$metadata#identityGovernance/privilegedAccess/group/${list}${select ? `(${select})` : ""}`,
    path: `identityGovernance/privilegedAccess/group/${list}`,
    carried: [`$filter=${encodeURIComponent(filterText)}`, select === null ? undefined : `$select=${select}`],
    render: (a) => pick(shape(a)),
  });
}

function parseFilter(
  raw: string,
): { clauses: Partial<Record<Filterable, string>> } | { error: EmulatorResponse } {
  const clauses: Partial<Record<Filterable, string>> = {};
  for (const part of raw.split(/\s+and\s+/i)) {
    const eq = /^\s*(\w+)\s+eq\s+'([^']*)'\s*$/i.exec(part);
    const key = filterable.find((name) => name.toLowerCase() === eq?.[1]?.toLowerCase());
    if (!eq || !key) {
      return {
        error: badRequest(`Invalid or unsupported filter clause: ${raw}`, "Request_UnsupportedQuery"),
      };
    }
    clauses[key] = key === "accessId" ? (eq[2] ?? "") : (eq[2] ?? "").toLowerCase();
  }
  if (clauses.groupId === undefined && clauses.principalId === undefined) {
    return {
      error: badRequest(
        "The $filter query parameter with 'eq' on groupId or principalId is required for this request.",
      ),
    };
  }
  return { clauses };
}

/** Microsoft's example ids read `{groupId}_{accessId}_{guid}`; the guid here is stable per principal. */
function accessId(a: EmulatedGroupAccess, eligible: boolean): string {
  const hex = createHash("sha256")
    .update(`${eligible ? "eligible" : "active"}:${a.groupId}:${a.accessId}:${a.principalId}`)
    .digest("hex");
  const guid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `${a.groupId}_${a.accessId}_${guid}`;
}

// https://learn.microsoft.com/graph/api/resources/privilegedaccessgroupeligibilityscheduleinstance (and the
// assignment instance): the schedule id is the instance's own id, an assumption the docs leave open.
function instanceShape(a: EmulatedGroupAccess, eligible: boolean): Record<string, unknown> {
  const id = accessId(a, eligible);
  return {
    id,
    startDateTime: scheduleStart,
    endDateTime: null,
    ...accessFields(a),
    ...(eligible ? { eligibilityScheduleId: id } : { assignmentScheduleId: id, assignmentType: "assigned" }),
  };
}

// https://learn.microsoft.com/graph/api/resources/privilegedaccessgroupeligibilityschedule (and the assignment one)
function scheduleShape(a: EmulatedGroupAccess, eligible: boolean): Record<string, unknown> {
  const id = accessId(a, eligible);
  return {
    id,
    createdDateTime: scheduleStart,
    createdUsing: id,
    modifiedDateTime: null,
    status: "Provisioned",
    scheduleInfo: scheduleInfo(),
    ...accessFields(a),
    ...(eligible ? {} : { assignmentType: "assigned" }),
  };
}

/** What both shapes say of the access itself, in the order the resource pages list it. */
function accessFields(a: EmulatedGroupAccess): Record<string, unknown> {
  return { accessId: a.accessId, principalId: a.principalId, groupId: a.groupId, memberType: "Direct" };
}
