import type { DoctorCheck } from "./doctorReport.js";

/** Why one HR_WEBHOOK_SECRETS entry can't be a key (intake/standardWebhook.ts decides; the doctor words it). */
export type WebhookSecretProblem =
  | { problem: "missing_prefix" }
  | { problem: "not_base64" }
  | { problem: "too_short"; bytes: number; minBytes: number };

/**
 * What the three HR endpoints are set up with: for hr/events, each secret's problem (undefined when it decodes
 * to a key), for the other two the setting itself, which the verdict reads and never repeats.
 */
export interface WebhookSecretsFinding {
  hrEvents: readonly (WebhookSecretProblem | undefined)[];
  bambooHrKey: string | undefined;
  scimToken: string | undefined;
}

// `openssl rand -base64 32`, as docs/webhooks.md says, is 44 characters: under 32 is typed, not generated.
const minScimTokenChars = 32;
// BambooHR generates the key; one this short is a paste cut off, or guessable.
const minBambooHrKeyChars = 16;

/**
 * One finding per HR endpoint (hr/events, hr/bamboohr, hr/scim): off because its secret is not set (it answers
 * 503 endpoint_not_configured, which is fine where that HR source isn't used), on, or set in a way that refuses
 * every delivery (fail) or lets a guesser in (warn). No secret, nor any part of one, is ever in a finding.
 */
export function webhookChecks(found: WebhookSecretsFinding): DoctorCheck[] {
  const verdicts = [
    hrEventsChecks(found.hrEvents),
    bambooHrCheck(found.bambooHrKey),
    scimCheck(found.scimToken),
  ];
  const offs = verdicts.filter((v): v is Off => "off" in v);
  const checks = verdicts.flatMap((v) => ("off" in v ? [] : Array.isArray(v) ? v : [v]));
  // The endpoints left off are one line: a deployment fed by one HR source needn't read three.
  return offs.length === 0 ? checks : [...checks, offFinding(offs)];
}

/** An endpoint whose secret is not set: it answers 503 endpoint_not_configured. */
interface Off {
  off: string;
  setting: string;
}

function offFinding(offs: readonly Off[]): DoctorCheck {
  const one = offs.length === 1;
  return {
    check: "webhooks",
    status: "ok",
    code: "webhook_off",
    detail: `${list(offs.map((o) => o.off))} ${one ? "is" : "are"} off: ${list(offs.map((o) => o.setting))} ${one ? "is" : "are"} not set, so ${one ? "it answers" : "each answers"} 503 endpoint_not_configured (set the secret of each HR endpoint you use)`,
  };
}

function list(items: readonly string[]): string {
  return items.length <= 2 ? items.join(" and ") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function hrEventsChecks(secrets: WebhookSecretsFinding["hrEvents"]): DoctorCheck[] | Off {
  if (secrets.length === 0) return { off: "hr/events", setting: "HR_WEBHOOK_SECRETS" };
  const malformed = secrets.flatMap((problem, index) =>
    problem === undefined ? [] : [{ problem, position: index + 1 }],
  );
  if (malformed.length === 0) {
    return [
      {
        check: "webhooks",
        status: "ok",
        code: "webhook_secret_ok",
        detail: `hr/events is on: HR_WEBHOOK_SECRETS holds ${secrets.length} well-formed whsec_ secret${secrets.length === 1 ? "" : "s"}`,
      },
    ];
  }
  return malformed.map(({ problem, position }) => ({
    check: "webhooks",
    status: "fail",
    code: "webhook_secret_malformed",
    detail: `HR_WEBHOOK_SECRETS: secret ${position} of ${secrets.length} ${whyNotAKey(problem)}; while any secret is malformed, hr/events answers 503 endpoint_not_configured to every delivery`,
    fix: "set each secret as whsec_ followed by the base64 of 24 to 64 random bytes (the Standard Webhooks range; under 16 is refused), copied whole from the sender (comma-separate two while rotating)",
  }));
}

function whyNotAKey(found: WebhookSecretProblem): string {
  switch (found.problem) {
    case "missing_prefix":
      return "does not start with whsec_";
    case "not_base64":
      return "is not whsec_ followed by base64 (A-Z, a-z, 0-9, + and /, then at most two =)";
    case "too_short":
      return `decodes to ${found.bytes} bytes, fewer than the ${found.minBytes} a signing key needs`;
  }
}

function bambooHrCheck(key: string | undefined): DoctorCheck | Off {
  if (key === undefined) return { off: "hr/bamboohr", setting: "BAMBOOHR_WEBHOOK_KEY" };
  if (key.trim() !== key) {
    return malformed(
      "BAMBOOHR_WEBHOOK_KEY begins or ends with whitespace: the app signs with the key exactly as set, so every delivery BambooHR signs is refused 401",
      "set BAMBOOHR_WEBHOOK_KEY to the webhook's private key from BambooHR with nothing around it",
    );
  }
  if (key.length < minBambooHrKeyChars) {
    return weak(
      `BAMBOOHR_WEBHOOK_KEY is shorter than ${minBambooHrKeyChars} characters: a key cut off when pasted, or one short enough to guess`,
      "copy the webhook's private key from BambooHR whole (Generate makes a new one)",
    );
  }
  return on("hr/bamboohr", "BAMBOOHR_WEBHOOK_KEY is set");
}

function scimCheck(token: string | undefined): DoctorCheck | Off {
  if (token === undefined) return { off: "hr/scim", setting: "SCIM_TOKEN" };
  if (/\s/.test(token)) {
    return malformed(
      "SCIM_TOKEN holds whitespace: a bearer token is one word, so every SCIM request is refused 401",
      "set SCIM_TOKEN to a token without spaces or line breaks, e.g. openssl rand -base64 32, and give the SCIM client the same",
    );
  }
  if (token.length < minScimTokenChars) {
    return weak(
      `SCIM_TOKEN is shorter than ${minScimTokenChars} characters: whoever guesses it may post users to hr/scim`,
      "set a long random token, e.g. openssl rand -base64 32, and give the SCIM client the same",
    );
  }
  return on("hr/scim", "SCIM_TOKEN is set");
}

function on(endpoint: string, what: string): DoctorCheck {
  return { check: "webhooks", status: "ok", code: "webhook_secret_ok", detail: `${endpoint} is on: ${what}` };
}

function malformed(detail: string, fix: string): DoctorCheck {
  return { check: "webhooks", status: "fail", code: "webhook_secret_malformed", detail, fix };
}

function weak(detail: string, fix: string): DoctorCheck {
  return { check: "webhooks", status: "warn", code: "webhook_secret_weak", detail, fix };
}
