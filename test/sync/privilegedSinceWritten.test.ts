import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readinessMetrics } from "../../functions/readinessMetrics.js";
import { appServices, useAppServices } from "../../shared/app/appServices.js";
import { type Metrics, noMetrics } from "../../shared/metrics/metrics.js";
import { recordPrivilegedSinceWritten } from "../../shared/metrics/readinessMetrics.js";
import { deliverToQueue } from "../support/deliverToQueue.js";
import { eventFor } from "../support/factories.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The guard checks at the moment of writing; a role granted tomorrow is beyond it. What the app wrote for an
// ordinary new hire who is made an admin later now guards an admin's password reset: the daily run must find it.

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant() },
    env: { PRIVILEGE_MAX_AGE_SECONDS: "1" },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.isolate();
});

/** A Metrics that keeps the gauges it is given. */
function gauges(): Metrics & { values: Map<string, number> } {
  const values = new Map<string, number>();
  return { ...noMetrics, values, set: (metric, value) => void values.set(metric, value) };
}

async function writeNewHire(): Promise<void> {
  const event = eventFor(users.newHire, { mobilePhone: "+1 425 555 0147" });
  expect((await deliverToQueue(event))?.status).toBe("updated");
}

function promote(id: string): void {
  env.graph.tenant.find(id)?.adminRoles.push("Global Administrator");
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the daily look for users written before they became privileged", () => {
  it("finds a new hire this app wrote who is a Global Administrator now, with what was written (masked) and when", async () => {
    await writeNewHire();
    promote(users.newHire.id);
    await wait(1_100); // past the picture's bound

    const metrics = gauges();
    const { readinessDirectory, outcomes } = appServices();
    const lines = await recordPrivilegedSinceWritten({ directory: readinessDirectory, outcomes, metrics });

    expect(metrics.values.get("privilegedWritten")).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(users.newHire.id);
    expect(lines[0]).toContain("Global Administrator, active");
    expect(lines[0]).toContain("mobilePhone/profile = +1 ***147");
    expect(lines[0]).not.toContain("4255550147");
    expect(lines[0]).toContain("https://aka.ms/mysecurityinfo");
  });

  it("sets the gauge to 0 when every privileged user was never written by the app", async () => {
    await writeNewHire();
    const metrics = gauges();
    const { readinessDirectory, outcomes } = appServices();
    expect(await recordPrivilegedSinceWritten({ directory: readinessDirectory, outcomes, metrics })).toEqual(
      [],
    );
    expect(metrics.values.get("privilegedWritten")).toBe(0);
  });

  it("runs in the daily readiness timer, which logs each user as an error", async () => {
    await writeNewHire();
    promote(users.newHire.id);
    await wait(1_100);
    useAppServices({ ...appServices(), metrics: gauges() });
    const errors: string[] = [];
    await readinessMetrics(
      {
        isPastDue: false,
        schedule: { adjustForDST: false },
        scheduleStatus: { last: "", next: "", lastUpdated: "" },
      },
      new InvocationContext({
        functionName: "readinessMetrics",
        logHandler: (level, ...args) => {
          if (level === "error") errors.push(args.map(String).join(" "));
        },
      }),
    );
    expect(errors).toEqual([expect.stringContaining(`privileged since written: user ${users.newHire.id}`)]);
  });
});
