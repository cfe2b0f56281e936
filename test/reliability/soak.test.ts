import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFunctions } from "../../local/loadFunctions.js";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import { appServices, buildServices, useAppServices } from "../../shared/app/appServices.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";
import { StorageEventQueue } from "../../shared/storage/storageEventQueue.js";
import { webhookReceiptsTable } from "../../shared/storage/tableWebhookReceipts.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import { standardWebhookHeaders, webhookEnv } from "../support/webhookRequests.js";
import { scanAll } from "./support/piiCatalog.js";
import { reportFigures, scale, sizes } from "./support/scale.js";
import { buildScenario, type ScenarioCase, scenarioEnv } from "./support/scenario.js";
import { queuedEvent, readAll, verifyRun } from "./support/verifyRun.js";
import { FinalOutcomeTracker, queueLength, waitUntilSettled } from "./support/waitForRun.js";

// The fault mix: 20 % of Graph requests answered 503 before being applied, 5 % of applied writes
// answered 504 (the write happened, the answer says otherwise).
const faults = { unavailableRate: 0.2, timeoutAfterWriteRate: 0.05 };
// Several hosts on one queue, as the Functions host scales out: more messages in flight, and redeliveries that
// land on another instance. Each takes host.json's batch of 16.
const hostCount = 12;
const eventsPerWebhook = 50;
const scenario = buildScenario(sizes.soakEvents, { prefix: `soak${scale}` });

let env: TestEnvironment;
const hosts: LocalHost[] = [];
const hostLog: string[] = [];
const responses: string[] = [];
let webhookRequests = 0;
let messagesSent = 0;

beforeAll(async () => {
  env = await startTestEnvironment({
    // Throttling has its own tests (graphThrottling); here it would only slow the run down.
    graph: { tenant: scenario.tenant, throttle: { enabled: false } },
    env: {
      ...scenarioEnv,
      ...webhookEnv,
      // Retries without the 3 s base delay (the SDK still adds up to 1 s of jitter and backs off exponentially).
      GRAPH_RETRY_DELAY_SECONDS: "0",
      GRAPH_WRITE_BUDGET: "1000000",
    },
  });
  // A duplicate that finds its twin still running waits out the lease; 30 s instead of 5 min keeps the run short
  // and is still far above the slowest event here.
  const services = buildServices(appServices().settings, { leaseMs: 30_000 });
  useAppServices(services);
  const registrations = await loadFunctions();
  for (let i = 0; i < hostCount; i += 1) {
    hosts.push(
      await startLocalHost({
        registrations,
        settings: services.settings,
        port: 0,
        maxPollingIntervalMs: 250,
        log: (line) => hostLog.push(line),
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.close()));
  await env?.close();
});

/** Runs `work` over `items` with at most `concurrency` at a time. */
async function eachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await work(item);
      }
    }),
  );
}

