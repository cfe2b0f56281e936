/** What one Graph request costs against the identity and access limits of one app in one tenant. */
export interface RequestCost {
  /** Resource units (Graph: 3,500 / 5,000 / 8,000 per 10 s for a small / medium / large tenant). */
  readonly resourceUnits: number;
  /** Writes (Graph: 3,000 per 150 s per app and tenant; 35,000 per 5 min per app across tenants). */
  readonly writes: number;
}

export const noCost: RequestCost = { resourceUnits: 0, writes: 0 };

/**
 * Base costs from Microsoft Graph's "Identity and access service limits" (throttling-limits): the listed
 * paths, where `me/` also stands for `users/{id | userPrincipalName}/`. Anything not listed costs 1 resource
 * unit, plus 1 write for POST, PATCH, PUT and DELETE. The paths this app calls are `users` (2) and the
 * unlisted `users/{id}`, `users/{id}/authentication/…` (1); the rest are here so the table is Graph's, whole.
 * The tenant-wide privilege picture reads `groups/{id}/members` (3) and `groups/{id}/transitiveMembers` (5), and
 * the unlisted `groups`, `groups/{id}/owners`, `roleManagement/directory/…` and
 * `identityGovernance/privilegedAccess/group/…` (1 each). The page does not say whether PIM's paths count against
 * these identity limits at all; 1 as an unlisted identity path is this table's assumption.
 */
const listed: ReadonlyArray<readonly [method: string, path: string, resourceUnits: number]> = [
  ["GET", "applications", 2],
  ["GET", "applications/{id}/extensionProperties", 2],
  ["GET", "contracts", 3],
  ["POST", "directoryObjects/getByIds", 5],
  ["GET", "domains/{id}/domainNameReferences", 4],
  ["POST", "getObjectsById", 5],
  ["GET", "groups/{id}/members", 3],
  ["GET", "groups/{id}/transitiveMembers", 5],
  ["POST", "isMemberOf", 4],
  ["POST", "me/checkMemberGroups", 4],
  ["POST", "me/checkMemberObjects", 4],
  ["POST", "me/getMemberGroups", 2],
  ["POST", "me/getMemberObjects", 2],
  ["GET", "me/licenseDetails", 2],
  ["GET", "me/memberOf", 2],
  ["GET", "me/ownedObjects", 2],
  ["GET", "me/transitiveMemberOf", 2],
  ["GET", "oauth2PermissionGrants", 2],
  ["GET", "oauth2PermissionGrants/{id}", 2],
  ["GET", "servicePrincipals/{id}/appRoleAssignments", 2],
  ["GET", "subscribedSkus", 3],
  ["GET", "users", 2],
];

const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);

const patterns = listed.map(([method, path, resourceUnits]) => ({
  method,
  resourceUnits,
  // The listed POSTs are queries: they cost resource units but no write.
  writes: 0,
  pattern: new RegExp(
    `^${path
      .toLowerCase()
      .replace(/^me\//, "(?:me|users/[^/]+|users\\([^)]*\\))/")
      .replaceAll("{id}", "[^/]+")}$`,
  ),
}));

/** "Using `$select` for `directoryObjects/getByIds` and `getObjectsById` results in 2 ResourceUnits." */
const selectFlat = [/^directoryobjects\/getbyids$/, /^getobjectsbyid$/];

/**
 * The documented cost of one request. `url` is relative to the version root (`/users/{id}?$select=…`, as in a
 * `$batch` item) or absolute with `versionPath` (`/v1.0`) naming where the root ends. Modifiers, as documented:
 * `$select` −1, `$expand` +1, `$top` below 20 −1; never below 1.
 */
export function requestCost(method: string, url: string, versionPath = ""): RequestCost {
  const upper = method.toUpperCase();
  const parsed = parseUrl(url);
  if (!parsed) return { resourceUnits: 1, writes: writeMethods.has(upper) ? 1 : 0 };
  // Kept percent-encoded: a UPN holding an encoded `/` stays one segment.
  let path = parsed.pathname.toLowerCase();
  const root = versionPath.replace(/\/+$/, "").toLowerCase();
  if (root && path.startsWith(`${root}/`)) path = path.slice(root.length);
  const relative = path.replace(/^\/+|\/+$/g, "");
  const match = patterns.find((p) => p.method === upper && p.pattern.test(relative));
  const base = match?.resourceUnits ?? 1;
  const writes = match ? match.writes : writeMethods.has(upper) ? 1 : 0;
  const query = parsed.searchParams;
  if (upper === "POST" && query.has("$select") && selectFlat.some((p) => p.test(relative))) {
    return { resourceUnits: 2, writes };
  }
  const top = Number(query.get("$top"));
  const modifier =
    (query.has("$select") ? -1 : 0) +
    (query.has("$expand") ? 1 : 0) +
    (query.has("$top") && Number.isFinite(top) && top < 20 ? -1 : 0);
  return { resourceUnits: Math.max(1, base + modifier), writes };
}

/** Sum of costs, e.g. the items of a `$batch` (Graph evaluates each item against the limits). */
export function totalCost(costs: readonly RequestCost[]): RequestCost {
  return costs.reduce(
    (sum, cost) => ({
      resourceUnits: sum.resourceUnits + cost.resourceUnits,
      writes: sum.writes + cost.writes,
    }),
    noCost,
  );
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url, "http://graph.invalid/");
  } catch {
    return undefined;
  }
}
