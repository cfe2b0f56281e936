import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

/** A running Azurite: its connection string and how to stop it. */
export interface RunningAzurite {
  connectionString: string;
  stop(): Promise<void>;
}

// Azurite's well-known development account; not a secret.
const account = "devstoreaccount1";
const accountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * Starts Azurite from npm in memory on free loopback ports. `--skipApiVersionCheck` because the Node 20
 * compatible Azurite rejects current SDK API versions; `--disableTelemetry` because it would otherwise
 * try to reach an external telemetry host.
 */
export async function startAzurite(options: { timeoutMs?: number } = {}): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve("azurite/package.json"));
  const child = spawn(
    process.execPath,
    [
      path.join(packageDir, "dist/src/azurite.js"),
      "--inMemoryPersistence",
      "--loose",
      "--skipApiVersionCheck",
      "--disableTelemetry",
      ...["--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1"],
      ...["--blobPort", "0", "--queuePort", "0", "--tablePort", "0"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ports = await waitForPorts(child, options.timeoutMs ?? 30_000);
  const endpoint = (service: "Blob" | "Queue" | "Table") =>
    `${service}Endpoint=http://127.0.0.1:${ports[service.toLowerCase() as "blob" | "queue" | "table"]}/${account};`;
  return {
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
