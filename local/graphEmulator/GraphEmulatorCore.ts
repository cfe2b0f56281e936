import { randomUUID } from "node:crypto";
import { handleAuthMethods, type MethodRoute } from "./authMethodHandlers.js";
import { getDirSyncSettings, listDirSyncSettings } from "./directoryHandlers.js";
import { listDomains } from "./domainHandlers.js";
import type { EmulatedTenant, RouteFailure } from "./EmulatedTenant.js";
import { EmulatorStats } from "./EmulatorStats.js";
import { EmulatorTokens } from "./EmulatorTokens.js";
import {
  badRequest,
  type EmulatorRequest,
  type EmulatorResponse,
  graphError,
  json,
  premiumLicenseRequired,
  stampError,
} from "./emulatorResponse.js";
import { costOf, GraphThrottle, type RequestCost, type ThrottleOptions } from "./GraphThrottle.js";
import { type GroupRelation, getGroup, listGroupRelation, listGroups } from "./groupHandlers.js";
import { listOrganization } from "./organizationHandlers.js";
import { listPimGroup, type PimGroupList } from "./pimGroupHandlers.js";
import { listRegistrationDetails } from "./reportHandlers.js";
import { getRoleDefinition, listRoleGrants, listTransitiveMemberOf, type RoleList } from "./roleHandlers.js";
import { getUser, type HandlerContext, listUsers, patchUser } from "./userHandlers.js";

/** Fault injection: probabilities from 0 to 1. */
export interface FaultOptions {
  /** 503 before the request is applied. */
  unavailableRate: number;
  /** 504 after a write WAS applied: the client cannot tell it happened. */
  timeoutAfterWriteRate: number;
}

export interface EmulatorCoreOptions {
  tenant: EmulatedTenant;
  /**
   * An opaque bearer token accepted besides the JWTs the emulator issues (it carries no claims the app can read).
   */
  token?: string | undefined;
  throttle?: ThrottleOptions;
  latencyMs?: number;
  faults?: Partial<FaultOptions>;
  /** Random source for faults; tests pass a scripted one. */
  random?: () => number;
  /** Clock (ms) for throttling; defaults to performance.now(). */
  now?: () => number;
}

type Route =
  | { kind: "domains" }
  | { kind: "organization" }
  | { kind: "users" }
  | { kind: "user"; key: string }
  | { kind: "me" }
  | { kind: "transitiveMemberOf"; key: string }
  | { kind: RoleList }
  | { kind: "roleDefinition"; id: string }
  | { kind: "groups" }
  | { kind: "group"; groupId: string }
  | { kind: GroupRelation; groupId: string }
  | { kind: PimGroupList }
  | { kind: "pimGroupOther"; segment: string }
  | { kind: "dirSyncSettings" }
  | { kind: "dirSyncSetting"; id: string }
  | { kind: "registrationDetails" }
  | { kind: "unknown"; segment: string }
  | MethodRoute;

const allowedMethods: Record<Route["kind"], readonly string[]> = {
  domains: ["GET"],
  organization: ["GET"],
  users: ["GET"],
  user: ["GET", "PATCH"],
  me: ["GET", "PATCH"],
  transitiveMemberOf: ["GET"],
  roleAssignments: ["GET"],
  roleEligibilityScheduleInstances: ["GET"],
  roleEligibilitySchedules: ["GET"],
  roleAssignmentSchedules: ["GET"],
  roleAssignmentScheduleInstances: ["GET"],
  roleDefinition: ["GET"],
  groups: ["GET"],
  group: ["GET"],
  members: ["GET"],
  transitiveMembers: ["GET"],
  owners: ["GET"],
  eligibilityScheduleInstances: ["GET"],
  assignmentScheduleInstances: ["GET"],
  eligibilitySchedules: ["GET"],
  assignmentSchedules: ["GET"],
  pimGroupOther: ["GET", "POST", "PATCH", "PUT", "DELETE"],
  dirSyncSettings: ["GET"],
  dirSyncSetting: ["GET"],
  registrationDetails: ["GET"],
  unknown: ["GET", "POST", "PATCH", "PUT", "DELETE"],
  authMethods: ["GET"],
  phoneMethods: ["GET", "POST"],
  phoneMethod: ["GET", "PATCH", "DELETE"],
  emailMethods: ["GET", "POST"],
  emailMethod: ["GET", "PATCH", "DELETE"],
};
/**
 * The base resource units of a GET where Graph's cost table (concepts/throttling-limits.md, "Identity and access
 * service limits") lists the route; every other route costs 1, as the table says of unlisted identity paths. The
 * same figures as shared/graph/graphCost.ts (test/graph/graphCost.test.ts holds both to them).
 */
