import type { DoctorCheck } from "./doctorReport.js";

/**
 * What is known of App Service authentication (Easy Auth) in front of the helpdesk routes:
 * - `platform`: this process runs in App Service and it says Easy Auth is on (WEBSITE_AUTH_ENABLED);
 * - `probe`: how the deployed app answered an anonymous `GET /api/doctor` (`--app-url`);
 * - `unknown`: neither (the CLI on an admin's machine: the platform setting exists only inside the app).
 */
export type EasyAuthFinding =
  | { source: "platform" }
  | { source: "probe"; answer: ProbeAnswer }
  | { source: "unknown" };

/** The anonymous probe's answer: its status and, when the app's own code answered, its error code. */
export type ProbeAnswer =
  | {
      status: number;
      /** `error.code` of the app's own problem answer (e.g. `authentication_required`), if it was one. */
      appErrorCode?: string | undefined;
      /** True when the answer is a doctor report: the request got past authentication as someone. */
      report?: boolean;
    }
  | { unreachable: string };

const turnOn =
  "turn on App Service authentication with 'require authentication' (deploy with AUTH_CLIENT_ID set: docs/deploy.md); the helpdesk routes trust no caller without it";

/** The verdict on Easy Auth in front of the helpdesk routes. */
export function easyAuthCheck(found: EasyAuthFinding): DoctorCheck {
  const check = "easyAuth";
  if (found.source === "platform") {
    return {
      check,
      status: "ok",
      code: "easy_auth_on",
      detail: "App Service authentication runs in front of the app (WEBSITE_AUTH_ENABLED)",
    };
  }
  if (found.source === "unknown") {
    return {
      check,
      status: "warn",
      code: "easy_auth_unchecked",
      detail:
        "not checked from here: whether App Service authentication is on is known only to the deployed app",
      fix: "run again with --app-url https://<app>.azurewebsites.net (doctor asks the app anonymously who answers), or GET /api/doctor as an admin",
    };
  }
  const answer = found.answer;
  if ("unreachable" in answer) {
    return {
      check,
      status: "fail",
      code: "app_unreachable",
      detail: `the app did not answer: ${answer.unreachable}`,
      fix: "check --app-url (the function app's https://… address) and that the app is running",
    };
  }
  if (answer.appErrorCode === "authentication_required") {
    return {
      check,
      status: "fail",
      code: "easy_auth_off",
      detail:
        "an anonymous request reached the app's own code: App Service authentication is off (or lets unauthenticated requests through), so the helpdesk routes refuse every caller",
      fix: turnOn,
    };
  }
  if (answer.report) {
    return {
      check,
      status: "ok",
      code: "easy_auth_emulated",
      detail:
        "an anonymous request was signed in by the platform: the local host's emulated Easy Auth does that",
    };
  }
  if (answer.status === 401 || answer.status === 403 || (answer.status >= 300 && answer.status < 400)) {
    return {
      check,
      status: "ok",
      code: "easy_auth_on",
      detail: `App Service authentication turned an anonymous request away (${answer.status}) before the app saw it`,
    };
  }
  return {
    check,
    status: "warn",
    code: "easy_auth_unchecked",
    detail: `the app answered an anonymous GET /api/doctor with ${answer.status}, which tells nothing about Easy Auth`,
    fix: "check --app-url points at this app (a version with /api/doctor), or GET /api/doctor as an admin",
  };
}
