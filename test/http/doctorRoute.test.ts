import type { HttpResponseInit } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { doctor } from "../../functions/doctor.js";
import type { DoctorReport } from "../../shared/doctor/doctorReport.js";
import { callers, context, easyAuthOn, errorCode, request } from "../support/helpdeskRequests.js";
import { pipelineTenant } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// GET /api/doctor: the doctor's checks inside the app, with its identity, for admins only.

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant() },
    env: { ...easyAuthOn, GRAPH_MAX_RETRIES: "0" },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.configure();
  env.graph.stats.reset();
});

const check = (headers: Record<string, string>) => doctor(request("GET", "doctor", { headers }), context());
const reportOf = (response: HttpResponseInit) => response.jsonBody as DoctorReport;

describe("GET /api/doctor", () => {
  it("answers an admin 200 with every finding when nothing failed", async () => {
    const response = await check(callers.admin);
    expect(response.status).toBe(200);
    expect(reportOf(response).status).not.toBe("fail");
    expect(reportOf(response).checks.map((c) => c.check)).toEqual(
      expect.arrayContaining([
        "settings",
        "graphToken",
        "graphPermissions",
        "userRead",
        "privilegeRead",
        "easyAuth",
      ]),
    );
    // Inside App Service the platform's own word settles Easy Auth.
    expect(reportOf(response).checks.find((c) => c.check === "easyAuth")?.code).toBe("easy_auth_on");
  });

  it("answers 503 naming the failed check and the fix when one fails", async () => {
    env.graph.tenant.revokePermission("RoleManagement.Read.Directory");
    const response = await check(callers.admin);
    expect(response.status).toBe(503);
    expect(reportOf(response).checks.find((c) => c.check === "privilegeRead")).toMatchObject({
      status: "fail",
      code: "missing_permission",
      permission: "RoleManagement.Read.Directory",
      fix: expect.stringContaining("grant-graph-permissions"),
    });
  });

  it.each([
    ["a reader", callers.reader, 403, "missing_app_role"],
    ["a signed-in caller with no role", callers.nobody, 403, "missing_app_role"],
    ["an anonymous caller", {}, 401, "authentication_required"],
  ])("refuses %s (%i %s) before reading anything", async (_, headers, status, code) => {
    const response = await check(headers);
    expect([response.status, errorCode(response)]).toEqual([status, code]);
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  it("refuses even a forged admin principal when Easy Auth is off, and says how to turn it on", async () => {
    env.configure({ WEBSITE_AUTH_ENABLED: undefined });
    const response = await check(callers.admin);
    expect([response.status, errorCode(response)]).toEqual([401, "authentication_required"]);
    expect(JSON.stringify(response.jsonBody)).toContain("Easy Auth");
    expect(env.graph.stats.totalRequests()).toBe(0);
  });
});
