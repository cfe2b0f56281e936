import { describe, expect, it } from "vitest";
import { runDoctorChecks } from "../../shared/doctor/runDoctorChecks.js";
import { webhookChecks } from "../../shared/doctor/webhookChecks.js";
import { standardWebhookSecretProblem } from "../../shared/intake/standardWebhook.js";

// What doctor says of each HR endpoint's secret: off, on, refusing every delivery, or guessable; never the secret.

const key = (bytes: number) => `whsec_${Buffer.alloc(bytes, 7).toString("base64")}`;
const scimToken = "c2NpbS10b2tlbi1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5";
const bambooKey = "0123456789abcdef0123456789abcdef01234567";

function check(settings: { secrets?: string[]; bamboo?: string; scim?: string }) {
  return webhookChecks({
    hrEvents: (settings.secrets ?? []).map(standardWebhookSecretProblem),
    bambooHrKey: settings.bamboo,
    scimToken: settings.scim,
  });
}

describe("doctor's webhook secrets", () => {
  it.each([
    ["nothing set: every endpoint off, in one finding", {}, ["ok webhook_off"]],
    [
      "every secret well-formed",
      { secrets: [key(32)], bamboo: bambooKey, scim: scimToken },
      ["ok webhook_secret_ok", "ok webhook_secret_ok", "ok webhook_secret_ok"],
    ],
    ["two secrets while rotating", { secrets: [key(32), key(24)] }, ["ok webhook_secret_ok"]],
    [
      "a secret without whsec_",
      { secrets: ["c2VjcmV0LXNlY3JldC1zZWNyZXQ="] },
      ["fail webhook_secret_malformed"],
    ],
    ["a secret that isn't base64", { secrets: ["whsec_not base64!"] }, ["fail webhook_secret_malformed"]],
    ["a secret of 8 bytes", { secrets: [key(8)] }, ["fail webhook_secret_malformed"]],
    ["one good and one bad secret", { secrets: [key(32), "whsec_"] }, ["fail webhook_secret_malformed"]],
    [
      "a BambooHR key with a trailing newline",
      { bamboo: `${bambooKey}\n` },
      ["fail webhook_secret_malformed"],
    ],
    ["a short BambooHR key", { bamboo: "abc123" }, ["warn webhook_secret_weak"]],
    ["a SCIM token with a space", { scim: `${scimToken} x` }, ["fail webhook_secret_malformed"]],
    ["a short SCIM token", { scim: "letmein" }, ["warn webhook_secret_weak"]],
  ])("%s", (_, settings, expected) => {
    const found = check(settings).map((c) => `${c.status} ${c.code}`);
    // The endpoints not named in the row are off, in one finding of their own.
    expect(found.filter((f) => f !== "ok webhook_off")).toEqual(
      expected.filter((f) => f !== "ok webhook_off"),
    );
  });

  it.each([
    ["c2VjcmV0LXNlY3JldC1zZWNyZXQ=", "secret 1 of 1 does not start with whsec_"],
    ["whsec_not base64!", "secret 1 of 1 is not whsec_ followed by base64"],
    [key(8), "secret 1 of 1 decodes to 8 bytes, fewer than the 16 a signing key needs"],
  ])("says why %s is no key, that hr/events is off, and never repeats it", (secret, why) => {
    const [finding] = check({ secrets: [secret] });
    expect(finding?.detail).toContain(why);
    expect(finding?.detail).toContain("hr/events answers 503 endpoint_not_configured to every delivery");
    expect(finding?.fix).toContain("whsec_ followed by the base64 of 24 to 64 random bytes");
    expect(JSON.stringify(finding)).not.toContain(secret.slice(6, 14));
  });

  it.each([
    [
      {},
      "hr/events, hr/bamboohr and hr/scim are off: HR_WEBHOOK_SECRETS, BAMBOOHR_WEBHOOK_KEY and SCIM_TOKEN are not set, so each answers 503 endpoint_not_configured",
    ],
    [
      { secrets: [key(32)], bamboo: bambooKey },
      "hr/scim is off: SCIM_TOKEN is not set, so it answers 503 endpoint_not_configured",
    ],
  ])("names the endpoints unset secrets leave off (%o)", (settings, detail) => {
    expect(check(settings).find((c) => c.code === "webhook_off")?.detail).toContain(detail);
  });

  it("never prints a secret, nor a piece of one", () => {
    const text = JSON.stringify(
      check({ secrets: [key(32), key(8)], bamboo: `${bambooKey} `, scim: `${scimToken} x` }),
    );
    for (const secret of [key(32).slice(6, 16), bambooKey.slice(0, 8), scimToken.slice(0, 8)]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe("doctor's run", () => {
  const probes = {
    settings: {
      CONTACT_TARGET: { mobilePhone: "profile", officePhone: "profile", alternateEmail: "profile" },
      SYNCED_MOBILE: "skip",
      NEW_HIRE_DAYS: 30,
      CONTACT_READER_ROLE: "r",
      CONTACT_ADMIN_ROLE: "a",
      GRAPH_WRITE_BUDGET: 3000,
      GRAPH_WRITE_WINDOW_SECONDS: 150,
      WEBSITE_AUTH_ENABLED: false,
    },
    storage: [],
    webhooks: { hrEvents: [], bambooHrKey: undefined, scimToken: undefined },
  } as const;

  it.each([
    [
      "a JavaScript error",
      new TypeError("Cannot read properties of undefined (reading 'toLowerCase')"),
      "unexpected error (TypeError)",
    ],
    ["a thrown string", "boom", "unexpected error (string thrown)"],
  ])("words %s in a check as the check and the error's kind, not its internals", async (_, thrown, words) => {
    const report = await runDoctorChecks({
      ...probes,
      directory: () => {
        throw thrown;
      },
      easyAuth: () => Promise.reject(thrown),
    });
    const text = JSON.stringify(report);
    expect(text).toContain(words);
    expect(text).not.toContain("toLowerCase");
    expect(text).not.toContain("    at ");
    expect(report.checks.find((c) => c.check === "easyAuth")).toMatchObject({
      status: "fail",
      code: "check_failed",
      detail: `the easyAuth check could not finish: ${words}`,
    });
  });
});
