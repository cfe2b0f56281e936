import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpFunctionOptions, HttpResponseInit } from "@azure/functions";
// Bundled CommonJS: Node's ESM loader sees only the default export.
import functions from "@azure/functions";
import type { AppServices } from "../shared/app/appServices.js";
import * as thisApp from "../shared/app/appServices.js";
import type { Settings } from "../shared/app/config.js";
import type { Registration } from "../shared/app/functionRegistry.js";
import { type QueueHostSettings, readQueueHostSettings } from "../shared/app/hostJson.js";
import { hostBodyLimitBytes } from "../shared/http/bodyLimits.js";
import { problem } from "../shared/http/problem.js";
import { tooLargeProblem } from "../shared/http/tooLargeProblem.js";
import {
  easyAuthPlatform,
  emulateEasyAuth,
  type LocalRole,
  withoutEasyAuth,
  withoutPrincipalHeaders,
} from "./emulateEasyAuth.js";
import { invocationContext } from "./invocationContext.js";
import { isLoopbackUrl } from "./isLoopbackUrl.js";
import { misdirectedRequest } from "./misdirectedRequest.js";
import { startQueuePoller } from "./queuePoller.js";
import { remoteStorageProblem } from "./remoteStorageProblem.js";
import { startTimer } from "./startTimer.js";

/** A running local host. */
export interface LocalHost {
  /** Base URL, e.g. `http://127.0.0.1:7071`. */
  url: string;
  /** Wakes every queue poller now (as the Functions host does after a function writes to a queue). */
  poke(): void;
  close(): Promise<void>;
}

export interface LocalHostOptions {
  registrations: readonly Registration[];
  settings: Settings;
  port?: number;
  /** Overrides host.json's maxPollingInterval (tests poll faster than its 2 s). */
  maxPollingIntervalMs?: number;
  /**
   * How long a received message stays invisible while its function runs; default 600 s, as the Functions host.
   * A host that dies mid-run leaves its messages invisible that long: crash tests shorten it.
   */
  visibilityTimeoutSeconds?: number;
  log?: (line: string) => void;
  /**
   * Emulate Easy Auth in front of the HTTP routes, signing every request in as the local principal: only ever in
   * front of an emulated tenant (a loopback GRAPH_BASE_URL), the default there. Elsewhere, or with false, they are
   * served as an app without Easy Auth (401 on every helpdesk route); true with a real tenant is refused.
   */
  easyAuth?: boolean;
  /** The app roles the emulated Easy Auth gives the local principal (default both). */
  callerRoles?: readonly LocalRole[];
  /**
   * The composition root the registered functions read their services from; default this repo's. A host that
   * serves a built deployment package passes the package's own copy, so its functions see the emulated Easy Auth.
   */
  app?: CompositionRoot;
  /** host.json's queue settings; default this repo's host.json (a deployment package passes its own). */
  queueSettings?: QueueHostSettings;
  /**
   * The largest request body the host takes, as `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` sets it in Azure; default
   * the app's own (`hostBodyLimitBytes`, the Bicep's value), so a larger body never reaches a handler here either.
   */
  maxBodyBytes?: number;
}

/** What the local host needs of shared/app/appServices: the services, and running a call with others. */
export interface CompositionRoot {
  appServices(): AppServices;
  withAppServices<T>(services: AppServices, run: () => T): T;
}

// The Functions host's own defaults that host.json doesn't set here.
const { HttpRequest, HttpResponse } = functions;
const routePrefix = "api";
const processingVisibilitySeconds = 600;

