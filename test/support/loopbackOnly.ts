import net from "node:net";
import { afterAll, expect } from "vitest";

// Runs before every test file (vitest setupFiles): a test may reach loopback only (127.0.0.0/8, ::1, localhost),
// the emulators and Azurite. Any other connection, through fetch, the Azure or Graph SDKs, or a bare socket, fails
// at once (before any DNS lookup) and fails the file, even when the code under test swallows the error, so a
// forgotten endpoint (Graph, login.microsoftonline.com, the IMDS at 169.254.169.254, a telemetry exporter) can
// never be reached from a test run. Child processes a test starts are given loopback URLs by that test.

const attempts: string[] = [];

/** Whether `host` (as given to connect: a name or an address) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (net.isIPv4(bare)) return bare.startsWith("127.");
  if (net.isIPv6(bare)) return bare === "::1" || /^::ffff:127\./.test(bare);
  return false;
}

type ConnectArgs = Parameters<net.Socket["connect"]>;

/** The host a Socket#connect call targets, or undefined for a local (IPC) socket path. */
function targetHost(args: unknown[]): string | undefined {
  // net.connect() hands Socket#connect its arguments already normalized, as one array [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === "string") return undefined;
  if (typeof first === "number") return typeof args[1] === "string" ? args[1] : "localhost";
  const options = (first ?? {}) as { host?: string; path?: string };
  if (options.path) return undefined;
  return options.host ?? "localhost";
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs) {
  const host = targetHost(args);
  if (host === undefined || isLoopbackHost(host)) return connect.apply(this, args);
  attempts.push(host);
  const error: NodeJS.ErrnoException = new Error(
    `test run: connection to ${host} refused; tests reach only loopback (127.0.0.0/8)`,
  );
  error.code = "ECONNREFUSED";
  process.nextTick(() => this.destroy(error));
  return this;
} as typeof connect;

afterAll(() => {
  expect(attempts, "connections a test tried to open outside loopback").toEqual([]);
});
