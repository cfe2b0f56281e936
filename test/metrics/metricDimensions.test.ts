import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { inMemoryMetrics, metricsFromSettings } from "../../shared/app/metricsFromSettings.js";
import { MeteredOutcomeLog } from "../../shared/metrics/meteredOutcomeLog.js";
import { isMachineCode, metricCatalog, noMetrics, safeDimensions } from "../../shared/metrics/metrics.js";
import { buildOutcome } from "../../shared/sync/buildOutcome.js";
import { MemoryOutcomeLog } from "../doubles/memoryOutcomeLog.js";

// Telemetry leaves the tenant's boundary of trust (anyone with Reader on Application Insights sees it), so no
// dimension may carry a phone number, an address or a user: every value is a fixed word or a machine code.
describe("a metric dimension", () => {
  it.each([
    ["an e-mail address as a code", "code", "mei.chen@example.org"],
    ["a phone number as a code", "code", "+1 4255550147"],
    ["a national phone number as a code", "code", "(425) 555-0147"],
    ["bare digits as a code", "code", "4255550147"],
    ["a user principal name behind a Graph prefix", "code", "graph_avery.lindqvist@contoso.example"],
    ["a user object id", "code", "00000000-0000-4000-8000-000000000001"],
    ["an employee id", "code", "E701985"],
    ["a code with a second line smuggled in", "code", "phone_too_short\nuser=mei.chen@example.org"],
    ["an over-long code", "code", `${"a".repeat(65)}`],
    ["an e-mail address as a status", "status", "mei.chen@example.org"],
    ["a status the app does not have", "status", "hacked"],
  ])("refuses %s, recording `other` instead", async (_, dimension, value) => {
    const { metrics, read } = inMemoryMetrics();
    metrics.add("outcomes", 1, { [dimension]: value });
    const points = await read();
    expect(points).toEqual([
      {
        name: "sspr.outcomes",
        dimensions: { status: "none", code: "none", [dimension]: "other" },
        value: 1,
      },
    ]);
    expect(JSON.stringify(points)).not.toContain(value);
  });

  it.each([
    ["a planner code", "code", "kept_existing"],
    ["a directory failure code", "code", "on_premises_mastered"],
    ["Graph's own error code", "code", "graph_Request_BadRequest"],
    ["a status", "status", "failed"],
  ])("keeps %s", async (_, dimension, value) => {
    const { metrics, read } = inMemoryMetrics();
    metrics.add("outcomes", 1, { [dimension]: value });
    expect((await read())[0]?.dimensions[dimension]).toBe(value);
  });

  it("drops a dimension the metric does not declare, whatever it holds", async () => {
    const { metrics, read } = inMemoryMetrics();
    const smuggled = { status: "failed", userPrincipalName: "mei.chen@example.org", phone: "+14255550147" };
    metrics.add("outcomes", 1, smuggled as never);
    expect((await read())[0]?.dimensions).toEqual({ status: "failed", code: "none" });
  });

  it("refuses a value that is not text", () => {
    expect(safeDimensions("queueDepth", { queue: { toString: () => "poison" } })).toEqual({ queue: "other" });
  });

  it("keeps a listed value and refuses an unlisted one for a dimension with a fixed list", () => {
    expect(safeDimensions("queueDepth", { queue: "poison" })).toEqual({ queue: "poison" });
    expect(safeDimensions("queueDepth", { queue: "hr-onboarding-poison" })).toEqual({ queue: "other" });
  });
});

describe("outcomes counted by the outcome log", () => {
  it("carry the status and the code only, never the user nor a value, even when a record's code is forged", async () => {
    const { metrics, read } = inMemoryMetrics();
    const log = new MeteredOutcomeLog(new MemoryOutcomeLog(), metrics);
    await log.record(
      buildOutcome({
        eventId: "evt-forged",
        status: "rejected",
        source: "hr",
        actor: "queue",
        now: new Date("2026-11-24T09:00:00Z"),
        user: { userPrincipalName: "mei.chen@example.org", employeeId: "701985" },
        errors: [{ field: "contact.mobilePhone", code: "+1 4255550147", message: "+1 ***147 is not valid" }],
      }),
    );
    const points = await read();
    expect(points).toEqual([
      { name: "sspr.outcomes", dimensions: { status: "rejected", code: "other" }, value: 1 },
    ]);
    expect(JSON.stringify(points)).not.toMatch(/mei\.chen|701985|4255550147|\*\*\*/);
  });
});

describe("the metric catalog", () => {
  const specs = Object.values(metricCatalog);

  it("names each metric once, under sspr., in OpenTelemetry's instrument name syntax", () => {
    const names = specs.map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^sspr\.[a-z][a-z0-9_.]{0,60}$/);
  });

  it("gives every dimension a list of fixed words or the machine-code rule, whose values are machine codes too", () => {
    for (const spec of specs) {
      for (const rule of Object.values(spec.dimensions)) {
        if (rule === "code") continue;
        for (const value of rule) expect(isMachineCode(value), `${spec.name}: ${value}`).toBe(true);
      }
    }
  });
});

describe("where the metrics go", () => {
  it("nowhere without APPLICATIONINSIGHTS_CONNECTION_STRING: no exporter is built (and tests never set it)", () => {
    expect(process.env.APPLICATIONINSIGHTS_CONNECTION_STRING).toBe("");
    expect(metricsFromSettings(loadSettings({}))).toBe(noMetrics);
  });
});