const listedCost: Partial<Record<Route["kind"], number>> = {
  users: 2,
  transitiveMemberOf: 2,
  members: 3,
  transitiveMembers: 5,
};

/** What a route needs besides its handler: the application permissions (any one) and P2 for PIM. */
interface RouteRule {
  permissions: readonly string[];
  pim: boolean;
}

const groupReaders = [
  "GroupMember.Read.All",
  "Group.Read.All",
  "Directory.Read.All",
  "GroupMember.ReadWrite.All",
  "Group.ReadWrite.All",
  "Directory.ReadWrite.All",
];
const roleReaders = ["RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All"];

/**
 * Permission and edition per route, from each route's Microsoft page (the permission tables; PIM needs P2). A
 * request lacking the permission gets 403 before the edition is looked at (the emulator's assumption: the docs do
 * not order the two). Routes not here check their permission in their handler.
 */
const routeRules: Partial<Record<Route["kind"], RouteRule>> = {
  // https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments
  roleAssignments: { permissions: roleReaders, pim: false },
  // https://learn.microsoft.com/graph/api/rbacapplication-list-roleeligibilityscheduleinstances
  roleEligibilityScheduleInstances: { permissions: pimRoleReaders("Eligibility"), pim: true },
  // https://learn.microsoft.com/graph/api/rbacapplication-list-roleeligibilityschedules
  roleEligibilitySchedules: { permissions: pimRoleReaders("Eligibility"), pim: true },
  // https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignmentschedules
  roleAssignmentSchedules: { permissions: pimRoleReaders("Assignment"), pim: true },
  // https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignmentscheduleinstances
  roleAssignmentScheduleInstances: { permissions: pimRoleReaders("Assignment"), pim: true },
  // https://learn.microsoft.com/graph/api/group-list
  groups: { permissions: groupReaders, pim: false },
  // https://learn.microsoft.com/graph/api/group-get
  group: { permissions: groupReaders, pim: false },
  // https://learn.microsoft.com/graph/api/group-list-members
  members: { permissions: groupReaders, pim: false },
  // https://learn.microsoft.com/graph/api/group-list-transitivemembers
  transitiveMembers: { permissions: groupReaders, pim: false },
  // https://learn.microsoft.com/graph/api/group-list-owners
  owners: { permissions: groupReaders, pim: false },
  // https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityscheduleinstances
  eligibilityScheduleInstances: { permissions: pimGroupReaders("Eligibility"), pim: true },
  // https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityschedules
  eligibilitySchedules: { permissions: pimGroupReaders("Eligibility"), pim: true },
  // https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-assignmentscheduleinstances
  assignmentScheduleInstances: { permissions: pimGroupReaders("Assignment"), pim: true },
  // https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-assignmentschedules
  assignmentSchedules: { permissions: pimGroupReaders("Assignment"), pim: true },
  // Anything else under /identityGovernance/privilegedAccess/group/ is PIM too: refused without P2.
  pimGroupOther: { permissions: [], pim: true },
};

function pimRoleReaders(kind: "Eligibility" | "Assignment"): string[] {
  return [`Role${kind}Schedule.Read.Directory`, ...roleReaders];
}

function pimGroupReaders(kind: "Eligibility" | "Assignment"): string[] {
  return [`Privileged${kind}Schedule.Read.AzureADGroup`, `Privileged${kind}Schedule.ReadWrite.AzureADGroup`];
}
const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);
const apiVersion = "v1.0";
const maxBatch = 20;