/**
 * Runs the app's function definitions outside Azure, the way the Functions host does: HTTP routes under
 * `/api`, queue triggers polling storage with host.json's settings (poison queue included), and timers.
 * Function keys are not enforced, as with Core Tools' `func start`. A request body over `maxBodyBytes` is refused
 * (413) before any handler runs, as FUNCTIONS_REQUEST_BODY_SIZE_LIMIT has the Functions host do in Azure. In front
 * of an emulated tenant's HTTP routes it emulates App Service authentication (Easy Auth) as an always-signed-in
 * developer (`emulateEasyAuth`). Listening on loopback is not enough for that: a request not addressed to a
 * loopback name and this port (DNS rebinding) is answered 421 before any function runs, and storage that isn't
 * this machine's is refused before anything starts (`remoteStorageProblem`).
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const remote = remoteStorageProblem(options.settings);
  if (remote) throw remote;
  if (options.easyAuth === true && !isLoopbackUrl(options.settings.GRAPH_BASE_URL))
    throw new Error(
      "the local host emulates Easy Auth only in front of an emulated tenant (a loopback GRAPH_BASE_URL)",
    );
  const log = options.log ?? ((line: string) => console.log(line));
  const queueSettings = options.queueSettings ?? readQueueHostSettings();
  const http = options.registrations.filter((r) => r.kind === "http");
  const app = options.app ?? thisApp;
  const served: ServedBy = {
    registrations: http,
    app,
    log,
    easyAuth: options.easyAuth ?? true,
    callerRoles: options.callerRoles ?? ["reader", "admin"],
    maxBodyBytes: options.maxBodyBytes ?? hostBodyLimitBytes,
  };
  // Node's own bare 400 for a request without Host would do; this host's 421 says why (misdirectedRequest).
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    void serveHttp(served, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? options.settings.PORT, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const pollers = options.registrations
    .filter((r) => r.kind === "storageQueue")
    .map((r) =>
      startQueuePoller(
        r.name,
        r.options,
        options.settings,
        {
          ...queueSettings,
          maxPollingIntervalMs: options.maxPollingIntervalMs ?? queueSettings.maxPollingIntervalMs,
        },
        options.visibilityTimeoutSeconds ?? processingVisibilitySeconds,
        log,
      ),
    );
  const timers = options.registrations
    .filter((r) => r.kind === "timer")
    .map((r) => startTimer(r.name, r.options, options.settings, log));

  return {
    url: `http://127.0.0.1:${port}`,
    poke: () => {
      for (const poller of pollers) poller.poke();
    },
    close: async () => {
      for (const timer of timers) timer.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
      await closeServer(server);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function matchRoute(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template
    .split("/")
    .map((segment) => {
      const param = /^\{(\w+)(?::[^}]*)?(\?)?\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(param[1] ?? "");
      return param[2] ? "?([^/]*)" : "([^/]+)";
    })
    .join("/");
  const match = new RegExp(`^${pattern}/?$`, "i").exec(path);
  if (!match) return undefined;
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? "")]));
}

/** What the HTTP side of the host serves, and how. */
interface ServedBy {
  registrations: Extract<Registration, { kind: "http" }>[];
  app: CompositionRoot;
  log: (line: string) => void;
  easyAuth: boolean;
  callerRoles: readonly LocalRole[];
  maxBodyBytes: number;
}

