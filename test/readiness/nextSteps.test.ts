import { describe, expect, it } from "vitest";
import { sameTargetForAll } from "../../shared/contact/contactFields.js";
import { cannotReasons } from "../../shared/readiness/classifyReadiness.js";
import { nextSteps } from "../../shared/readiness/nextSteps.js";
import type { ReadinessSummary } from "../../shared/readiness/readinessSummary.js";

function aSummary(overrides: Partial<ReadinessSummary> = {}): ReadinessSummary {
  const reasons = Object.fromEntries(
    cannotReasons.map((reason) => [reason, 0]),
  ) as ReadinessSummary["reasons"];
  return {
    schema: "sspr-prepop.readiness-summary/1",
    generatedAt: "2026-11-25T08:00:00.000Z",
    tenant: "Contoso",
    source: "registrationReport",
    notes: [],
    policy: { target: sameTargetForAll("profile"), mode: "fillEmpty", syncedMobile: "skip" },
    users: 100,
    buckets: { canResetNow: 100, afterPrepopulation: 0, cannot: 0 },
    canResetNowBy: { tenant: 100, profile: 0 },
    fillable: { mobilePhone: 0, officePhone: 0, alternateEmail: 0 },
    feedReaches: 0,
    reasons,
    invalidCodes: {},
    notInRegistrationReport: 0,
    byDepartment: [],
    byCountry: [],
    ...overrides,
  };
}

describe("what to do next", () => {
  it.each([
    [25, 25, "Run sspr-prepop backfill with the HR export (or let the HR feed run): 25 users can then"],
    [
      25,
      10,
      "Run sspr-prepop backfill with the HR export (the HR feed reaches only 10 of them, created in the last 30 days: NEW_HIRE_DAYS): 25 users",
    ],
    [
      25,
      0,
      "Run sspr-prepop backfill with the HR export (the HR feed won't: it writes only accounts created in the last 30 days, NEW_HIRE_DAYS): 25 users",
    ],
  ])(
    "offers the HR feed for %i fillable users only as far as it reaches them (%i new hires)",
    (fillable, feedReaches, text) => {
      const summary = aSummary({
        policy: { ...aSummary().policy, newHireDays: 30 },
        buckets: { canResetNow: 75, afterPrepopulation: fillable, cannot: 0 },
        fillable: { mobilePhone: fillable, officePhone: 0, alternateEmail: 0 },
        feedReaches,
      });
      expect(nextSteps(summary)[0]?.text).toContain(text);
    },
  );

  it("is nothing when everyone can reset", () => {
    expect(nextSteps(aSummary())).toEqual([]);
  });

  it("puts the step concerning most users first, and names the fields and rule codes", () => {
    const summary = aSummary({
      buckets: { canResetNow: 40, afterPrepopulation: 25, cannot: 35 },
      fillable: { mobilePhone: 20, officePhone: 3, alternateEmail: 25 },
      reasons: { ...aSummary().reasons, sspr_not_enabled: 30, invalid_data: 5 },
      invalidCodes: { phone_too_short: 4, email_is_organizational: 1 },
    });
    const steps = nextSteps(summary);
    expect(steps.map((s) => [s.code, s.users])).toEqual([
      ["enable_sspr", 30],
      ["run_backfill", 25],
      ["fix_invalid_data", 5],
    ]);
    expect(steps[1]?.text).toContain("mobilePhone 20, officePhone 3, alternateEmail 25");
    expect(steps[2]?.text).toContain("phone_too_short 4, email_is_organizational 1");
  });

  it.each([
    ["skip", true],
    ["override", false],
  ] as const)(
    "mentions SYNCED_MOBILE=override for synced users only while it is %s",
    (syncedMobile, mentioned) => {
      const summary = aSummary({
        policy: { ...aSummary().policy, syncedMobile },
        buckets: { canResetNow: 90, afterPrepopulation: 0, cannot: 10 },
        reasons: { ...aSummary().reasons, synced_in_ad: 10 },
      });
      expect(nextSteps(summary)[0]?.text.includes("SYNCED_MOBILE=override")).toBe(mentioned);
    },
  );

  it.each([
    ["registration_report_permission_missing", "Grant AuditLog.Read.All"],
    ["registration_report_not_licensed", "Microsoft Entra ID P1 or P2"],
  ])("starts with making the tenant's verdicts readable in the profile-only view (%s)", (code, text) => {
    const summary = aSummary({
      source: "profileOnly",
      notes: [{ code, message: "…" }],
      buckets: { canResetNow: 50, afterPrepopulation: 50, cannot: 0 },
      fillable: { mobilePhone: 50, officePhone: 0, alternateEmail: 0 },
    });
    const steps = nextSteps(summary);
    expect(steps[0]).toMatchObject({ code: "read_registration_report", users: 0 });
    expect(steps[0]?.text).toContain(text);
    expect(steps[1]?.code).toBe("run_backfill");
  });
});
