import { describe, expect, it } from "vitest";
import { loadSettings, SettingsError, telemetryAuthOf } from "../../shared/app/config.js";

describe("READINESS_SCHEDULE", () => {
  it("defaults to daily at 06:00 UTC", () => {
    expect(loadSettings({}).READINESS_SCHEDULE).toBe("0 0 6 * * *");
  });

  it.each([
    ["weekdays at 05:30", "0 30 5 * * 1-5"],
    ["every six hours", "0 0 */6 * * *"],
    ["hourly", "0 0 * * * *"],
  ])("accepts a schedule %s", (_, schedule) => {
    expect(loadSettings({ READINESS_SCHEDULE: schedule }).READINESS_SCHEDULE).toBe(schedule);
  });

  it.each([
    ["every minute (the run lists every user: that would spend the tenant's read budget)", "0 * * * * *"],
    ["every ten seconds", "*/10 * * * * *"],
    ["twice within an hour", "0 0,30 6 * * *"],
    ["five fields (Unix cron, without seconds)", "0 6 * * *"],
    ["day names, which the check does not read", "0 0 6 * * MON"],
    ["not a schedule at all", "daily"],
  ])("refuses %s, naming the setting and the fix", (_, schedule) => {
    let error: unknown;
    try {
      loadSettings({ READINESS_SCHEDULE: schedule });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).issues).toEqual([
      {
        setting: "READINESS_SCHEDULE",
        problem: `"${schedule}" is not a six-field NCRONTAB schedule running at most once an hour`,
        fix: "set six NCRONTAB fields, seconds first, at least an hour apart, such as 0 0 6 * * *, or remove it to use the default (0 0 6 * * *)",
      },
    ]);
  });
});

describe("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", () => {
  it.each([
    ["Authorization=AAD", {}],
    [
      "ClientId=3c1e7f0a-0000-4000-8000-00000000c0de;Authorization=AAD",
      { clientId: "3c1e7f0a-0000-4000-8000-00000000c0de" },
    ],
    ["authorization=aad; clientid=abc ;", { clientId: "abc" }],
  ])("reads %s as an Entra sign-in", (text, expected) => {
    expect(telemetryAuthOf(text)).toEqual(expected);
    expect(() => loadSettings({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: text })).not.toThrow();
  });

  it.each([
    ["a key-based sign-in", "Authorization=Key"],
    ["a client id without Authorization=AAD", "ClientId=abc"],
    ["an unknown part", "ClientId=abc;Authorization=AAD;Secret=xyz"],
    ["a part without a value", "ClientId=;Authorization=AAD"],
  ])("refuses %s", (_, text) => {
    expect(telemetryAuthOf(text)).toBeUndefined();
    expect(() => loadSettings({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: text })).toThrow(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING: .* is not Authorization=AAD/,
    );
  });
});

describe("APPLICATIONINSIGHTS_CONNECTION_STRING", () => {
  it("is optional: without it the app sends no metrics", () => {
    expect(loadSettings({}).APPLICATIONINSIGHTS_CONNECTION_STRING).toBeUndefined();
  });
});
