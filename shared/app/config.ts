import { Cron } from "croner";
import { z } from "zod";
import {
  type ContactField,
  contactModes,
  isContactField,
  isTargetPolicy,
  sameTargetForAll,
  type TargetPolicy,
} from "../contact/contactFields.js";
import { toCountryCode } from "../contact/countryCode.js";
import { ConfigError } from "../core/errors.js";
import { graphBaseUrlProblem } from "../graph/graphClient.js";
import { minAppSigningKeyLength } from "../sync/appKeys.js";
import { serviceUriProblem, storageConnectionProblem } from "./storageConnectionProblem.js";

const csv = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  );
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A tenant is named by its id or one of its domains (contoso.onmicrosoft.com), as `az login --tenant` takes it.
const tenantPattern =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;
/** A schema check from a function saying what is wrong with a value (its words become the setting's problem). */
const problemOf =
  (problem: (value: string) => string | undefined) => (value: string | undefined, ctx: z.RefinementCtx) => {
    const found = value === undefined ? undefined : problem(value);
    if (found) ctx.addIssue({ code: "custom", message: found });
  };
const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/**
 * Every setting the product reads, with its default. This is the only place that touches `process.env`,
 * so the README's settings table and the Bicep app settings can be checked against `settingNames`.
 */
const settingsSchema = z.object({
  // Contact rules
  // An ISO code or a country name, as `--country` and an event's `country` take them (`US`, `Germany`).
  // Checked here, not when the first event needs it: a region without a numbering plan would fail every event.
  DEFAULT_COUNTRY: z
    .string()
    .transform((value, ctx) => {
      const code = toCountryCode(value);
      if (code === undefined) {
        ctx.addIssue({
          code: "custom",
          message: "is not a region with a telephone numbering plan",
        });
        return z.NEVER;
      }
      return code;
    })
    .optional(),
  PHONE_VALIDATION: z.enum(["valid", "possible"]).default("valid"),
  ORGANIZATION_DOMAINS: csv,
  // Sync policy
  // One target for all fields (`profile`), or per field: `mobilePhone=methods,officePhone=profile,alternateEmail=both`.
  CONTACT_TARGET: z
    .string()
    .default("profile")
    .transform((value, ctx) => {
      const targets = parseTargets(value);
      if (!targets) {
        ctx.addIssue({
          code: "custom",
          message: "is not a target (nor field=target pairs)",
        });
        return z.NEVER;
      }
      return targets;
    }),
  CONTACT_MODE: z.enum(contactModes).default("fillEmpty"),
  SYNCED_MOBILE: z.enum(["skip", "override"]).default("skip"),
  // Event sources write only users created this recently (0 = no check); older users are the admin's to backfill.
  NEW_HIRE_DAYS: int(30),
  USER_WAIT_HOURS: int(72),
  // Members (transitive), owners and PIM-eligible members or owners of these groups are never written, like admins.
  PROTECTED_GROUP_IDS: csv.pipe(z.array(z.string().regex(guid, "is not a list of group object ids (GUIDs)"))),
  // How old the tenant's picture of privileged principals may be when a write goes out (seconds): a role granted
  // longer ago than this before a write always stops it. Each refresh costs a few resource units per admin group.
  PRIVILEGE_MAX_AGE_SECONDS: int(5, 1).refine((seconds) => seconds <= 60, "must be at most 60 seconds"),
  // Microsoft Graph
  // Checked here as the client checks it (graphBaseUrlProblem), so an http or version-less URL stops the app at
  // start, not at its first Graph call.
  GRAPH_BASE_URL: z
    .string()
    .default("https://graph.microsoft.com/v1.0")
    .superRefine((value, ctx) => {
      const problem = graphBaseUrlProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  GRAPH_ACCESS_TOKEN: z.string().optional(),
  AZURE_CLIENT_ID: z.string().optional(),
  // The CLI's sign-in (backfill, report): see docs/backfill.md, "Signing in". The app always uses its identity.
  GRAPH_AUTH: z.enum(["cli", "device-code", "managed-identity", "app"]).optional(),
  AZURE_TENANT_ID: z.string().regex(tenantPattern, "is not a tenant id (a GUID) or domain").optional(),
  GRAPH_WRITE_BUDGET: int(3000, 1),
  GRAPH_WRITE_WINDOW_SECONDS: int(150, 1),
  // Graph's resource units per 10 s per app and tenant (large tenant: 8,000; medium 5,000; small 3,500), or `auto`:
  // start at 8,000 and step down a size on each 429 naming the resource units (docs/graph.md).
  GRAPH_READ_UNITS: z.union([z.literal("auto"), z.coerce.number().int().min(1)]).default("auto"),
  // The authentication-method calls' own budget per 10 s: Graph's page lists `authenticationMethod` under the
  // reports limit (5); the app starts there and learns upward to the MAX while Graph answers without a 429.
  GRAPH_METHOD_REQUESTS: int(5, 1),
  GRAPH_METHOD_REQUESTS_MAX: int(8000, 1),
  // The SDK's retry of 429/503/504 inside one delivery; the queue's own retries come on top.
  GRAPH_MAX_RETRIES: int(3),
  GRAPH_RETRY_DELAY_SECONDS: int(3),
  // Storage
  // Either a connection string (local, Azurite) or, in Azure, the identity-based service URIs.
  // Each is checked here, so a malformed value is one named setting, not a storage SDK's TypeError later.
  AzureWebJobsStorage: z.string().optional().superRefine(problemOf(storageConnectionProblem)),
  AzureWebJobsStorage__queueServiceUri: z.string().optional().superRefine(problemOf(serviceUriProblem)),
  AzureWebJobsStorage__tableServiceUri: z.string().optional().superRefine(problemOf(serviceUriProblem)),
  AzureWebJobsStorage__clientId: z.string().optional(),
  ONBOARDING_QUEUE: z.string().default("hr-onboarding"),
  OUTCOMES_TABLE: z.string().default("ContactOutcomes"),
  OUTCOME_RETENTION_DAYS: int(90, 1),
  // Operator signals (docs/operations.md): metrics go to Application Insights only when it is configured.
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().optional(),
  // `Authorization=AAD` (system identity) or `ClientId=<id>;Authorization=AAD`: the exporter signs in with Entra,
  // as the Functions host does, since the Application Insights resource refuses its instrumentation key alone.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z
    .string()
    .optional()
    .refine(
      (value) => value === undefined || telemetryAuthOf(value) !== undefined,
      "is not Authorization=AAD, optionally after ClientId=<client id>;",
    ),
  // When the daily readiness run counts the tenant (NCRONTAB, UTC): it reads every user, so at most hourly.
  READINESS_SCHEDULE: z
    .string()
    .default("0 0 6 * * *")
    .refine(isHourlyOrRarer, "is not a six-field NCRONTAB schedule running at most once an hour"),
  // HTTP access
  CONTACT_ADMIN_ROLE: z.string().default("ContactInfo.ReadWrite"),
  CONTACT_READER_ROLE: z.string().default("ContactInfo.Read"),
  // Helpdesk reads (contact info, an outcome, a user's outcomes) per signed-in caller per minute, across every
  // instance: a person answering calls makes a few a minute, a script enumerating users hundreds. No off switch.
  HELPDESK_READS_PER_MINUTE: int(30, 1),
  // Platform: App Service injects `True` when its authentication (Easy Auth) runs in front of the app, and only
  // then strips client-sent `x-ms-client-principal*` headers. Anything but `true` means off: the helpdesk
  // routes then trust no caller (fail closed). Never set it yourself.
  WEBSITE_AUTH_ENABLED: z
    .string()
    .optional()
    .transform((value) => value?.trim().toLowerCase() === "true"),
  // Platform: App Service's own copy of the app's authentication settings (authsettingsV2, JSON), which `doctor`
  // reads to confirm what WEBSITE_AUTH_ENABLED says (an app setting of that name set by hand would say it too).
  WEBSITE_AUTH_V2_CONFIG_JSON: z.string().optional(),
  // Platform: the function app's name, which App Service sets; the metrics' cloud role in Application Insights.
  WEBSITE_SITE_NAME: z.string().optional(),
  // HR webhooks
  HR_WEBHOOK_SECRETS: csv,
  BAMBOOHR_WEBHOOK_KEY: z.string().optional(),
  SCIM_TOKEN: z.string().optional(),
  // Events one verified webhook sender (a hr/events key, BambooHR, SCIM) may queue per clock hour, across every
  // instance: each queued event costs Graph reads, again at each retry while its user is not found.
  HR_EVENTS_PER_SENDER_PER_HOUR: int(500, 1),
  // The app's own secret (docs/security.md): signs the sender the webhook intake stamps on each queued event, and
  // keys the hashes of values an attempt notes before writing. Without it every queued event is recorded as actor
  // `queue` and a retry never knows a method it wrote again (it counts it the user's).
  APP_SIGNING_KEY: z
    .string()
    .optional()
    .refine(
      (value) => value === undefined || value.trim().length >= minAppSigningKeyLength,
      `is shorter than ${minAppSigningKeyLength} characters`,
    ),
  // Local host
  PORT: int(7071),
});

export type Settings = z.infer<typeof settingsSchema>;

/**
 * Reads CONTACT_TARGET (and the CLI's --target, which takes exactly what the setting does): one target for every
 * field, or `field=target` pairs (unnamed fields stay `profile`); undefined when the text is neither.
 */
export function parseTargets(value: string): Record<ContactField, TargetPolicy> | undefined {
  const trimmed = value.trim();
  if (isTargetPolicy(trimmed)) return sameTargetForAll(trimmed);
  const targets = sameTargetForAll("profile");
  for (const pair of trimmed.split(",")) {
    const [field = "", target = ""] = pair.split("=").map((part) => part.trim());
    if (!isContactField(field) || !isTargetPolicy(target)) return undefined;
    targets[field] = target;
  }
  return targets;
}

/**
 * How the metrics exporter signs in, from APPLICATIONINSIGHTS_AUTHENTICATION_STRING (the Functions host's own
 * setting): Entra with the managed identity `clientId` names (the system one without), or undefined when the
 * text is not that shape.
 */
export function telemetryAuthOf(text: string): { clientId?: string } | undefined {
  const pairs = new Map<string, string>();
  for (const part of text.split(";")) {
    if (part.trim() === "") continue;
    const [key = "", value = "", ...rest] = part.split("=").map((piece) => piece.trim());
    if (rest.length > 0 || key === "" || value === "") return undefined;
    pairs.set(key.toLowerCase(), value);
  }
  const clientId = pairs.get("clientid");
  const known = pairs.size === (clientId === undefined ? 1 : 2);
  if (!known || pairs.get("authorization")?.toUpperCase() !== "AAD") return undefined;
  return clientId === undefined ? {} : { clientId };
}

/**
 * True for a six-field NCRONTAB schedule (seconds first, numbers, `*`, ranges, lists and steps) whose runs are
 * at least an hour apart: the readiness run lists every user, and a schedule such as `0 * * * * *` would spend
 * the tenant's read budget every minute.
 */
function isHourlyOrRarer(schedule: string): boolean {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6 || !fields.every((field) => /^[0-9*,/-]+$/.test(field))) return false;
  try {
    const runs = new Cron(fields.join(" "), { timezone: "UTC", paused: true }).nextRuns(
      48,
      new Date(Date.UTC(2026, 0, 1)),
    );
    return runs.every((run, i) => i === 0 || run.getTime() - (runs[i - 1]?.getTime() ?? 0) >= 3_600_000);
  } catch {
    return false;
  }
}

/** Names of every setting the code reads (for docs and the infra drift test). */
export const settingNames = Object.keys(settingsSchema.shape) as (keyof Settings)[];

/** One bad setting: its name, what is wrong with the value, and how to fix it. */
export interface SettingIssue {
  setting: string;
  problem: string;
  fix: string;
}

/** The settings are not usable; `issues` names each bad one. The message is one line per setting, for people. */
export class SettingsError extends ConfigError {
  constructor(readonly issues: SettingIssue[]) {
    const lines = issues.map((i) => `${i.setting}: ${i.problem}; ${i.fix}.`);
    super(
      lines.length === 1
        ? `Invalid setting ${lines[0]}`
        : `Invalid settings:\n${lines.map((line) => `  ${line}`).join("\n")}`,
    );
  }
}

/** Settings whose value is never repeated in an error: credentials and connection strings. */
const secretSettings: ReadonlySet<string> = new Set([
  "GRAPH_ACCESS_TOKEN",
  "AzureWebJobsStorage",
  // A service URI is no secret, but one pasted with a SAS query would be.
  "AzureWebJobsStorage__queueServiceUri",
  "AzureWebJobsStorage__tableServiceUri",
  "HR_WEBHOOK_SECRETS",
  "BAMBOOHR_WEBHOOK_KEY",
  "SCIM_TOKEN",
  "APP_SIGNING_KEY",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
]);

/**
 * Reads and checks every setting once. A bad one throws SettingsError naming each bad setting, what is wrong with
 * its value and the fix, in words (never the schema library's text).
 */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const present = Object.fromEntries(settingNames.map((name) => [name, emptyToUndefined(env[name])]));
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    throw new SettingsError(
      parsed.error.issues.map((issue) => settingIssueOf(issue, present[String(issue.path[0])])),
    );
  }
  return parsed.data;
}

