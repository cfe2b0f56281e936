import { InvocationContext, type Timer } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { onboardingQueue } from "../../functions/onboardingQueue.js";
import { queueDepth } from "../../functions/queueDepth.js";
import { appServices, buildServices, useAppServices } from "../../shared/app/appServices.js";
import { type InMemoryMetrics, inMemoryMetrics } from "../../shared/app/metricsFromSettings.js";
import { queueClient } from "../../shared/app/storageClients.js";
import { metricCatalog } from "../../shared/metrics/metrics.js";
import { eventFor } from "../support/factories.js";
import { alertQueryFiles, pointsMatching, repoText } from "../support/metricQueries.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The signals an operator is alerted on, produced the way Azure produces them: the real queue and timer
// functions on Azurite and the emulated tenant, metrics read by the OpenTelemetry SDK's in-memory exporter (the
// same instruments and dimensions the Azure Monitor exporter sends, and no network), and the alert rules'
// own query files (the ones infra/app/signals.bicep compiles into the template) to pick the points they would read.

let env: TestEnvironment;
let memory: InMemoryMetrics;
const logs: string[] = [];

beforeAll(async () => {
  env = await startTestEnvironment({ graph: { tenant: pipelineTenant() }, env: { GRAPH_MAX_RETRIES: "0" } });
});
afterAll(async () => {
  useAppServices(undefined);
  await env?.close();
});
beforeEach(() => {
  env.graph.tenant.reset();
  env.graph.setFaults({ unavailableRate: 0, timeoutAfterWriteRate: 0 });
  env.graph.tenant.failRoute("PATCH user", undefined);
  memory = inMemoryMetrics();
  useAppServices(buildServices(env.isolate(), { metrics: memory.metrics }));
  logs.length = 0;
});

function context(dequeueCount = 1): InvocationContext {
  return new InvocationContext({
    triggerMetadata: { dequeueCount },
    logHandler: (_level, ...args) => logs.push(args.join(" ")),
  });
}

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};

describe("a failed event", () => {
  it("counts once on sspr.outcomes with status failed and its code: exactly the points the failed-events alert reads", async () => {
    const query = repoText(alertQueryFiles.failedOutcomes);
    expect(query).toContain(`name == "${metricCatalog.outcomes.name}"`);
    expect(query).toContain(`tostring(customDimensions.status) == "failed"`);

    env.graph.setFaults({ unavailableRate: 1 });
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    const { maxDequeueCount } = appServices().queueHost;
    // Every attempt throws so the host retries; only the last one records `failed`.
    for (let attempt = 1; attempt <= maxDequeueCount; attempt++) {
      await expect(onboardingQueue(event, context(attempt))).rejects.toThrow();
    }
    const outcome = await appServices().outcomes.get(String(event.eventId));
    expect(outcome).toMatchObject({ status: "failed", code: "transient_failure" });

    const points = await memory.read();
    expect(pointsMatching(points, query)).toEqual([
      { name: "sspr.outcomes", dimensions: { status: "failed", code: "transient_failure" }, value: 1 },
    ]);
    // The attempts before the last recorded nothing, so nothing else was counted.
    expect(points.filter((point) => point.name === metricCatalog.outcomes.name)).toHaveLength(1);
  });

  it("that waited out USER_WAIT_HOURS for its user counts with the code user_not_found", async () => {
    useAppServices(buildServices(appServices().settings, { metrics: memory.metrics, userWaitHours: 0 }));
    const event = eventFor(
      { userPrincipalName: "never.arrives@contoso.example" },
      { mobilePhone: "(425) 555-0147" },
    );
    await onboardingQueue(event, context());
    expect(pointsMatching(await memory.read(), repoText(alertQueryFiles.failedOutcomes))).toEqual([
      { name: "sspr.outcomes", dimensions: { status: "failed", code: "user_not_found" }, value: 1 },
    ]);
  });
});

describe("an event that updates its user", () => {
  it("counts as updated, and its one write takes one token from the write budget", async () => {
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    await onboardingQueue(event, context());
    const points = await memory.read();
    const byName = (name: string) => points.filter((point) => point.name === name);
    expect(byName(metricCatalog.outcomes.name)).toEqual([
      { name: "sspr.outcomes", dimensions: { status: "updated", code: "none" }, value: 1 },
    ]);
    expect(byName(metricCatalog.writeTokens.name)).toEqual([
      { name: "sspr.write_budget.tokens", dimensions: {}, value: 1 },
    ]);
    expect(byName(metricCatalog.writeWait.name)).toEqual([
      { name: "sspr.write_budget.wait", dimensions: {}, value: expect.any(Number), count: 1 },
    ]);
    // Nothing about the user or the number reached a metric.
    expect(JSON.stringify(points)).not.toMatch(/new\.hire|4255550147|00000000-0000-4000-8000-000000000001/);
  });
});

describe("Graph answering 429", () => {
  it("counts on sspr.graph.throttled: the points the sustained-throttling alert reads", async () => {
    env.graph.tenant.failRoute("PATCH user", 429, 0);
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    await expect(onboardingQueue(event, context())).rejects.toThrow();
    expect(pointsMatching(await memory.read(), repoText(alertQueryFiles.graphThrottled))).toEqual([
      { name: "sspr.graph.throttled", dimensions: {}, value: 1 },
    ]);
  });
});

describe("the queue depth timer", () => {
  it("runs every 5 minutes", async () => {
    const { loadFunctions } = await import("../../local/loadFunctions.js");
    const registration = (await loadFunctions()).find((r) => r.name === "queueDepth");
    expect(registration?.kind === "timer" && registration.options.schedule).toBe("0 */5 * * * *");
  });

  it("reports an empty poison queue (not created yet) as 0, and messages on it as they arrive: what the poison alert reads", async () => {
    const query = repoText(alertQueryFiles.poisonQueue);
    const poisonDepth = async () => pointsMatching(await memory.read(), query).map((point) => point.value);

    await queueDepth(timer, context());
    expect(await poisonDepth()).toEqual([0]);
    expect(logs).toEqual([]);

    const { settings } = appServices();
    const poison = queueClient(settings, `${settings.ONBOARDING_QUEUE}-poison`);
    await poison.createIfNotExists();
    await poison.sendMessage(Buffer.from("{}").toString("base64"));
    await poison.sendMessage(Buffer.from("{}").toString("base64"));
    await appServices().queue.send(eventFor(users.newHire, { mobilePhone: "(425) 555-0147" }));

    await queueDepth(timer, context());
    expect(await poisonDepth()).toEqual([2]);
    const onboarding = (await memory.read()).find((point) => point.dimensions.queue === "onboarding");
    expect(onboarding?.value).toBe(1);
    expect(logs.join("\n")).toContain(`2 message(s) wait on ${settings.ONBOARDING_QUEUE}-poison`);
    expect(logs.join("\n")).toContain("sspr-prepop replay-poison");
  });
});