/** One operation after parsing, shared by plain requests and `$batch` items. */
interface Operation {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
}

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

/**
 * The emulated Graph v1.0 subset without the HTTP server: authentication, request ids, latency, throttling,
 * fault injection, routing and `$batch`. `handle` answers one HTTP request.
 */
export class GraphEmulatorCore {
  readonly stats = new EmulatorStats();
  readonly tenant: EmulatedTenant;
  /** The token issued when the emulator started: a JWT whose `roles` claim lists the permissions granted then. */
  readonly token: string;
  private readonly tokens: EmulatorTokens;
  /** Public base URL with version; set once the server knows its port. */
  baseUrl = `http://127.0.0.1/${apiVersion}`;
  private readonly throttle: GraphThrottle;
  private faults: FaultOptions;
  private latencyMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(options: EmulatorCoreOptions) {
    this.tenant = options.tenant;
    this.tokens = new EmulatorTokens(options.token);
    this.token = this.issueToken();
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
    this.latencyMs = options.latencyMs ?? 0;
    this.faults = { unavailableRate: 0, timeoutAfterWriteRate: 0, ...options.faults };
    this.throttle = new GraphThrottle(options.throttle ?? {}, () => this.tenant.size, this.now);
  }

  /**
   * A new token, as Entra ID issues one: its `roles` claim lists the application permissions granted now. Every
   * token the emulator issued stays accepted; what a request may do is decided by the live grants (as if each call
   * came with a fresh token), so a revoked permission is refused at once whatever the token says.
   */
  issueToken(): string {
    return this.tokens.issue(this.tenant.grantedPermissions());
  }

  /** True for a token this emulator issued, or the opaque token it was started with. */
  accepts(token: string | undefined): boolean {
    return this.tokens.accepts(token);
  }

