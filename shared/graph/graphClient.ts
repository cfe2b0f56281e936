import type { AccessToken, TokenCredential } from "@azure/identity";
import {
  Client,
  type FetchOptions,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
} from "@microsoft/microsoft-graph-client";
import { ConfigError } from "../core/errors.js";
import { GraphAuthMiddleware, type TokenSource } from "./graphAuthMiddleware.js";
import {
  batchItemMethods,
  GraphPacingMiddleware,
  isBatchUrl,
  type WriteGate,
} from "./graphPacingMiddleware.js";
import { GraphRequestIdMiddleware } from "./graphRequestIdMiddleware.js";
import { GraphTimeoutMiddleware } from "./graphTimeoutMiddleware.js";
import { realSleep, type Sleep } from "./realSleep.js";
import { type GrantedPermissions, grantsReader } from "./tokenGrants.js";
import type { WriteLimiter } from "./writeLimiter.js";

/** How to reach Graph: the endpoint and either a static token (loopback only) or an Azure credential. */
export interface GraphConnectionOptions {
  /** e.g. `https://graph.microsoft.com/v1.0`; the last path segment is the API version. */
  baseUrl: string;
  /** A static bearer token, accepted only for loopback hosts (emulators). */
  accessToken?: string | undefined;
  /**
   * Managed identity or any TokenCredential; required unless `accessToken` is given. A loopback endpoint takes one
   * only when the caller chose it (the CLI's sign-in against the emulator), never the app's default identity.
   */
  credential?: TokenCredential | undefined;
  /** Per-attempt timeout; default 30 s. */
  timeoutMs?: number;
  /** SDK RetryHandler settings for 429/503/504; defaults 3 retries, 3 s base delay (Retry-After wins). */
  retry?: { maxRetries?: number; delaySeconds?: number };
  /**
   * How the client waits before a retry: the RetryHandler's delay (Retry-After or back-off) and a `$batch` item's
   * Retry-After. Default a real timer; tests pass a fake that records the wait instead of spending it.
   */
  sleep?: Sleep | undefined;
}

export interface GraphClientOptions extends GraphConnectionOptions {
  /** The process-wide write limiter; every write attempt takes a token from it. */
  limiter: WriteLimiter;
  /**
   * Graph's `x-ms-throttle-priority` for every request of this client and every `$batch` item it sends (sent as
   * `Low` / `Normal` / `High`): when Graph must throttle, low requests go first and high last (the limits stay the
   * same). The backfill and report send `low`, the helpdesk `high`; absent = `normal`, said explicitly.
   */
  priority?: ThrottlePriority | undefined;
  /** Asked right before each write is sent (after its wait for budget) whether its target users may be written. */
  writeGate?: WriteGate | undefined;
  /** Reads of this client go before the queue of reads waiting for resource units (the privilege picture's). */
  readsFirst?: boolean;
}

/** The documented values of `x-ms-throttle-priority`. */
export type ThrottlePriority = "low" | "normal" | "high";

/** A Graph SDK client plus the base URL it was built for (needed to follow `@odata.nextLink`). */
export interface GraphClient {
  client: Client;
  /** Normalised base URL without a trailing slash, e.g. `http://127.0.0.1:4000/v1.0`. */
  baseUrl: string;
  /**
   * The application permissions the token this client sends carries (read once per token), to explain a 403;
   * rejects when no token can be had. Optional so a hand-built client (tests) may leave it out: unknown then.
   */
  grants?: () => Promise<GrantedPermissions>;
  /** How this client waits before a retry (see `GraphConnectionOptions.sleep`); absent = a real timer. */
  sleep?: Sleep;
}

/**
 * Builds the SDK client with our own chain: client-request-id → auth (always for the configured origin) → RetryHandler (429/503/504,
 * honours Retry-After) → pacing (write tokens, 429 back-off) → per-attempt timeout → HTTPMessageHandler.
 */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const endpoint = parseGraphBaseUrl(options.baseUrl);
  const token = tokenSourceFor(endpoint.url, options);
  const sleep = options.sleep ?? realSleep;
  const retryOptions = new RetryHandlerOptions(
    options.retry?.delaySeconds ?? 3,
    options.retry?.maxRetries ?? 3,
    // 429 and 503 mean "not processed"; only a 504 leaves it unknown whether the write happened.
    (_delay, _attempt, request, fetchOptions, response) =>
      response.status !== 504 || isReadOnly(request, fetchOptions),
  );
  const client = Client.initWithMiddleware({
    baseUrl: endpoint.root,
    defaultVersion: endpoint.version,
    middleware: [
      new GraphRequestIdMiddleware(),
      new GraphAuthMiddleware(endpoint.url.origin, token),
      retryHandlerWaitingWith(retryOptions, sleep),
      new GraphPacingMiddleware(
        options.limiter,
        options.priority ?? "normal",
        options.writeGate,
        options.readsFirst,
      ),
      new GraphTimeoutMiddleware(options.timeoutMs ?? 30_000),
      new HTTPMessageHandler(),
    ],
  });
  return { client, baseUrl: `${endpoint.root}/${endpoint.version}`, grants: grantsReader(token), sleep };
}

