import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { odata } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appServices } from "../../shared/app/appServices.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";
import { outcomeEventRowsFilter } from "../../shared/storage/outcomeTableRowOf.js";
import { StorageEventQueue } from "../../shared/storage/storageEventQueue.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import { scanAll } from "./support/piiCatalog.js";
import { reportFigures, scale, sizes } from "./support/scale.js";
import { buildScenario, scenarioEnv } from "./support/scenario.js";
import { queuedEvent, verifyRun } from "./support/verifyRun.js";
import { countFinal, FinalOutcomeTracker, queueLength, waitUntilSettled } from "./support/waitForRun.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// A killed host's messages come back after the visibility timeout, and its events can be taken over once their
// lease ends: both shortened from 600 s / 5 min so the test waits seconds. The lease stays below the visibility.
const visibilitySeconds = 10;
const leaseSeconds = 8;
// Kill when this share of the events is final: once early, once late.
const killPoints = [0.3, 0.65];
const faults = { unavailableRate: 0.05, timeoutAfterWriteRate: 0.05 };
const scenario = buildScenario(sizes.crashEvents, { prefix: `crash${scale}` });

let env: TestEnvironment;
const output: string[] = [];
let child: { process: ChildProcess; exited: Promise<void> } | undefined;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: scenario.tenant, throttle: { enabled: false }, faults },
    env: { ...scenarioEnv, GRAPH_RETRY_DELAY_SECONDS: "0", GRAPH_WRITE_BUDGET: "1000000" },
  });
});

afterAll(async () => {
  if (child) {
    child.process.kill("SIGKILL");
    await child.exited;
  }
  await env?.close();
});

/** Starts local/hostMain.ts as its own process (settings from this process's env) and waits for "ready". */
async function startHost(): Promise<{ process: ChildProcess; exited: Promise<void> }> {
  const host = spawn(process.execPath, ["--import", "tsx", path.join(root, "local/hostMain.ts")], {
    cwd: root,
    env: {
      ...process.env,
      PORT: "0",
      LOCAL_HOST_VISIBILITY_SECONDS: String(visibilitySeconds),
      LOCAL_HOST_LEASE_SECONDS: String(leaseSeconds),
      LOCAL_HOST_MAX_POLLING_MS: "250",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => host.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`host not ready in 60 s:\n${output.slice(-20).join("\n")}`)),
      60_000,
    );
    for (const stream of [host.stdout, host.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        if (line.startsWith("ready ")) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    void exited.then(() =>
      reject(new Error(`host exited before it was ready:\n${output.slice(-20).join("\n")}`)),
    );
  });
  await ready;
  return { process: host, exited };
}

/** Events the killed host held a lease on (claimed, no final record), and those with writes noted as started. */
async function inFlight(): Promise<{ claimed: number; writesStarted: number }> {
  const { settings } = appServices();
  const rows = tableClient(settings, settings.OUTCOMES_TABLE).listEntities<{
    status?: string;
    pending?: string;
  }>({
    queryOptions: { filter: `${outcomeEventRowsFilter} and ${odata`status eq ${"processing"}`}` },
  });
  let claimed = 0;
  let writesStarted = 0;
  for await (const row of rows) {
    claimed += 1;
    if (row.pending) writesStarted += 1;
  }
  return { claimed, writesStarted };
}

describe(`crash: SIGKILL the local host ${killPoints.length} times during ${sizes.crashEvents.toLocaleString("en-US")} events`, () => {
  it("processes every message after each restart, with no double effects and no PII in its output", async () => {
    const started = performance.now();
    const { settings } = appServices();
    const table = tableClient(settings, settings.OUTCOMES_TABLE);
    const queue = new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE));
    // Each case as it stands on the queue (a webhook case as hr/events queued it: scoped id, stamped actor).
    const messages = [...scenario.cases, ...scenario.cases.filter((c) => c.duplicate)].map(queuedEvent);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < messages.length) await queue.send(messages[next++]);
      }),
    );

    const kills: Record<string, number>[] = [];
    const tracker = new FinalOutcomeTracker(output);
    child = await startHost();
    for (const point of killPoints) {
      const target = Math.ceil(scenario.cases.length * point);
      while (tracker.count < target) await new Promise((r) => setTimeout(r, 20));
      child.process.kill("SIGKILL");
      await child.exited;
      kills.push({ finalAtKill: await countFinal(table), ...(await inFlight()) });
      child = await startHost();
    }
    const lastRestart = performance.now();

    await waitUntilSettled({
      // From the table, not the log: a SIGKILL can swallow the last lines the host wrote.
      finals: () => countFinal(table),
      pollMs: 1_000,
      queue: queueClient(settings, settings.ONBOARDING_QUEUE),
      expected: scenario.cases.length,
      timeoutMs: sizes.crashEvents * 500 + 120_000,
      label: "crash",
    });
    const settled = performance.now();
    child.process.kill("SIGTERM");
    await child.exited;
    child = undefined;

    const report = await verifyRun(scenario, table, env.graph.tenant, env.graph.stats);
    const poisoned = await queueLength(queueClient(settings, `${settings.ONBOARDING_QUEUE}-poison`));
    reportFigures("crash", {
      events: scenario.cases.length,
      "messages (incl. duplicates)": messages.length,
      SIGKILLs: kills.length,
      "at each kill: final / claimed, not final / with writes started": kills
        .map((k) => `${k.finalAtKill} / ${k.claimed} / ${k.writesStarted}`)
        .join(", "),
      "outcomes by status": report.outcomesByStatus,
      "503s injected": env.graph.stats.faults.unavailable,
      "504s injected after a write": env.graph.stats.faults.timeoutAfterWrite,
      "fields confirmed on retry": report.confirmedOnRetry,
      "writes applied": report.writesApplied,
      "max writes per field per event": report.maxWritesPerField,
      "poison messages": poisoned,
      "s from last restart to settled": (settled - lastRestart) / 1000,
      "duration s": (settled - started) / 1000,
      "host output lines": output.length,
    });

    expect(report.problems.slice(0, 20)).toEqual([]);
    expect(report.maxWritesPerField).toBeLessThanOrEqual(1);
    expect(poisoned).toBe(0);
    // The kills really caught events in flight (a kill between two batches would prove little).
    expect(kills.reduce((n, k) => n + (k.claimed ?? 0), 0)).toBeGreaterThan(0);
    expect(output.filter((line) => line.startsWith("ready "))).toHaveLength(killPoints.length + 1);

    const leaks = scanAll(scenario.pii, [
      ...output.map((line, i) => [`host output line ${i}`, line] as [string, string]),
      ...report.records.map((record, i) => [`outcome table row ${i}`, record] as [string, string]),
    ]);
    expect(leaks).toEqual([]);
  });
});