  /** Changes fault probabilities at runtime (unset ones keep their value). */
  setFaults(faults: Partial<FaultOptions>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Current fault probabilities. */
  getFaults(): FaultOptions {
    return { ...this.faults };
  }

  /** Sets the delay added to every HTTP request. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Current per-request delay in ms. */
  getLatency(): number {
    return this.latencyMs;
  }

  /** Changes throttling limits at runtime; the buckets start full. */
  setThrottle(options: ThrottleOptions): void {
    this.throttle.configure(options);
  }

  /** Current throttling limits. */
  getThrottle(): Readonly<ThrottleOptions> {
    return this.throttle.limits();
  }

  /** Answers one HTTP request; every answer carries `request-id` and `client-request-id`. */
  async handle(request: EmulatorRequest): Promise<EmulatorResponse> {
    const requestId = randomUUID();
    const sent = header(request.headers, "client-request-id");
    if (sent === undefined) this.stats.withoutClientRequestId += 1;
    const clientRequestId = sent ?? requestId;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const response = this.dispatch(request, clientRequestId);
    stampError(response, requestId, clientRequestId);
    response.headers = {
      ...response.headers,
      "request-id": requestId,
      "client-request-id": clientRequestId,
      Date: new Date().toUTCString(),
    };
    return response;
  }

  private dispatch(request: EmulatorRequest, clientRequestId: string): EmulatorResponse {
    const method = request.method.toUpperCase();
    const parsed = splitUrl(request.url);
    const isBatch = parsed?.version === apiVersion && parsed.path.toLowerCase() === "$batch";
    const routeKey = isBatch
      ? "$batch"
      : parsed?.version === apiVersion
        ? routeOf(parsed.path).kind
        : "unknown";
    this.stats.countRequest(`${method} ${routeKey}`, false);
    this.stats.countPriority(header(request.headers, "x-ms-throttle-priority"));

    const auth = header(request.headers, "authorization");
    const presented = /^Bearer\s+(.+)$/i.exec(auth ?? "")?.[1]?.trim();
    if (!this.tokens.accepts(presented)) {
      this.stats.unauthorized += 1;
      return graphError(
        401,
        "InvalidAuthenticationToken",
        presented === undefined ? "Access token is empty." : "Access token validation failure.",
        { "WWW-Authenticate": 'Bearer realm="", error="invalid_token"' },
      );
    }
    if (!parsed) return badRequest("Invalid request URL.");
    if (parsed.version !== apiVersion) return badRequest(`Invalid version: ${parsed.version}`);

    const body = parseBody(request, method);
    if ("error" in body) return body.error;
    const operation: Operation = {
      method,
      path: parsed.path,
      query: parsed.query,
      headers: request.headers,
      body: body.value,
    };
    if (isBatch) {
      if (method !== "POST") return graphError(405, "BadRequest", "The $batch endpoint accepts POST only.");
      return this.batch(operation, clientRequestId);
    }
    return this.operate(operation, false);
  }

  /** Throttling → 503 fault → apply → 504-after-write fault, for one plain request or batch item. */
  private operate(op: Operation, inBatch: boolean): EmulatorResponse {
    const route = routeOf(op.path);
    if (inBatch) this.stats.countRequest(`${op.method} ${route.kind}`, true);
    if (!allowedMethods[route.kind].includes(op.method)) {
      return graphError(
        405,
        "Request_BadRequest",
        `The HTTP method '${op.method}' is not allowed on this resource.`,
      );
    }
    const isWrite = writeMethods.has(op.method);
    // The registration report is an identity and access report: its own request budget, no resource units.
    const cost: RequestCost =
      route.kind === "registrationDetails"
        ? { resourceUnits: 0, writes: 0, reports: 1 }
        : costOf(op.method, op.method === "GET" ? (listedCost[route.kind] ?? 1) : 1, op.query);
    const charge = this.throttle.charge(cost);
    if (!charge.ok) {
      this.stats.throttled += 1;
      return graphError(429, "TooManyRequests", "Too many requests.", {
        ...charge.headers,
        "Retry-After": String(charge.retryAfterSeconds),
      });
    }
    this.stats.resourceUnits += cost.resourceUnits;
    const routeKey = `${op.method} ${route.kind}`;
    this.stats.resourceUnitsByRoute[routeKey] =
      (this.stats.resourceUnitsByRoute[routeKey] ?? 0) + cost.resourceUnits;
    if (isWrite) this.stats.writeTimes.push(this.now());
    const failing = this.tenant.routeFailure(`${op.method} ${route.kind}`);
    if (failing !== undefined) return routeFailureAnswer(failing);
    if (this.faults.unavailableRate > 0 && this.random() < this.faults.unavailableRate) {
      this.stats.faults.unavailable += 1;
      return graphError(503, "serviceNotAvailable", "The service is temporarily unavailable.");
    }
    const response = this.admit(route) ?? this.apply(route, op);
    const applied = response.status >= 200 && response.status < 300;
    if (
      isWrite &&
      applied &&
      this.faults.timeoutAfterWriteRate > 0 &&
      this.random() < this.faults.timeoutAfterWriteRate
    ) {
      this.stats.faults.timeoutAfterWrite += 1;
      return graphError(504, "GatewayTimeout", "The request timed out.");
    }
    response.headers = { ...charge.headers, ...response.headers };
    return response;
  }

  /** The route table's refusals: Graph's 403 without the permission, the licence error on PIM without P2. */
  private admit(route: Route): EmulatorResponse | undefined {
    const rule = routeRules[route.kind];
    if (!rule) return undefined;
    if (rule.permissions.length > 0 && !rule.permissions.some((p) => this.tenant.hasPermission(p))) {
      return graphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    }
    if (rule.pim && !this.tenant.hasPim()) {
      return premiumLicenseRequired(this.tenant.pimRefusal.status, this.tenant.pimRefusal.wording);
    }
    return undefined;
  }

  private apply(route: Route, op: Operation): EmulatorResponse {
    const ctx: HandlerContext = {
      tenant: this.tenant,
      stats: this.stats,
      baseUrl: this.baseUrl,
      query: op.query,
      body: op.body,
    };
    switch (route.kind) {
      case "domains":
        return listDomains(ctx);
      case "organization":
        return listOrganization(ctx);
      case "users":
        return listUsers(ctx);
      case "user":
        return op.method === "GET" ? getUser(ctx, route.key) : patchUser(ctx, route.key);
      case "me":
        return badRequest("/me request is only valid with delegated authentication flow.");
      case "transitiveMemberOf":
        return listTransitiveMemberOf(ctx, route.key);
      case "roleAssignments":
      case "roleEligibilityScheduleInstances":
      case "roleEligibilitySchedules":
      case "roleAssignmentSchedules":
      case "roleAssignmentScheduleInstances":
        return listRoleGrants(ctx, route.kind);
      case "groups":
        return listGroups(ctx);
      case "group":
        return getGroup(ctx, route.groupId);
      case "members":
      case "transitiveMembers":
      case "owners":
        return listGroupRelation(ctx, route.groupId, route.kind);
      case "eligibilityScheduleInstances":
      case "assignmentScheduleInstances":
      case "eligibilitySchedules":
      case "assignmentSchedules":
        return listPimGroup(ctx, route.kind);
      case "pimGroupOther":
        return badRequest(`Resource not found for the segment '${route.segment}'.`);
      case "roleDefinition":
        return getRoleDefinition(ctx, route.id);
      case "dirSyncSettings":
        return listDirSyncSettings(ctx);
      case "dirSyncSetting":
        return getDirSyncSettings(ctx, route.id);
      case "registrationDetails":
        return listRegistrationDetails(ctx);
      case "unknown":
        return badRequest(`Resource not found for the segment '${route.segment}'.`);
      default:
        return handleAuthMethods(ctx, op.method, route);
    }
  }

  /** JSON batching: ≤ 20 requests, unique ids, relative urls, each answered (and throttled) separately. */
  private batch(op: Operation, clientRequestId: string): EmulatorResponse {
    const items = validateBatch(op.body);
    if ("error" in items) return items.error;
    const answers = new Map<string, EmulatorResponse>();
    const order = dependencyOrder(items.value);
    if (!order)
      return badRequest("Invalid batch payload: dependsOn must reference other requests without cycles.");
    for (const item of order) {
      const failedDependency = (item.dependsOn ?? []).some((id) => {
        const status = answers.get(id)?.status ?? 0;
        return status < 200 || status >= 300;
      });
      const answer = failedDependency
        ? graphError(424, "FailedDependency", "The request depends on a request that failed.")
        : this.batchItem(item);
      stampError(answer, randomUUID(), clientRequestId);
      answers.set(item.id, answer);
    }
    return json(200, {
      responses: items.value.map((item) => {
        const answer = answers.get(item.id) ?? graphError(500, "InternalServerError", "Missing answer.");
        const out: Record<string, unknown> = { id: item.id, status: answer.status, headers: answer.headers };
        if (answer.body !== undefined) out.body = answer.body;
        return out;
      }),
    });
  }

  private batchItem(item: BatchItem): EmulatorResponse {
    const parsed = splitUrl(`/${apiVersion}/${item.url.replace(/^\//, "")}`);
    if (!parsed) return badRequest("Invalid request URL.");
    return this.operate(
      {
        method: item.method.toUpperCase(),
        path: parsed.path,
        query: parsed.query,
        headers: item.headers ?? {},
        body: item.body,
      },
      true,
    );
  }
}

function validateBatch(body: unknown): { value: BatchItem[] } | { error: EmulatorResponse } {
  const requests = (body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return { error: badRequest("Invalid batch payload format: 'requests' must be a non-empty array.") };
  }
  if (requests.length > maxBatch) {
    return { error: badRequest(`Batch request exceeds the maximum of ${maxBatch} requests.`) };
  }
  const ids = new Set<string>();
  const items: BatchItem[] = [];
  for (const raw of requests as Array<Record<string, unknown>>) {
    const id = raw?.id;
    if (typeof id !== "string" || id === "")
      return { error: badRequest("Each batch request needs a non-empty string id.") };
    if (ids.has(id)) return { error: badRequest(`Batch request ids must be unique; '${id}' is repeated.`) };
    ids.add(id);
    if (typeof raw.method !== "string") return { error: badRequest(`Batch request '${id}' has no method.`) };
    if (typeof raw.url !== "string" || raw.url === "")
      return { error: badRequest(`Batch request '${id}' has no url.`) };
    if (/^[a-z][a-z0-9+.-]*:/i.test(raw.url)) {
      return { error: badRequest(`Batch request '${id}' must use a relative url.`) };
    }
    const headers = raw.headers as Record<string, string> | undefined;
    if (raw.body !== undefined && header(headers ?? {}, "content-type") === undefined) {
      return { error: badRequest(`Write request id : ${id} does not contain Content-Type header or body.`) };
    }
    const dependsOn = raw.dependsOn;
    if (
      dependsOn !== undefined &&
      !(Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === "string"))
    ) {
      return { error: badRequest(`Batch request '${id}' has an invalid dependsOn.`) };
    }
    items.push({
      id,
      method: raw.method,
      url: raw.url,
      headers,
      body: raw.body,
      dependsOn: dependsOn as string[] | undefined,
    });
  }
  for (const item of items) {
    if (item.dependsOn?.some((d) => !ids.has(d) || d === item.id)) {
      return { error: badRequest(`Batch request '${item.id}' depends on an unknown request.`) };
    }
  }
  return { value: items };
}

