import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { loadSettings } from "../../shared/app/config.js";
import { policyFrom } from "../../shared/app/ruleOptions.js";
import { type BackfillDirectory, type BackfillRow, runBackfill } from "../../shared/backfill/backfill.js";
import { aSeedUser, directoryFor } from "../support/graphEmulatorFixtures.js";

// Microsoft advises the registration report for whole-population scans: with AuditLog.Read.All granted, a backfill
// that writes methods lists the methods only of users the report says registered a phone or email method.

const userCount = 30;
let emulator: GraphEmulator;

beforeAll(async () => {
  // Every third user registered a mobile phone of their own; the rest have no method yet.
  const users = Array.from({ length: userCount }, (_, i) =>
    aSeedUser(
      i + 1,
      i % 3 === 0
        ? { authentication: { phoneMethods: [{ phoneType: "mobile", phoneNumber: "+1 2065550199" }] } }
        : {},
    ),
  );
  emulator = await startGraphEmulator({ tenant: { tenant: {}, users } });
});
afterAll(async () => emulator?.close());
beforeEach(() => {
  emulator.tenant.reset();
  emulator.stats.reset();
});

async function* rows() {
  for (let n = 1; n <= userCount; n++) {
    yield {
      line: n + 1,
      input: {
        eventId: `report-${n}`,
        source: "hr-export",
        occurredAt: "2026-11-01T09:00:00Z",
        user: { userPrincipalName: `user${n}@contoso.example` },
        country: "US",
        contact: { mobilePhone: `(425) 555-01${String(n).padStart(2, "0")}` },
      },
    };
  }
}

async function backfillMethods(
  settings: Record<string, string> = {},
  directory: BackfillDirectory = directoryFor(emulator),
) {
  const reported: BackfillRow[] = [];
  const summary = await runBackfill({
    records: rows(),
    rules: { phoneValidation: "valid", organizationDomains: [] },
    policy: policyFrom(loadSettings({ CONTACT_TARGET: "methods", ...settings })),
    directory,
    sourceName: "report.jsonl",
    onRow: (row) => {
      reported.push(row);
    },
  });
  return { summary, reported };
}

describe("a backfill to authentication methods", () => {
  it("lists methods only for users the registration report says have one, when AuditLog.Read.All is granted", async () => {
    emulator.tenant.grantPermission("AuditLog.Read.All");
    const { summary, reported } = await backfillMethods();
    expect(summary.registrationReport).toEqual({ state: "used" });
    expect(emulator.stats.requests["GET registrationDetails"]).toBe(1);
    expect(emulator.stats.batchItems["GET authMethods"]).toBe(userCount / 3);
    // Users with their own mobile keep it; the others get the HR number.
    expect(reported.filter((r) => r.outcome.status === "updated")).toHaveLength((userCount * 2) / 3);
    expect(emulator.tenant.user(aSeedUser(1).id)?.phoneMethods).toEqual({ mobile: "+1 2065550199" });
    expect(emulator.tenant.user(aSeedUser(2).id)?.phoneMethods).toEqual({ mobile: "+1 4255550102" });
  });

  it("lists every user's methods, and says why, when the report can't be read", async () => {
    const { summary, reported } = await backfillMethods();
    expect(summary.registrationReport).toMatchObject({
      state: "unavailable",
      why: expect.stringContaining("AuditLog.Read.All"),
    });
    expect(emulator.stats.batchItems["GET authMethods"]).toBe(userCount);
    expect(reported.filter((r) => r.outcome.status === "updated")).toHaveLength((userCount * 2) / 3);
  });

  it("never replaces a method the user registered when the report lags behind, even in overwrite mode", async () => {
    // A report read before user 1 registered their own mobile: it says they have no method.
    const real = directoryFor(emulator);
    const stale: BackfillDirectory = Object.assign(Object.create(real) as BackfillDirectory, {
      async *listRegistrationDetails() {
        yield [{ ...noMethods, userId: aSeedUser(1).id }];
      },
    });
    const { summary } = await backfillMethods({ CONTACT_MODE: "overwrite" }, stale);
    expect(summary.registrationReport).toEqual({ state: "used" });
    // The add Graph refuses (one method per type) leaves the user's own number in place.
    expect(emulator.tenant.user(aSeedUser(1).id)?.phoneMethods).toEqual({ mobile: "+1 2065550199" });
  });
});

const noMethods = {
  userPrincipalName: null,
  methodsRegistered: [],
  isSsprEnabled: true,
  isSsprRegistered: false,
  isSsprCapable: false,
  isMfaRegistered: false,
  isAdmin: false,
  lastUpdatedDateTime: null,
};
