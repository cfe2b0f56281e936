import type { DoctorCheck } from "./doctorReport.js";

/**
 * What is known of App Service authentication (Easy Auth) in front of the helpdesk routes:
 * - `platform`: this process runs in App Service and it says Easy Auth is on (WEBSITE_AUTH_ENABLED), with the
 *   platform's own copy of the app's authentication settings (WEBSITE_AUTH_V2_CONFIG_JSON) when it gave one;
 * - `probe`: how the deployed app answered an anonymous `GET /api/doctor` (`--app-url`);
 * - `unknown`: neither (the CLI on an admin's machine: the platform setting exists only inside the app).
 */
export type EasyAuthFinding =
  | { source: "platform"; authConfigJson?: string | undefined }
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

/** What the verdict reads of App Service's authentication settings (authsettingsV2). */
export interface PlatformAuthConfig {
  /** `platform.enabled`. */
  enabled: boolean;
  /** `globalValidation.requireAuthentication`. */
  requireAuthentication: boolean;
  /** The identity providers turned on (`identityProviders.*`, unless `enabled: false`), e.g. `azureActiveDirectory`. */
  providers: string[];
}

const entra = "azureActiveDirectory";

/**
 * Reads WEBSITE_AUTH_V2_CONFIG_JSON: the authsettingsV2 properties as JSON (with or without ARM's `properties`
 * envelope); undefined when absent or not that shape.
 */
export function platformAuthConfigOf(json: string | undefined): PlatformAuthConfig | undefined {
  if (json === undefined || json.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const root = field(parsed, "properties") ?? parsed;
  const enabled = field(field(root, "platform"), "enabled");
  if (typeof enabled !== "boolean") return undefined;
  const providers = field(root, "identityProviders");
  return {
    enabled,
    requireAuthentication: field(field(root, "globalValidation"), "requireAuthentication") === true,
    providers: Object.entries(isObject(providers) ? providers : {})
      .filter(([, provider]) => isObject(provider) && provider.enabled !== false)
      .map(([name]) => name),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

/** The verdict on Easy Auth in front of the helpdesk routes. */
export function easyAuthCheck(found: EasyAuthFinding): DoctorCheck {
  const check = "easyAuth";
  if (found.source === "platform") return platformCheck(platformAuthConfigOf(found.authConfigJson));
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

const removeHandSet =
  "delete any app setting named WEBSITE_AUTH_ENABLED or WEBSITE_AUTH_V2_CONFIG_JSON (`az functionapp config appsettings list -g <group> -n <app>` shows them; App Service sets both itself) and redeploy the template with AUTH_CLIENT_ID set (docs/deploy.md)";

/**
 * Inside the app: WEBSITE_AUTH_ENABLED is true, but an app setting of that name set by hand would read the same, so
 * App Service's own copy of the authentication settings must agree: on, Entra the only identity provider, and
 * authentication required, as infra/app/api.bicep deploys it.
 */
function platformCheck(config: PlatformAuthConfig | undefined): DoctorCheck {
  const check = "easyAuth";
  const finding = (
    status: DoctorCheck["status"],
    code: string,
    detail: string,
    fix?: string,
  ): DoctorCheck => ({
    check,
    status,
    code,
    detail,
    ...(fix === undefined ? {} : { fix }),
  });
  if (config === undefined) {
    return finding(
      "warn",
      "easy_auth_unconfirmed",
      "WEBSITE_AUTH_ENABLED says App Service authentication is on, but App Service's own copy of the authentication settings (WEBSITE_AUTH_V2_CONFIG_JSON) is not there to confirm it, and an app setting set by hand would say the same",
      `run \`sspr-prepop doctor --app-url https://<app>.azurewebsites.net\` (an anonymous request must be turned away before the app), and ${removeHandSet}`,
    );
  }
  if (!config.enabled) {
    return finding(
      "fail",
      "easy_auth_hand_set",
      "WEBSITE_AUTH_ENABLED says App Service authentication is on, but App Service's authentication settings say it is off: the setting was set by hand, and the helpdesk routes would believe forged principals",
      removeHandSet,
    );
  }
  if (!config.providers.includes(entra)) {
    return finding(
      "fail",
      "easy_auth_no_entra",
      `App Service authentication signs callers in with ${config.providers.join(", ") || "no identity provider"}, not Microsoft Entra ID: the app believes Entra principals only, so it refuses every helpdesk caller`,
      "redeploy the template with AUTH_CLIENT_ID set: it configures Entra ID as the one identity provider (docs/deploy.md)",
    );
  }
  const others = config.providers.filter((provider) => provider !== entra);
  if (others.length > 0) {
    return finding(
      "warn",
      "easy_auth_other_provider",
      `App Service authentication also signs callers in with ${others.join(", ")}: the app refuses those principals (untrusted_identity_provider), believing Entra ID only`,
      "remove the other identity providers from the app's Authentication settings (the template configures Entra ID only)",
    );
  }
  if (!config.requireAuthentication) {
    return finding(
      "warn",
      "easy_auth_optional",
      "App Service authentication lets unauthenticated requests through to the app (requireAuthentication is off): the app still refuses them (no principal), but no longer behind the platform",
      "redeploy the template: it sets 'require authentication' with 401 for unauthenticated requests",
    );
  }
  return finding(
    "ok",
    "easy_auth_on",
    "App Service authentication runs in front of the app (WEBSITE_AUTH_ENABLED), and its settings require an Entra ID sign-in, the only identity provider",
  );
}