/** Items in an order where each comes after what it depends on; undefined for a cycle. */
function dependencyOrder(items: BatchItem[]): BatchItem[] | undefined {
  const done = new Set<string>();
  const order: BatchItem[] = [];
  while (order.length < items.length) {
    const ready = items.filter((i) => !done.has(i.id) && (i.dependsOn ?? []).every((d) => done.has(d)));
    if (ready.length === 0) return undefined;
    for (const item of ready) {
      done.add(item.id);
      order.push(item);
    }
  }
  return order;
}

const groupRelations: readonly GroupRelation[] = ["members", "transitiveMembers", "owners"];
const pimGroupLists: readonly PimGroupList[] = [
  "eligibilityScheduleInstances",
  "assignmentScheduleInstances",
  "eligibilitySchedules",
  "assignmentSchedules",
];
const roleLists: readonly RoleList[] = [
  "roleAssignments",
  "roleEligibilityScheduleInstances",
  "roleEligibilitySchedules",
  "roleAssignmentSchedules",
  "roleAssignmentScheduleInstances",
];

function routeOf(path: string): Route {
  const raw = path.split("/").filter((s) => s.length > 0);
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: "unknown", segment: raw.join("/") };
  }
  const [first = "", second, third, fourth, fifth, ...rest] = segments;
  if (first.toLowerCase() === "me") return { kind: "me" };
  if (first.toLowerCase() === "directory" && second?.toLowerCase() === "onpremisessynchronization") {
    if (third === undefined) return { kind: "dirSyncSettings" };
    if (fourth === undefined) return { kind: "dirSyncSetting", id: third };
    return { kind: "unknown", segment: fourth };
  }
  if (
    first.toLowerCase() === "reports" &&
    second?.toLowerCase() === "authenticationmethods" &&
    third?.toLowerCase() === "userregistrationdetails" &&
    fourth === undefined
  ) {
    return { kind: "registrationDetails" };
  }
  if (first.toLowerCase() === "domains" && second === undefined) return { kind: "domains" };
  if (first.toLowerCase() === "organization" && second === undefined) return { kind: "organization" };
  if (first.toLowerCase() === "groups") {
    if (second === undefined) return { kind: "groups" };
    if (third === undefined) return { kind: "group", groupId: second };
    const relation = groupRelations.find((r) => r.toLowerCase() === third?.toLowerCase());
    if (relation && fourth === undefined) return { kind: relation, groupId: second };
    return { kind: "unknown", segment: third ?? second };
  }
  if (
    first.toLowerCase() === "identitygovernance" &&
    second?.toLowerCase() === "privilegedaccess" &&
    third?.toLowerCase() === "group"
  ) {
    const list = pimGroupLists.find((l) => l.toLowerCase() === fourth?.toLowerCase());
    if (list && fifth === undefined) return { kind: list };
    return { kind: "pimGroupOther", segment: fourth ?? third };
  }
  if (first.toLowerCase() === "rolemanagement") {
    const list = roleLists.find((l) => l.toLowerCase() === third?.toLowerCase());
    if (second?.toLowerCase() === "directory" && list && fourth === undefined) return { kind: list };
    if (
      second?.toLowerCase() === "directory" &&
      third?.toLowerCase() === "roledefinitions" &&
      fourth &&
      fifth === undefined
    ) {
      return { kind: "roleDefinition", id: fourth };
    }
    return { kind: "unknown", segment: third ?? second ?? first };
  }
  // Graph's key form, required for UPNs starting with `$`: /users('{upn}') with quotes doubled.
  const keyForm = /^users\('((?:[^']|'')*)'\)$/i.exec(first);
  let key: string | undefined;
  let tail: Array<string | undefined>;
  if (keyForm) {
    key = (keyForm[1] ?? "").replaceAll("''", "'");
    tail = [second, third, fourth, fifth, ...rest];
  } else if (first.toLowerCase() === "users") {
    if (second === undefined) return { kind: "users" };
    key = second;
    tail = [third, fourth, fifth, ...rest];
  } else {
    return { kind: "unknown", segment: first };
  }
  const [a, b, c, ...more] = tail;
  if (a === undefined) return { kind: "user", key };
  if (a.toLowerCase() === "transitivememberof" && b === undefined) return { kind: "transitiveMemberOf", key };
  if (a.toLowerCase() !== "authentication" || more.length > 0) return { kind: "unknown", segment: a };
  const resource = b?.toLowerCase();
  if (resource === "methods" && c === undefined) return { kind: "authMethods", key };
  if (resource === "phonemethods")
    return c === undefined ? { kind: "phoneMethods", key } : { kind: "phoneMethod", key, methodId: c };
  if (resource === "emailmethods")
    return c === undefined ? { kind: "emailMethods", key } : { kind: "emailMethod", key, methodId: c };
  return { kind: "unknown", segment: b ?? a };
}