/** What the schema found, said for an admin: the value (unless secret), the problem, and what to set instead. */
function settingIssueOf(issue: z.core.$ZodIssue, value: string | undefined): SettingIssue {
  const setting = String(issue.path[0] ?? "settings");
  const shown =
    value === undefined || secretSettings.has(setting)
      ? "the value"
      : `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  const fallback = (settingsSchema.shape as Record<string, z.ZodType>)[setting]?.safeParse(undefined);
  const standard = fallback?.success ? defaultText(fallback.data) : "";
  const reset = standard ? `, or remove it to use the default (${standard})` : ", or remove it";
  switch (issue.code) {
    case "invalid_type":
      return {
        setting,
        problem: `${shown} is not a whole number`,
        fix: `set a whole number such as ${standard || "10"}${reset}`,
      };
    case "too_small":
      return {
        setting,
        problem: `${shown} is too small`,
        fix: `set a whole number of ${String(issue.minimum)} or more${reset}`,
      };
    case "invalid_value":
      return {
        setting,
        problem: `${shown} is not one of the accepted values`,
        fix: `set one of ${issue.values.map(String).join(", ")}${reset}`,
      };
    case "invalid_format":
      return issue.format === "url"
        ? {
            setting,
            problem: `${shown} is not a URL`,
            fix: `set an absolute https:// URL${reset}`,
          }
        : { setting, problem: `${shown} ${issue.message}`, fix: fixOf(setting, reset) };
    default:
      return { setting, problem: `${shown} ${issue.message}`, fix: fixOf(setting, reset) };
  }
}

