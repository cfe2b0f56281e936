import { describe, expect, it } from "vitest";
import { loadSettings, settingNames } from "../../shared/app/config.js";
import { ConfigError } from "../../shared/core/errors.js";

describe("reading settings", () => {
  it("gives every setting its documented default", () => {
    const s = loadSettings({});
    expect(s).toMatchObject({
      PHONE_VALIDATION: "valid",
      ORGANIZATION_DOMAINS: [],
      CONTACT_TARGET: { mobilePhone: "profile", officePhone: "profile", alternateEmail: "profile" },
      CONTACT_MODE: "fillEmpty",
      SYNCED_MOBILE: "skip",
      USER_WAIT_HOURS: 72,
      GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0",
      GRAPH_WRITE_BUDGET: 3000,
      GRAPH_WRITE_WINDOW_SECONDS: 150,
      ONBOARDING_QUEUE: "hr-onboarding",
      OUTCOMES_TABLE: "ContactOutcomes",
      OUTCOME_RETENTION_DAYS: 90,
      CONTACT_ADMIN_ROLE: "ContactInfo.ReadWrite",
      PORT: 7071,
    });
  });

  it.each([
    ["methods", { mobilePhone: "methods", officePhone: "methods", alternateEmail: "methods" }],
    [
      "mobilePhone=both, alternateEmail=methods",
      { mobilePhone: "both", officePhone: "profile", alternateEmail: "methods" },
    ],
  ])("reads CONTACT_TARGET %s per field", (value, expected) => {
    expect(loadSettings({ CONTACT_TARGET: value }).CONTACT_TARGET).toEqual(expected);
  });

  it("splits and trims list settings", () => {
    expect(
      loadSettings({ ORGANIZATION_DOMAINS: " contoso.example, fabrikam.example ," }).ORGANIZATION_DOMAINS,
    ).toEqual(["contoso.example", "fabrikam.example"]);
  });

  it("treats an empty setting as unset", () => {
    expect(loadSettings({ USER_WAIT_HOURS: " " }).USER_WAIT_HOURS).toBe(72);
  });

  it.each([
    ["PHONE_VALIDATION", "strict"],
    ["CONTACT_TARGET", "mobilePhone=sideways"],
    ["DEFAULT_COUNTRY", "USA"],
    ["USER_WAIT_HOURS", "soon"],
    ["GRAPH_BASE_URL", "not a url"],
  ])("names the bad setting %s in its error", (name, value) => {
    expect(() => loadSettings({ [name]: value })).toThrow(ConfigError);
    expect(() => loadSettings({ [name]: value })).toThrow(new RegExp(name));
  });

  it("lists the settings it reads", () => {
    expect(settingNames).toContain("ONBOARDING_QUEUE");
    expect(settingNames).not.toContain("SSPR_LOCAL_HOST");
  });
});
