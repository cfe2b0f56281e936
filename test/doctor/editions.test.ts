import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appServices } from "../../shared/app/appServices.js";
import { loadSettings } from "../../shared/app/config.js";
import { runDoctor } from "../../shared/app/runDoctor.js";
import { assessReadiness } from "../../shared/readiness/assessReadiness.js";
import { guardTenant, protectedGroupsEnv } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// A customer's tenant is P1 (Business Premium: no PIM) or P2 (PIM, PIM for Groups). The guard must work on both,
// and doctor and the readiness report must say which one they found and what it means.

describe.each([
  ["P2", "privilege_read_pim", "privilege_edition_pim"],
  ["P1", "privilege_read_no_pim", "privilege_edition_no_pim"],
] as const)("on a %s tenant", (edition, doctorCode, readinessCode) => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({
      graph: { tenant: guardTenant(edition) },
      env: { ...protectedGroupsEnv, GRAPH_MAX_RETRIES: "0" },
    });
  });
  afterAll(async () => env?.close());

  it(`doctor fails no check and names the edition (${doctorCode})`, async () => {
    const report = await runDoctor(loadSettings({ ...process.env }), { timeoutMs: 5000 });
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    const privilege = report.checks.find((c) => c.check === "privilegeRead");
    expect(privilege?.code).toBe(doctorCode);
    expect(privilege?.detail).toContain(edition === "P2" ? "PIM found" : "no PIM");
  });

  it(`the readiness report says which edition the guard found (${readinessCode})`, async () => {
    const { summary } = await assessReadiness(appServices().readinessDirectory, {
      options: { phoneValidation: "valid", organizationDomains: ["contoso.example"] },
      policy: { target: appServices().settings.CONTACT_TARGET, mode: "fillEmpty", syncedMobile: "skip" },
      now: () => new Date(),
      readTenantName: false,
    });
    expect(summary.notes.map((note) => note.code)).toContain(readinessCode);
  });
});
