import { z } from "zod";
import {
  type ContactField,
  contactModes,
  isContactField,
  isTargetPolicy,
  sameTargetForAll,
  type TargetPolicy,
} from "../contact/contactFields.js";
import { ConfigError } from "../core/errors.js";

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
const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/**
 * Every setting the product reads, with its default. This is the only place that touches `process.env`,
 * so the README's settings table and the Bicep app settings can be checked against `settingNames`.
 */
const settingsSchema = z.object({
  // Contact rules
  DEFAULT_COUNTRY: z
    .string()
    .regex(/^[A-Za-z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as US")
    .transform((s) => s.toUpperCase())
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
          message:
            "must be profile, methods or both, or per field like mobilePhone=methods,officePhone=profile",
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
  // Members (transitive) of these groups are never written, like holders of an active or eligible Entra role.
  PROTECTED_GROUP_IDS: csv.pipe(
    z.array(z.string().regex(guid, "must be comma-separated group object ids (GUIDs)")),
  ),
  // Microsoft Graph
  GRAPH_BASE_URL: z.url().default("https://graph.microsoft.com/v1.0"),
  GRAPH_ACCESS_TOKEN: z.string().optional(),
  AZURE_CLIENT_ID: z.string().optional(),
  GRAPH_WRITE_BUDGET: int(3000, 1),
  GRAPH_WRITE_WINDOW_SECONDS: int(150, 1),
  // Graph's resource units per 10 s per app and tenant (large tenant: 8,000; medium 5,000; small 3,500).
  GRAPH_READ_UNITS: int(8000, 1),
  // The SDK's retry of 429/503/504 inside one delivery; the queue's own retries come on top.
  GRAPH_MAX_RETRIES: int(3),
  GRAPH_RETRY_DELAY_SECONDS: int(3),
  // Storage
  // Either a connection string (local, Azurite) or, in Azure, the identity-based service URIs.
  AzureWebJobsStorage: z.string().optional(),
  AzureWebJobsStorage__queueServiceUri: z.url().optional(),
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__clientId: z.string().optional(),
  ONBOARDING_QUEUE: z.string().default("hr-onboarding"),
  OUTCOMES_TABLE: z.string().default("ContactOutcomes"),
  OUTCOME_RETENTION_DAYS: int(90, 1),
  // HTTP access
  CONTACT_ADMIN_ROLE: z.string().default("ContactInfo.ReadWrite"),
  CONTACT_READER_ROLE: z.string().default("ContactInfo.Read"),
  // Platform: App Service injects `True` when its authentication (Easy Auth) runs in front of the app, and only
  // then strips client-sent `x-ms-client-principal*` headers. Anything but `true` means off: the helpdesk
  // routes then trust no caller (fail closed). Never set it yourself.
  WEBSITE_AUTH_ENABLED: z
    .string()
    .optional()
    .transform((value) => value?.trim().toLowerCase() === "true"),
  // HR webhooks
  HR_WEBHOOK_SECRETS: csv,
  BAMBOOHR_WEBHOOK_KEY: z.string().optional(),
  SCIM_TOKEN: z.string().optional(),
  // Local host
  PORT: int(7071),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Reads CONTACT_TARGET: one target for every field, or `field=target` pairs (unnamed fields stay `profile`). */
function parseTargets(value: string): Record<ContactField, TargetPolicy> | undefined {
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

/** Names of every setting the code reads (for docs and the infra drift test). */
export const settingNames = Object.keys(settingsSchema.shape) as (keyof Settings)[];

/** Reads and checks every setting once; the error names each bad setting and why. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const present = Object.fromEntries(settingNames.map((name) => [name, emptyToUndefined(env[name])]));
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      .join("; ");
    throw new ConfigError(`Invalid settings: ${details}`);
  }
  return parsed.data;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
