import { describe, expect, it } from "vitest";
import { loadSettings, SettingsError, settingNames } from "../../shared/app/config.js";
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

  it.each([
    ["US", "US"],
    ["de", "DE"],
    ["Germany", "DE"],
    ["United Kingdom", "GB"],
    ["USA", "US"],
  ])("takes DEFAULT_COUNTRY %s as --country does: %s", (value, code) => {
    expect(loadSettings({ DEFAULT_COUNTRY: value }).DEFAULT_COUNTRY).toBe(code);
  });

  it.each([
    ["the emulated tenant on loopback", "http://127.0.0.1:4000/v1.0"],
    ["Graph's beta endpoint", "https://graph.microsoft.com/beta"],
    ["a proxy with a path before the version", "https://proxy.example/graph/v1.0"],
  ])("takes GRAPH_BASE_URL for %s", (_, url) => {
    expect(loadSettings({ GRAPH_BASE_URL: url }).GRAPH_BASE_URL).toBe(url);
  });

  it("treats an empty setting as unset", () => {
    expect(loadSettings({ USER_WAIT_HOURS: " " }).USER_WAIT_HOURS).toBe(72);
  });

  it.each([
    ["PHONE_VALIDATION", "strict"],
    ["CONTACT_TARGET", "mobilePhone=sideways"],
    ["DEFAULT_COUNTRY", "Atlantis"],
    ["USER_WAIT_HOURS", "soon"],
    ["GRAPH_BASE_URL", "not a url"],
  ])("names the bad setting %s in its error", (name, value) => {
    expect(() => loadSettings({ [name]: value })).toThrow(ConfigError);
    expect(() => loadSettings({ [name]: value })).toThrow(new RegExp(name));
  });

  it.each([
    [
      "USER_WAIT_HOURS",
      "soon",
      '"soon" is not a whole number; set a whole number such as 72, or remove it to use the default (72)',
    ],
    [
      "GRAPH_WRITE_BUDGET",
      "0",
      '"0" is too small; set a whole number of 1 or more, or remove it to use the default (3000)',
    ],
    ["PHONE_VALIDATION", "strict", '"strict" is not one of the accepted values; set one of valid, possible'],
    [
      "DEFAULT_COUNTRY",
      "XX",
      '"XX" is not a region with a telephone numbering plan; set an ISO 3166-1 alpha-2 region code',
    ],
    ["GRAPH_BASE_URL", "graph", '"graph" is not a URL; set an absolute https:// URL'],
    [
      "GRAPH_BASE_URL",
      "http://graph.example/v1.0",
      '"http://graph.example/v1.0" must use https (plain http is accepted only for loopback emulators): http://graph.example; set an absolute https:// URL ending in the API version',
    ],
    [
      "GRAPH_BASE_URL",
      "https://graph.microsoft.com",
      '"https://graph.microsoft.com" must end with the API version, e.g. https://graph.microsoft.com/v1.0',
    ],
    [
      "CONTACT_TARGET",
      "sideways",
      '"sideways" is not a target (nor field=target pairs); set profile, methods or both',
    ],
    [
      "GRAPH_AUTH",
      "browser",
      '"browser" is not one of the accepted values; set one of cli, device-code, managed-identity, app',
    ],
  ])("says what is wrong with %s=%s and how to fix it, in words", (name, value, said) => {
    const error = (() => {
      try {
        loadSettings({ [name]: value });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(SettingsError);
    const message = (error as SettingsError).message;
    expect(message).toContain(`Invalid setting ${name}: ${said}`);
    expect(message).not.toMatch(/expected|received|Invalid input|Invalid option|NaN/);
    expect((error as SettingsError).issues).toEqual([
      { setting: name, problem: expect.any(String), fix: expect.any(String) },
    ]);
  });

  it("names every bad setting, one per line", () => {
    let message = "";
    try {
      loadSettings({ USER_WAIT_HOURS: "soon", SCIM_TOKEN: "s3cret", PORT: "-1" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split("\n")).toEqual([
      "Invalid settings:",
      expect.stringMatching(/^ {2}USER_WAIT_HOURS: "soon" is not a whole number; /),
      expect.stringMatching(/^ {2}PORT: "-1" is too small; /),
    ]);
  });

  it("refuses an APP_SIGNING_KEY shorter than 32 characters without repeating it", () => {
    const weak = "short-app-signing-key-0147";
    expect(() => loadSettings({ APP_SIGNING_KEY: weak })).toThrow(
      /^Invalid setting APP_SIGNING_KEY: the value is shorter than 32 characters; set a random secret/,
    );
    expect(() => loadSettings({ APP_SIGNING_KEY: weak })).not.toThrow(new RegExp(weak));
    expect(loadSettings({ APP_SIGNING_KEY: "k".repeat(32) }).APP_SIGNING_KEY).toBe("k".repeat(32));
  });

  it("lists the settings it reads", () => {
    expect(settingNames).toContain("ONBOARDING_QUEUE");
    expect(settingNames).not.toContain("SSPR_LOCAL_HOST");
  });
});