/**
 * The SDK's RetryHandler, waiting through `sleep`. The SDK waits in its own (private) `sleep(seconds)` on a timer;
 * it is replaced on this instance so one injected wait serves every retry of the client.
 */
function retryHandlerWaitingWith(options: RetryHandlerOptions, sleep: Sleep): RetryHandler {
  const handler = new RetryHandler(options);
  const sdk = handler as unknown as { sleep?: unknown };
  // A newer SDK that waits some other way must fail loudly here, not ignore the injected wait.
  if (typeof sdk.sleep !== "function") throw new Error("RetryHandler no longer waits through sleep()");
  sdk.sleep = (delaySeconds: number) => sleep(delaySeconds * 1000);
  return handler;
}

/**
 * What makes `GRAPH_BASE_URL` unsafe or unusable, in words that follow the setting's name; undefined when it is fine.
 * Asked by config.ts when settings load (so a bad value stops the app before it starts) and by the client it builds.
 */
export function graphBaseUrlProblem(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    return `must use https (plain http is accepted only for loopback emulators): ${url.origin}`;
  }
  if (!url.pathname.split("/").some((s) => s.length > 0)) {
    return `must end with the API version, e.g. https://graph.microsoft.com/v1.0 (got ${url.origin})`;
  }
  return undefined;
}

/** Splits `GRAPH_BASE_URL` into origin(+prefix) and version, rejecting anything we would send a token to unsafely. */
export function parseGraphBaseUrl(baseUrl: string): { url: URL; root: string; version: string } {
  const problem = graphBaseUrlProblem(baseUrl);
  if (problem !== undefined) throw new ConfigError(`GRAPH_BASE_URL ${problem}`);
  const url = new URL(baseUrl);
  const segments = url.pathname.split("/").filter((s) => s.length > 0);
  const version = segments.pop() ?? "";
  const root = [url.origin, ...segments].join("/");
  return { url, root, version };
}

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts a static token may be sent to. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function tokenSourceFor(url: URL, options: GraphConnectionOptions): TokenSource {
  if (options.accessToken !== undefined) {
    if (!isLoopbackHost(url.hostname)) {
      throw new ConfigError(
        `GRAPH_ACCESS_TOKEN is accepted only for a loopback GRAPH_BASE_URL (127.0.0.1, ::1, localhost), not ${url.hostname}; ` +
          "remove it so the managed identity is used",
      );
    }
    const token = options.accessToken;
    return async () => token;
  }
  if (isLoopbackHost(url.hostname) && !options.credential) {
    // A managed identity cannot mint tokens for a local emulator; fail here rather than on the first call.
    throw new ConfigError("GRAPH_ACCESS_TOKEN is required for a loopback GRAPH_BASE_URL (an emulator)");
  }
  if (!options.credential) {
    throw new ConfigError(
      "No Graph credential: expected a managed identity (AZURE_CLIENT_ID for a user-assigned one)",
    );
  }
  return cachedCredentialToken(options.credential, `${url.origin}/.default`);
}

/** Caches the credential's token until shortly before expiry so each attempt doesn't ask the identity endpoint. */
export function cachedCredentialToken(credential: TokenCredential, scope: string): TokenSource {
  let current: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;
  const marginMs = 2 * 60_000;
  return async () => {
    const now = Date.now();
    const refreshAt = current?.refreshAfterTimestamp ?? (current ? current.expiresOnTimestamp - marginMs : 0);
    if (current && now < refreshAt) return current.token;
    pending ??= credential
      .getToken(scope)
      .then((token) => {
        if (!token) throw new ConfigError(`The Azure credential returned no token for ${scope}`);
        current = token;
        return token;
      })
      .finally(() => {
        pending = undefined;
      });
    return (await pending).token;
  };
}

/**
 * Whether a request may be resent after a 504, which can come after Graph applied it. Only reads may: a resent
 * POST would fail with "already exists" (hiding the first one's success), and even a PATCH that sets the same
 * value is a second write of the field. The queue's retry re-reads the user instead, and the planner sees what
 * the lost answer did (see `syncContactEvent`).
 */
function isReadOnly(request: string | Request, options: FetchOptions | undefined): boolean {
  const url = typeof request === "string" ? request : request.url;
  const method = (typeof request === "string" ? options?.method : request.method)?.toUpperCase() ?? "GET";
  if (method === "GET" || method === "HEAD") return true;
  if (method !== "POST" || !isBatchUrl(url)) return false;
  return batchItemMethods(options?.body).every((item) => item === "GET");
}
