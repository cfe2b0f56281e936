import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

/** A running Azurite: its connection string and how to stop it. */
export interface RunningAzurite {
  /** Azurite's process id (it runs as a child process). */
  pid: number;
  connectionString: string;
  stop(): Promise<void>;
}

// Azurite's well-known development account; not a secret.
const account = "devstoreaccount1";
const accountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * Runs Azurite's entry (process.argv[1]) once stdin watches the parent: the parent holds the other end of the
 * pipe, and when it goes away for any reason (SIGTERM, a crash, SIGKILL) the pipe ends and Azurite exits with
 * it instead of living on as an orphan holding its ports.
 */
const exitWithParent =
  "process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume(); require(process.argv[1]);";

/** Azurite's own default ports (blob, queue, table): what `npm start` uses, so exports survive a restart. */
export const azuriteDefaultPorts = { blob: 10000, queue: 10001, table: 10002 } as const;

/**
 * Starts Azurite from npm in memory on loopback: on `options.ports` (default 0 each: free ports). `--skipApiVersionCheck` because the Node 20
 * compatible Azurite rejects current SDK API versions; `--disableTelemetry` because it would otherwise
 * try to reach an external telemetry host.
 */
export async function startAzurite(
  options: {
    timeoutMs?: number;
    env?: Record<string, string>;
    ports?: { blob: number; queue: number; table: number };
  } = {},
): Promise<RunningAzurite> {
  const asked = options.ports ?? { blob: 0, queue: 0, table: 0 };
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve("azurite/package.json"));
  const child = spawn(
    process.execPath,
    [
      "-e",
      exitWithParent,
      path.join(packageDir, "dist/src/azurite.js"),
      "--inMemoryPersistence",
      "--loose",
      "--skipApiVersionCheck",
      "--disableTelemetry",
      ...["--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1"],
      ...["--blobPort", String(asked.blob), "--queuePort", String(asked.queue)],
      ...["--tablePort", String(asked.table)],
    ],
    // options.env: e.g. AZURITE_ACCOUNTS, for a test run that gives each test file its own storage account.
    // detached (its own process group, not on Windows, where it would open a console): a terminal's Ctrl-C
    // reaches only the parent, which stops Azurite last, once in-flight work has drained. It still ends with
    // the parent through the stdin pipe.
    {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
      detached: process.platform !== "win32",
    },
  );
  // The pipe only signals this process's end; it must not keep this process alive on its own.
  unrefPipe(child.stdin);
  const ports = await waitForPorts(child, options.timeoutMs ?? 30_000);
  const endpoint = (service: "Blob" | "Queue" | "Table") =>
    `${service}Endpoint=http://127.0.0.1:${ports[service.toLowerCase() as "blob" | "queue" | "table"]}/${account};`;
  return {
    pid: child.pid ?? 0,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};${endpoint("Blob")}${endpoint("Queue")}${endpoint("Table")}`,
    stop: () => stopChild(child),
  };
}

function waitForPorts(
  child: ChildProcess,
  timeoutMs: number,
): Promise<Record<"blob" | "queue" | "table", number>> {
  return new Promise((resolve, reject) => {
    const ports: Partial<Record<"blob" | "queue" | "table", number>> = {};
    let output = "";
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(err);
    };
    child.on("error", fail);
    child.on("exit", (code) =>
      fail(new Error(`Azurite exited with code ${code} before it was ready:\n${output}`)),
    );
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/g,
      )) {
        ports[match[1]?.toLowerCase() as "blob" | "queue" | "table"] = Number(match[2]);
      }
      if (ports.blob && ports.queue && ports.table) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(ports as Record<"blob" | "queue" | "table", number>);
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function unrefPipe(stream: unknown): void {
  (stream as { unref?: () => void } | null)?.unref?.();
}
