/**
 * `npm run bench:fleet`: six local host processes (local/hostMain.ts, the queue trigger as Azure Functions runs it)
 * on one Azurite and one emulated tenant, Graph's write bucket scaled to 100 writes + 20/s, 600 new hires on the
 * queue. Printed in the same run: wall time ÷ the bucket's minimum ((600 − 100) / 20 = 25 s), the share of write
 * attempts answered 429, how many events ended `updated`, and how many messages went to the poison queue.
 * Targets (issue 14): all updated, none poisoned, ≤ 2% of write attempts answered 429, ≤ 1.25 × the minimum.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SeedUser } from "../local/graphEmulator/EmulatedTenant.js";
import { startGraphEmulator } from "../local/graphEmulator/startGraphEmulator.js";
import { startAzurite } from "../local/startAzurite.js";
import { loadSettings } from "../shared/app/config.js";
import { queueClient, tableClient } from "../shared/app/storageClients.js";
import { StorageEventQueue } from "../shared/storage/storageEventQueue.js";
import { TableOutcomeLog } from "../shared/storage/tableOutcomeLog.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const hosts = 6;
const events = 600;
const bucket = 100;
const windowSeconds = 5; // 100 per 5 s = 20 writes/s
const latencyMs = 20;

const users: SeedUser[] = Array.from({ length: events }, (_, i) => ({
  id: `00000000-0000-4000-a000-${i.toString(16).padStart(12, "0")}`,
  userPrincipalName: `fleet.user${i}@contoso.example`,
  mail: `fleet.user${i}@contoso.example`,
  employeeId: `F${i}`,
}));

const [azurite, emulator] = await Promise.all([
  startAzurite(),
  startGraphEmulator({
    tenant: { tenant: { domain: "contoso.example" }, users },
    latencyMs,
    throttle: { writeBudget: bucket, writeWindowMs: windowSeconds * 1000 },
  }),
]);
const env: Record<string, string> = {
  AzureWebJobsStorage: azurite.connectionString,
  GRAPH_BASE_URL: emulator.url,
  GRAPH_ACCESS_TOKEN: emulator.token,
  GRAPH_WRITE_BUDGET: String(bucket),
  GRAPH_WRITE_WINDOW_SECONDS: String(windowSeconds),
  ONBOARDING_QUEUE: "fleet-onboarding",
  OUTCOMES_TABLE: "FleetOutcomes",
  DEFAULT_COUNTRY: "US",
};
const settings = loadSettings(env);
const children: ChildProcess[] = [];

try {
  const queue = new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE));
  const now = new Date().toISOString();
  for (let i = 0; i < events; i++) {
    await queue.send({
      eventId: `fleet-${i}`,
      source: "bench",
      occurredAt: now,
      user: { userPrincipalName: `fleet.user${i}@contoso.example` },
      country: "US",
      contact: { mobilePhone: `(425) 555-01${String(i % 100).padStart(2, "0")}` },
    });
  }
  console.log(
    `${events} new hires queued; ${hosts} hosts; bucket ${bucket} + ${bucket / windowSeconds}/s; ${latencyMs} ms per Graph request`,
  );
  emulator.stats.reset();
  // The clock starts when the first host serves (process start-up under tsx is not the budget's business).
  let started = Number.POSITIVE_INFINITY;
  const ready = await Promise.all(
    Array.from({ length: hosts }, (_, h) =>
      startHost(h).then((child) => {
        started = Math.min(started, performance.now());
        return child;
      }),
    ),
  );
  children.push(...ready);
  console.log(
    `${hosts} hosts serving ${((performance.now() - started) / 1000).toFixed(1)} s after the first`,
  );

  // Graph's side says when the work is done: the 600th write applied (polling the outcome table would add its
  // own seconds to the measure). Outcomes are read once afterwards.
  const applied = () => emulator.stats.requestCount("PATCH user");
  while (applied() < events && performance.now() - started < 300_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const outcomes = new TableOutcomeLog(tableClient(settings, settings.OUTCOMES_TABLE));
  let got: Array<Awaited<ReturnType<TableOutcomeLog["get"]>>> = [];
  let final = 0;
  for (let waited = 0; final < events && waited < 60; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    got = await Promise.all(
      Array.from({ length: events }, (_, i) => outcomes.get(`fleet-${i}`).catch(() => undefined)),
    );
    final = got.filter((o) => o && o.status !== "deferred").length;
  }
  const updated = got.filter((o) => o?.status === "updated").length;
  const poison = queueClient(settings, `${settings.ONBOARDING_QUEUE}-poison`);
  const poisoned = (await poison.exists())
    ? ((await poison.getProperties()).approximateMessagesCount ?? 0)
    : 0;
  const writeAttempts = applied() + emulator.stats.throttled;
  const minimum = (events - bucket) / (bucket / windowSeconds);
  console.log(`
hosts                                    ${hosts}
events final / updated / poisoned        ${final} / ${updated} / ${poisoned}      (aim: ${events} / ${events} / 0)
wall time to the last write              ${seconds.toFixed(1)} s
the bucket's minimum                     ${minimum.toFixed(1)} s  ((${events} − ${bucket}) / ${bucket / windowSeconds} per s)
wall / minimum                           ${(seconds / minimum).toFixed(3)}   (aim <= 1.25)
429 answers / write attempts             ${emulator.stats.throttled} / ${writeAttempts} = ${((100 * emulator.stats.throttled) / Math.max(1, writeAttempts)).toFixed(2)}%   (aim <= 2%)`);
} finally {
  for (const child of children) child.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 500));
  await Promise.all([emulator.close(), azurite.stop()]);
}

/** Starts one local host process with the shared settings and waits until it serves. */
function startHost(index: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "local/hostMain.ts")], {
    cwd: root,
    env: { ...process.env, ...env, PORT: "0", LOCAL_HOST_MAX_POLLING_MS: "500" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host ${index} not ready in 60 s`)), 60_000);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      if (chunk.includes("ready ")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr?.resume();
  });
}
