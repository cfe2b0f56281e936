import type { HttpResponseInit } from "@azure/functions";
import { problem } from "../shared/http/problem.js";
import { loopbackHostnames } from "./isLoopbackUrl.js";

/** What of a request decides whom it was meant for: its raw headers (name, value, …) and its request target. */
export interface AddressedRequest {
  rawHeaders: readonly string[];
  url?: string | undefined;
}

/**
 * The 421 for a request not addressed to this local host by one of its loopback names and its own `port`, or
 * undefined when it is. A web page can make a browser send requests here (DNS rebinding: its own name resolving
 * to 127.0.0.1), but the browser then sends that name as `Host`; so only `localhost`, `127.0.0.1` or `[::1]` with
 * this port are served (without a port only on 80, where HTTP leaves it out). One `Host` header exactly; a request
 * target in absolute form (`http://name/…`) must name an allowed host too.
 */
export function misdirectedRequest(request: AddressedRequest, port: number): HttpResponseInit | undefined {
  const allowed = new Set(loopbackHostnames.map((name) => `${name}:${port}`));
  if (port === 80) for (const name of loopbackHostnames) allowed.add(name);
  const hosts: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]?.toLowerCase() === "host") hosts.push(request.rawHeaders[i + 1] ?? "");
  }
  const host = hosts.length === 1 ? (hosts[0] ?? "").trim().toLowerCase() : undefined;
  const target = absoluteTargetHost(request.url ?? "/");
  if (host !== undefined && allowed.has(host) && (target === undefined || allowed.has(target)))
    return undefined;
  const named =
    hosts.length === 0
      ? "no Host header"
      : hosts.length > 1
        ? `${hosts.length} Host headers`
        : `Host ${JSON.stringify((hosts[0] ?? "").slice(0, 100))}`;
  const names = [...allowed].join(", ");
  const message = `This local host answers only requests addressed to ${names}; this one has ${named}.`;
  const hint = `Call it as http://127.0.0.1:${port}/api/…; a web page that reached this port under another name (DNS rebinding) is refused here, before any function runs.`;
  return problem(421, "host_not_allowed", message, [
    { field: "host", code: "host_not_allowed", message, hint },
  ]);
}

/** The host an absolute-form request target names (`GET http://name:port/… HTTP/1.1`), lower case; else undefined. */
function absoluteTargetHost(target: string): string | undefined {
  if (target.startsWith("/")) return undefined;
  try {
    return new URL(target).host.toLowerCase();
  } catch {
    // Not a URL (`*`, junk): the route lookup answers it, as a path no function serves.
    return undefined;
  }
}
