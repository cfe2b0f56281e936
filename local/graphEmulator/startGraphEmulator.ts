import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { EmulatedTenant, emulatedPermissions, type TenantSeed } from "./EmulatedTenant.js";
import type { EmulatorStats } from "./EmulatorStats.js";
import { type EmulatorResponse, graphError, stampError } from "./emulatorResponse.js";
import { type FaultOptions, GraphEmulatorCore } from "./GraphEmulatorCore.js";
import type { ThrottleOptions } from "./GraphThrottle.js";

export interface GraphEmulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /**
   * An opaque bearer token the emulator accepts besides the JWTs it issues; default `local-dev-token`. It carries
   * no `roles` claim, so an app using it can't tell its grants (as with a token it can't read).
   */
  token?: string;
  /** Tenant seed object (wins over `tenantFile`). */
  tenant?: TenantSeed;
  /** Path of a tenant JSON file; default `local/demo-tenant.json`. */
  tenantFile?: string;
  throttle?: ThrottleOptions;
  /** Delay added to every HTTP request, in ms. */
  latencyMs?: number;
  faults?: Partial<FaultOptions>;
  /** Random source for fault injection (tests script it). */
  random?: () => number;
  /** Clock for throttling, in ms. */
  now?: () => number;
}

/** A running emulator and its in-process controls. */
export interface GraphEmulator {
  /** Base URL including the version, e.g. `http://127.0.0.1:43123/v1.0` (use as GRAPH_BASE_URL). */
  url: string;
  /**
   * The token issued at start (use as GRAPH_ACCESS_TOKEN): a JWT-shaped app-only token whose `roles` claim lists the
   * permissions granted then.
   */
  token: string;
  /** A new token whose `roles` claim lists the permissions granted now (after `tenant.revokePermission`, say). */
  issueToken(): string;
  /**
   * Live tenant state: read users, flip `bypassDirSyncOverridesEnabled`, revoke a Graph permission, make a route
   * fail, `reset()`.
   */
  tenant: EmulatedTenant;
  stats: EmulatorStats;
  setFaults(faults: Partial<FaultOptions>): void;
  setLatency(ms: number): void;
  setThrottle(options: ThrottleOptions): void;
  close(): Promise<void>;
}

export const defaultEmulatorToken = "local-dev-token";

/**
 * Starts the emulated Graph tenant on 127.0.0.1. Besides `/v1.0/...` it serves `/_emulator/{stats,settings,reset,token}`
 * (same token) so a separate process (benchmark, manual test) can read counters and change faults at runtime.
 */
export async function startGraphEmulator(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const tenant = options.tenant
    ? new EmulatedTenant(options.tenant)
    : EmulatedTenant.fromFile(options.tenantFile ?? defaultTenantPath());
  const core = new GraphEmulatorCore({
    tenant,
    token: options.token ?? defaultEmulatorToken,
    throttle: options.throttle,
    latencyMs: options.latencyMs,
    faults: options.faults,
    random: options.random,
    now: options.now,
  });
  const server = createServer((req, res) => {
    serve(core, req, res).catch((err: unknown) => {
      // A handler bug must still answer like Graph would, not hang the client.
      const requestId = randomUUID();
      const failure = stampError(
        graphError(500, "InternalServerError", `Emulator error: ${String(err)}`),
        requestId,
        requestId,
      );
      writeResponse(res, { ...failure, headers: { ...failure.headers, "request-id": requestId } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  core.baseUrl = `http://127.0.0.1:${port}/v1.0`;
  return {
    url: core.baseUrl,
    token: core.token,
    issueToken: () => core.issueToken(),
    tenant,
    stats: core.stats,
    setFaults: (faults) => core.setFaults(faults),
    setLatency: (ms) => core.setLatency(ms),
    setThrottle: (throttle) => core.setThrottle(throttle),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The demo tenant next to the sources, also when running from `dist/`. */
function defaultTenantPath(): string {
  const candidates = ["../demo-tenant.json", "../../../local/demo-tenant.json"].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`demo-tenant.json not found (looked in ${candidates.join(", ")})`);
  return found;
}

async function serve(core: GraphEmulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]),
  );
  const url = req.url ?? "/";
  if (url.startsWith("/_emulator/")) {
    writeResponse(res, control(core, req.method ?? "GET", url, headers, body));
    return;
  }
  writeResponse(res, await core.handle({ method: req.method ?? "GET", url, headers, body }));
}

function control(
  core: GraphEmulatorCore,
  method: string,
  url: string,
  headers: Record<string, string | undefined>,
  body: string,
): EmulatorResponse {
  const ok = (value: unknown): EmulatorResponse => ({
    status: 200,
    headers: { "Content-Type": "application/json" },
    body: value,
  });
  if (!core.accepts(/^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1]?.trim())) {
    return graphError(401, "InvalidAuthenticationToken", "Access token validation failure.");
  }
  const settings = () => ({
    faults: core.getFaults(),
    latencyMs: core.getLatency(),
    throttle: core.getThrottle(),
    bypassDirSyncOverridesEnabled: core.tenant.bypassDirSyncOverridesEnabled,
    premiumLicense: core.tenant.premiumLicense,
    revokedPermissions: core.tenant.revokedPermissions(),
  });
  const path = url.split("?")[0];
  if (path === "/_emulator/stats" && method === "GET") return ok(core.stats);
  // A fresh token listing the grants as they are now, as Entra ID issues after a grant or a revocation.
  if (path === "/_emulator/token" && method === "POST") return ok({ token: core.issueToken() });
  if (path === "/_emulator/reset" && method === "POST") {
    core.tenant.reset();
    core.stats.reset();
    return ok(settings());
  }
  if (path === "/_emulator/settings" && method === "GET") return ok(settings());
  if (path === "/_emulator/settings" && method === "PATCH") {
    let change: {
      faults?: Partial<FaultOptions>;
      latencyMs?: number;
      throttle?: ThrottleOptions;
      bypassDirSyncOverridesEnabled?: boolean;
      /** false: the tenant has no Entra ID P1/P2, so the registration report answers 403. */
      premiumLicense?: boolean;
      /** The app's Graph permissions to take away (the rest are granted), e.g. ["RoleManagement.Read.Directory"]. */
      revokedPermissions?: string[];
    };
    try {
      change = JSON.parse(body || "{}");
    } catch {
      return graphError(400, "BadRequest", "Settings must be JSON.");
    }
    if (change.faults) core.setFaults(change.faults);
    if (typeof change.latencyMs === "number") core.setLatency(change.latencyMs);
    if (change.throttle) core.setThrottle(change.throttle);
    if (typeof change.bypassDirSyncOverridesEnabled === "boolean") {
      core.tenant.bypassDirSyncOverridesEnabled = change.bypassDirSyncOverridesEnabled;
    }
    if (typeof change.premiumLicense === "boolean") core.tenant.premiumLicense = change.premiumLicense;
    if (Array.isArray(change.revokedPermissions)) {
      for (const permission of emulatedPermissions) core.tenant.grantPermission(permission);
      for (const permission of change.revokedPermissions) core.tenant.revokePermission(String(permission));
    }
    return ok(settings());
  }
  return graphError(404, "NotFound", "Unknown emulator control endpoint.");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function writeResponse(res: ServerResponse, response: EmulatorResponse): void {
  if (res.headersSent) return;
  const payload = response.body === undefined ? undefined : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    ...(payload === undefined ? {} : { "Content-Length": Buffer.byteLength(payload) }),
  });
  res.end(payload);
}