/** The answer of a route a test made fail, with the error code Graph uses for that status. */
function routeFailureAnswer({ status, retryAfterSeconds }: RouteFailure): EmulatorResponse {
  const headers: Record<string, string> =
    retryAfterSeconds === undefined ? {} : { "Retry-After": String(retryAfterSeconds) };
  if (status === 403) {
    return graphError(
      403,
      "Authorization_RequestDenied",
      "Insufficient privileges to complete the operation.",
    );
  }
  if (status === 503) {
    return graphError(503, "serviceNotAvailable", "The service is temporarily unavailable.", headers);
  }
  if (status >= 500) {
    return graphError(status, "InternalServerError", "An internal server error occurred.", headers);
  }
  return graphError(status, "BadRequest", "The request failed.", headers);
}

function splitUrl(url: string): { version: string; path: string; query: URLSearchParams } | undefined {
  const queryAt = url.indexOf("?");
  const pathPart = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1));
  const match = /^\/([^/]+)\/?(.*)$/.exec(pathPart);
  if (!match) return undefined;
  return { version: match[1] ?? "", path: match[2] ?? "", query };
}

function parseBody(
  request: EmulatorRequest,
  method: string,
): { value: unknown } | { error: EmulatorResponse } {
  if (request.body.trim() === "" || method === "GET") return { value: undefined };
  const contentType = header(request.headers, "content-type") ?? "";
  if (!/json/i.test(contentType)) {
    return { error: graphError(415, "UnsupportedMediaType", "Content-Type must be application/json.") };
  }
  try {
    return { value: JSON.parse(request.body) };
  } catch {
    return {
      error: badRequest(
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
      ),
    };
  }
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
