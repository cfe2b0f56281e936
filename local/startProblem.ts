import { createConnection, createServer } from "node:net";

/**
 * A stop of `npm start` the admin can fix: one line naming the fix, exit code 2 (settings, as the CLI's table
 * in docs/backfill.md), and no stack.
 */
export class StartProblem extends Error {
  readonly exitCode = 2;
  override readonly name = "StartProblem";
}

/** The line for a port something else holds, naming the setting that moves it. */
export function portInUse(port: number, what: string, setting: string): StartProblem {
  return new StartProblem(
    `port ${port} (${what}) is in use (another npm start?): stop it, or set ${setting} to another port (0 for any free one)`,
  );
}

/** A port `npm start` (or the local host) is about to listen on, with what takes it and the setting that moves it. */
export interface PlannedPort {
  port: number;
  what: string;
  setting: string;
}

/**
 * Refuses the first planned port something already holds on 127.0.0.1, by trying to listen there and letting go at
 * once; 0 (any free port) is never taken. Run before anything starts, so a taken host port costs one line, not an
 * Azurite start. Only a pre-check: a port taken in the moment between is still caught where it is listened on.
 */
export async function refuseTakenPorts(ports: readonly PlannedPort[]): Promise<void> {
  for (const { port, what, setting } of ports) {
    if (port !== 0 && (await isTaken(port))) throw portInUse(port, what, setting);
  }
}

function isTaken(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err) => (isAddressInUse(err) ? resolve(true) : reject(err)));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(false)));
  });
}

/** Whether `err` is Node's "address in use" (a listen that lost its port). */
export function isAddressInUse(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "EADDRINUSE" || /EADDRINUSE/.test(String(err));
}

/**
 * The loopback endpoints (host:port) a setting names: a stale export from an earlier `npm start` names them;
 * a real account or tenant names none, and is never probed.
 */
export function loopbackEndpoints(value: string): { host: string; port: number }[] {
  return [...value.matchAll(/https?:\/\/(127\.0\.0\.1|localhost):(\d+)/g)].map((m) => ({
    host: m[1] ?? "127.0.0.1",
    port: Number(m[2]),
  }));
}

/** Whether something accepts a TCP connection at host:port within `timeoutMs`. */
export function isListening(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Refuses a setting that points at a loopback endpoint where nothing listens: what a second shell's exports
 * look like once the `npm start` that printed them has stopped. Used silently, every call would fail later.
 */
export async function refuseDeadLoopback(name: string, value: string | undefined): Promise<void> {
  for (const { host, port } of loopbackEndpoints(value ?? "")) {
    if (!(await isListening(host, port))) {
      throw new StartProblem(
        `${name} points at ${host}:${port}, where nothing listens (a stale export from an earlier npm start?): unset it to use the embedded emulators, or start what it names`,
      );
    }
  }
}