/** POSTs one signed Standard Webhooks delivery to a host and keeps the answer for the PII scan. */
async function deliverWebhook(host: LocalHost, body: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(`${host.url}/api/hr/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  webhookRequests += 1;
  const text = await response.text();
  responses.push(text);
  expect(response.status, text).toBe(202);
  const report = JSON.parse(text) as { accepted: unknown[]; rejected: unknown[] };
  expect(report.rejected).toEqual([]);
}

describe(`soak: ${sizes.soakEvents.toLocaleString("en-US")} events, ${faults.unavailableRate * 100} % 503 and ${faults.timeoutAfterWriteRate * 100} % write-then-504`, () => {
  it("ends every event in exactly one final outcome, as planned, each field written at most once, no PII", async () => {
    const started = performance.now();
    const { settings } = appServices();
    const queue = new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE));
    env.graph.setFaults(faults);

    const byWebhook = scenario.cases.filter((c) => c.route === "webhook");
    const batches: ScenarioCase[][] = [];
    for (let i = 0; i < byWebhook.length; i += eventsPerWebhook) {
      batches.push(byWebhook.slice(i, i + eventsPerWebhook));
    }
    const direct = scenario.cases.filter((c) => c.route === "queue");
    const duplicates = scenario.cases.filter((c) => c.duplicate);
    await Promise.all([
      eachLimited(
        batches.map((batch, i) => ({ batch, i })),
        4,
        async ({ batch, i }) => {
          const host = hosts[i % hosts.length] as LocalHost;
          const body = JSON.stringify(batch.map((c) => c.event));
          const headers = standardWebhookHeaders(body);
          await deliverWebhook(host, body, headers);
          // Every 20th delivery is redelivered by the sender, as Standard Webhooks senders do on a timeout:
          // acknowledged again, queued never.
          if (i % 20 === 0) await deliverWebhook(hosts[(i + 1) % hosts.length] as LocalHost, body, headers);
        },
      ),
      eachLimited([...direct, ...duplicates], 16, async (c) => {
        // A duplicate of a webhook event is a second copy of the message hr/events queued (its scoped id).
        await queue.send(queuedEvent(c));
        messagesSent += 1;
      }),
    ]);
    for (const host of hosts) host.poke();
    const enqueuedAt = performance.now();

    const tracker = new FinalOutcomeTracker(hostLog);
    await waitUntilSettled({
      finals: () => tracker.count,
      queue: queueClient(settings, settings.ONBOARDING_QUEUE),
      expected: scenario.cases.length,
      timeoutMs: sizes.soakEvents * 150 + 120_000,
      label: "soak",
    });
    const settledAt = performance.now();
    env.graph.setFaults({ unavailableRate: 0, timeoutAfterWriteRate: 0 });

    const report = await verifyRun(
      scenario,
      tableClient(settings, settings.OUTCOMES_TABLE),
      env.graph.tenant,
      env.graph.stats,
    );
    const poisoned = await queueLength(queueClient(settings, `${settings.ONBOARDING_QUEUE}-poison`));
    const receipts = await readAll(tableClient(settings, webhookReceiptsTable));
    const failedDeliveries = hostLog.filter((line) => /\] attempt \d+ failed/.test(line)).length;
    const stats = env.graph.stats;
    reportFigures("soak", {
      events: scenario.cases.length,
      "events by webhook": byWebhook.length,
      "webhook requests (incl. redeliveries)": webhookRequests,
      "messages put on the queue directly (incl. duplicates)": messagesSent,
      "duplicate messages": duplicates.length,
      "outcomes by status": report.outcomesByStatus,
      "Graph requests": stats.totalRequests(),
      "503s injected": stats.faults.unavailable,
      "504s injected after a write": stats.faults.timeoutAfterWrite,
      "deliveries that failed and were retried": failedDeliveries,
      "fields confirmed on retry": report.confirmedOnRetry,
      "writes applied": report.writesApplied,
      "max writes per field per event": report.maxWritesPerField,
      "poison messages": poisoned,
      "enqueue s": (enqueuedAt - started) / 1000,
      "duration s": (settledAt - started) / 1000,
      "events/s": scenario.cases.length / ((settledAt - started) / 1000),
      "host log lines": hostLog.length,
      "PII values watched": scenario.pii.size,
    });

    expect(report.problems.slice(0, 20)).toEqual([]);
    expect(Object.values(report.outcomesByStatus).reduce((a, b) => a + b, 0)).toBe(scenario.cases.length);
    expect(report.maxWritesPerField).toBeLessThanOrEqual(1);
    expect(poisoned).toBe(0);
    // The faults really happened, and often enough to matter.
    expect(stats.faults.unavailable).toBeGreaterThan(sizes.soakEvents / 10);
    expect(stats.faults.timeoutAfterWrite).toBeGreaterThan(sizes.soakEvents / 100);
    expect(report.confirmedOnRetry).toBeGreaterThan(0);

    const leaks = scanAll(scenario.pii, [
      ...hostLog.map((line, i) => [`host log line ${i}`, line] as [string, string]),
      ...report.records.map((record, i) => [`outcome table row ${i}`, record] as [string, string]),
      ...receipts.map((row, i) => [`receipt row ${i}`, JSON.stringify(row)] as [string, string]),
      ...responses.map((body, i) => [`webhook response ${i}`, body] as [string, string]),
    ]);
    expect(leaks).toEqual([]);
  });
});