async function serveHttp(served: ServedBy, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { registrations, app, log, maxBodyBytes } = served;
  try {
    const misdirected = misdirectedRequest(req, req.socket.localPort ?? 0);
    if (misdirected) {
      log(`[http] 421 host_not_allowed: ${JSON.stringify((req.headers.host ?? "").slice(0, 100))}`);
      sendProblem(res, misdirected);
      return;
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (!isDecodable(url.pathname)) {
      // Like the Functions host (Kestrel): malformed percent-encoding is the client's error, found by fuzzing.
      sendProblem(res, problem(400, "path_invalid", "The path has malformed percent-encoding."));
      return;
    }
    const prefix = `/${routePrefix}/`;
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : undefined;
    const method = (req.method ?? "GET").toUpperCase();
    let found: { name: string; options: HttpFunctionOptions; params: Record<string, string> } | undefined;
    const allowed = new Set<string>();
    for (const r of path === undefined ? [] : registrations) {
      const params = matchRoute(r.options.route ?? r.name, path ?? "");
      if (!params) continue;
      const methods = (r.options.methods ?? ["GET", "POST"]).map((m) => m.toUpperCase());
      for (const m of methods) allowed.add(m);
      if (methods.includes(method)) {
        found = { name: r.name, options: r.options, params };
        break;
      }
    }
    if (!found) {
      sendProblem(res, routeMiss(registrations, method, url.pathname, [...allowed]));
      return;
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) {
      // As the Functions host: refused before any handler runs, and the connection closed once this answer is
      // out (Node does that for `connection: close`), so nothing more the client sends is kept.
      sendProblem(res, { ...tooLargeProblem(maxBodyBytes), headers: { connection: "close" } });
      return;
    }
    const { platform, headers } = platformFor(served, req);
    const request = new HttpRequest({
      method,
      url: `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`,
      headers,
      params: found.params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    const context = invocationContext(found.name, "httpTrigger", {}, log);
    const result = await app.withAppServices(platform, () => found.options.handler(request, context));
    const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    const payload = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, responseHeaders).end(payload);
  } catch (err) {
    // Like the Functions host: an unhandled error is a bare 500, its detail only in the log.
    log(`[http] unhandled error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
}

/**
 * The services and headers a handler sees: behind the emulated Easy Auth (signed in as the local principal) only
 * when the host emulates it and the services' Graph is loopback, checked on every request; otherwise as an app
 * without Easy Auth, client-sent principal headers dropped, so every helpdesk route answers 401 (fail closed).
 */
function platformFor(
  served: ServedBy,
  req: IncomingMessage,
): { platform: AppServices; headers: Record<string, string> } {
  const received: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) received[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const services = served.app.appServices();
  if (served.easyAuth && isLoopbackUrl(services.settings.GRAPH_BASE_URL)) {
    const platform = easyAuthPlatform(services);
    return { platform, headers: emulateEasyAuth(received, platform.settings, served.callerRoles) };
  }
  return { platform: withoutEasyAuth(services), headers: withoutPrincipalHeaders(received) };
}

/**
 * The answer for a request no function takes: 405 with `Allow` when the path is a route but not for this
 * method, else 404 listing the routes. In the app's error shape, so a client reads it like any other error
 * (the Functions host itself answers both with an empty body).
 */
function routeMiss(
  registrations: Extract<Registration, { kind: "http" }>[],
  method: string,
  pathname: string,
  allowed: string[],
): HttpResponseInit {
  const where = pathname.slice(0, 200);
  if (allowed.length > 0) {
    const methods = allowed.sort().join(", ");
    return {
      ...problem(405, "method_not_allowed", `${where} answers ${methods}, not ${method.slice(0, 20)}.`),
      headers: { allow: methods },
    };
  }
  const methodsByRoute = new Map<string, string[]>();
  for (const r of registrations) {
    const route = `/${routePrefix}/${r.options.route ?? r.name}`;
    methodsByRoute.set(route, [
      ...(methodsByRoute.get(route) ?? []),
      ...(r.options.methods ?? ["GET", "POST"]),
    ]);
  }
  const routes = [...methodsByRoute].map(([route, methods]) => `${methods.sort().join("|")} ${route}`).sort();
  return problem(404, "route_not_found", `No function serves ${where}. Routes: ${routes.join(", ")}.`);
}

/** Writes an error answer (`problem()`'s shape) the way the functions' own answers are written: JSON. */
function sendProblem(res: ServerResponse, answer: HttpResponseInit): void {
  const body = Buffer.from(JSON.stringify(answer.jsonBody), "utf8");
  res
    .writeHead(answer.status ?? 500, {
      ...(answer.headers as Record<string, string> | undefined),
      "content-type": "application/json; charset=utf-8",
      "content-length": String(body.length),
    })
    .end(body);
}

function isDecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The request body, or undefined once it is known to pass `maxBytes`: at once when Content-Length says so (nothing
 * is read), else as soon as the streamed bytes do (chunked), when reading stops. So an oversized body costs at most
 * the limit plus one chunk of memory, whatever the client goes on sending.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(req.headers["content-length"] ?? "0") > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off("data", onData);
        req.pause();
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
