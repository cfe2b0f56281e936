import { badRequest, type EmulatorResponse } from "./emulatorResponse.js";
import type { GraphService } from "./GraphThrottle.js";
import type { HandlerContext } from "./HandlerContext.js";

/** The methods Graph's identity paths take; `any` in a route stands for all of them. */
export const graphMethods = ["GET", "POST", "PATCH", "PUT", "DELETE"] as const;
export type GraphMethod = (typeof graphMethods)[number];

/**
 * The application permissions a route needs, as its Microsoft page's permission table says: any one of a list
 * (the "least privileged" and "higher privileged" columns), all of a list, one per property a write sets, or none
 * (and why).
 */
export type PermissionRule =
  | { anyOf: readonly string[] }
  | { allOf: readonly string[] }
  /** A write needs, for each body property named here, any one of its permissions; other properties need none. */
  | { perProperty: Readonly<Record<string, readonly string[]>> }
  | { none: string };

/** The parameter names of a path template: `users/{key}/x/{methodId}` → "key" | "methodId"; `{rest*}` → "rest". */
type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? (Name extends `${infer Star}*` ? Star : Name) | ParamNames<Rest>
  : never;
export type RouteParams<P extends string = string> = { readonly [K in ParamNames<P>]: string };

/** One entry of the route table: everything the emulator knows about one method on one path. */
export interface GraphRoute {
  /** The route's name in the stats and in `failRoute` (`METHOD name`); a path's methods share it. */
  name: string;
  method: GraphMethod | "any";
  /**
   * The path after the version, fixed segments compared case-insensitively; `{name}` takes one segment, a final
   * `{name*}` takes the rest (none or more).
   */
  path: string;
  permissions: PermissionRule;
  /** Graph's answer to a caller without the permission; default 403 Authorization_RequestDenied. */
  denied?: () => EmulatorResponse;
  /**
   * Base resource units of a GET (the throttling page's identity and access cost table; 1 where it lists nothing);
   * a `reports` route spends none (its service counts requests).
   */
  cost: number;
  /**
   * The service limits the route counts against (throttling-limits): `directory` the identity and access limits
   * (resource units, writes), `reports` the identity and access reports' 5 requests per 10 s, `methods` the
   * authentication-method paths — identity limits unless the emulator is given a methods bucket (see
   * `ThrottleOptions.methodRequests`), since the page lists `authenticationMethod` under the reports.
   */
  service: GraphService;
  /** The premium edition the route needs: P1 (`tenant.premiumLicense`) or P2 (`tenant.edition`, PIM). */
  edition?: "P1" | "P2";
  /** Microsoft Learn's page for the behaviour. */
  page: string;
  /** What the emulator assumed where that page is silent. */
  assumed?: string;
  /** The resource's work, once permission, edition and budget have let the request through. */
  handler: (ctx: HandlerContext, params: RouteParams) => EmulatorResponse;
}

/** A route whose handler's params are checked against its path template. */
export function route<P extends string>(
  entry: Omit<GraphRoute, "path" | "handler"> & {
    path: P;
    handler: (ctx: HandlerContext, params: RouteParams<P>) => EmulatorResponse;
  },
): GraphRoute {
  return entry as unknown as GraphRoute;
}

/**
 * What a request's method and path come to against the table: the entry (a path the table does not know gets the
 * `unknown` entry, Graph's 400 naming the first segment it cannot place), or a known path none of whose entries
 * take the method. `name` is what the stats count it as.
 */
export type RouteResolution =
  | { kind: "found"; name: string; route: GraphRoute; params: RouteParams }
  | { kind: "methodNotAllowed"; name: string };

/**
 * Finds the entry for a method and path. The path's name is that of the first entry whose template fits it; the
 * entry is the first one of that name taking the method. Graph's key form `users('{upn}')` (quotes doubled, needed
 * for UPNs starting with `$`) reads as `users/{upn}`.
 */
export function resolveRoute(routes: readonly GraphRoute[], method: string, path: string): RouteResolution {
  const segments = segmentsOf(path);
  if (!Array.isArray(segments)) return unknown(method, segments.undecodable);
  let deepest = 0;
  for (const candidate of routes) {
    const fit = fitTemplate(candidate.path, segments);
    if ("matched" in fit) {
      deepest = Math.max(deepest, fit.matched);
      continue;
    }
    const named = routes.filter((r) => r.name === candidate.name && r.path === candidate.path);
    const taking = named.find((r) => r.method === method || (r.method === "any" && isGraphMethod(method)));
    return taking
      ? { kind: "found", name: taking.name, route: taking, params: fit.params }
      : { kind: "methodNotAllowed", name: candidate.name };
  }
  // Graph names the first segment it cannot resolve; a path that stops short of every route names its last one.
  return unknown(method, segments[deepest] ?? segments.at(-1) ?? "");
}

function unknown(method: string, segment: string): RouteResolution {
  if (!isGraphMethod(method)) return { kind: "methodNotAllowed", name: "unknown" };
  const entry: GraphRoute = {
    name: "unknown",
    method: "any",
    path: "{rest*}",
    permissions: { none: "Graph answers an unknown segment whatever the caller holds" },
    cost: 1,
    service: "directory",
    page: "https://learn.microsoft.com/en-us/graph/errors",
    assumed: "the 400 text is the one Graph gives (public reports of it name the first unresolved segment)",
    handler: () => badRequest(`Resource not found for the segment '${segment}'.`),
  };
  return { kind: "found", name: "unknown", route: entry, params: { rest: segment } };
}

function isGraphMethod(method: string): boolean {
  return (graphMethods as readonly string[]).includes(method);
}

function segmentsOf(path: string): string[] | { undecodable: string } {
  const raw = path.split("/").filter((s) => s.length > 0);
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    return { undecodable: raw.join("/") };
  }
  const keyForm = /^users\('((?:[^']|'')*)'\)$/i.exec(segments[0] ?? "");
  if (keyForm) return ["users", (keyForm[1] ?? "").replaceAll("''", "'"), ...segments.slice(1)];
  return segments;
}

/** A template's parts, parsed once per route: a fixed segment (lower-case), a param, or a final rest param. */
type TemplatePart = { fixed: string } | { param: string; rest: boolean };
const parsedTemplates = new Map<string, TemplatePart[]>();

function partsOf(template: string): TemplatePart[] {
  let parts = parsedTemplates.get(template);
  if (!parts) {
    parts = template.split("/").map((part) => {
      const name = /^\{(\w+)(\*?)\}$/.exec(part);
      return name ? { param: name[1] ?? "", rest: name[2] === "*" } : { fixed: part.toLowerCase() };
    });
    parsedTemplates.set(template, parts);
  }
  return parts;
}

/** The template's params when the segments fit it whole, else how many leading segments it took. */
function fitTemplate(
  template: string,
  segments: readonly string[],
): { params: Record<string, string> } | { matched: number } {
  const parts = partsOf(template);
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    if ("param" in part && part.rest) {
      params[part.param] = segments.slice(index).join("/");
      return { params };
    }
    const segment = segments[index];
    if (segment === undefined) return { matched: index };
    if ("param" in part) params[part.param] = segment;
    else if (part.fixed !== segment.toLowerCase()) return { matched: index };
  }
  return segments.length === parts.length ? { params } : { matched: parts.length };
}