/** The fix for the settings whose checks are our own words. */
function fixOf(setting: string, reset: string): string {
  const fixes: Record<string, string> = {
    DEFAULT_COUNTRY:
      "set an ISO 3166-1 alpha-2 region code such as US, GB or DE, or a country name such as Germany",
    CONTACT_TARGET: "set profile, methods or both, or per field like mobilePhone=methods,officePhone=profile",
    PROTECTED_GROUP_IDS: "set the groups' object ids (GUIDs from the Entra admin center), comma-separated",
    AZURE_TENANT_ID: "set the tenant id (a GUID) or its domain, such as contoso.onmicrosoft.com",
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING:
      "set Authorization=AAD, or ClientId=<managed identity client id>;Authorization=AAD",
    AzureWebJobsStorage:
      "set UseDevelopmentStorage=true for Azurite or the storage account's whole connection string (Azure portal: the account's Access keys); in Azure, the identity-based AzureWebJobsStorage__queueServiceUri and __tableServiceUri instead",
    AzureWebJobsStorage__queueServiceUri:
      "set the account's queue address, https://<account>.queue.core.windows.net, with no query",
    AzureWebJobsStorage__tableServiceUri:
      "set the account's table address, https://<account>.table.core.windows.net, with no query",
    APP_SIGNING_KEY: `set a random secret of ${minAppSigningKeyLength} characters or more, such as the output of openssl rand -base64 32`,
    GRAPH_BASE_URL:
      "set an absolute https:// URL ending in the API version, such as https://graph.microsoft.com/v1.0 (http only on loopback, for an emulator)",
    READINESS_SCHEDULE: "set six NCRONTAB fields, seconds first, at least an hour apart, such as 0 0 6 * * *",
  };
  return `${fixes[setting] ?? "correct it"}${reset}`;
}

function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "object" && value !== null) return "profile";
  return value === undefined ? "" : String(value);
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
