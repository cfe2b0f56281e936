import type { AppServices } from "../shared/app/appServices.js";
import type { Settings } from "../shared/app/config.js";

/** The principal the local host's emulated Easy Auth signs every HTTP request in as. */
export const localPrincipal = {
  name: "local-developer",
  // Fictional object id: the local principal is nobody in any tenant.
  id: "00000000-0000-4000-8000-00000000d0d0",
} as const;

/** The app roles the local principal can hold, by their part (the settings name each role's value). */
export type LocalRole = "reader" | "admin";

/**
 * The roles LOCAL_CALLER_ROLES names (`reader`, `admin`, both comma-separated, or `none`), or a typed refusal.
 * Unset: both, as before.
 */
export function localCallerRoles(text: string | undefined): LocalRole[] | Error {
  const words = (text ?? "reader,admin")
    .split(",")
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
  if (words.length === 1 && words[0] === "none") return [];
  const bad = words.find((w) => w !== "reader" && w !== "admin");
  if (bad !== undefined || words.length === 0)
    return new Error(`LOCAL_CALLER_ROLES must be reader, admin, reader,admin or none, not ${text}`);
  return [...new Set(words as LocalRole[])];
}

/**
 * App Service's copy of the authentication settings (WEBSITE_AUTH_V2_CONFIG_JSON) as infra/app/api.bicep deploys
 * them, in the part `doctor` reads: on, authentication required (401), Entra ID the only identity provider.
 */
export const emulatedAuthSettingsJson = JSON.stringify({
  platform: { enabled: true },
  globalValidation: { requireAuthentication: true, unauthenticatedClientAction: "Return401" },
  identityProviders: { azureActiveDirectory: { enabled: true } },
});

/**
 * The services as the app sees them behind App Service authentication: the same, with the platform settings
 * App Service injects (`WEBSITE_AUTH_ENABLED=True`, and its copy of the authentication settings). Only
 * invocations the local host runs see them.
 */
export function easyAuthPlatform(services: AppServices): AppServices {
  return Object.freeze({
    ...services,
    settings: {
      ...services.settings,
      WEBSITE_AUTH_ENABLED: true,
      WEBSITE_AUTH_V2_CONFIG_JSON: emulatedAuthSettingsJson,
    },
  });
}

/**
 * The services as the app sees them with no App Service authentication in front: `WEBSITE_AUTH_ENABLED` off and
 * no copy of its settings, whatever this process's environment says, so every helpdesk route answers
 * `401 authentication_required` as the deployed app does without Easy Auth. A hand-set WEBSITE_AUTH_ENABLED in a
 * developer's shell must not make the local host believe client-sent principal headers.
 */
export function withoutEasyAuth(services: AppServices): AppServices {
  const { WEBSITE_AUTH_V2_CONFIG_JSON: _copy, ...settings } = services.settings;
  return Object.freeze({ ...services, settings: { ...settings, WEBSITE_AUTH_ENABLED: false } });
}

/** The headers without any a client may not set behind App Service: `x-ms-client-principal*`, `x-ms-token-*`. */
export function withoutPrincipalHeaders(received: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(received).filter(([name]) => !/^x-ms-(client-principal|token-)/i.test(name)),
  );
}

/**
 * What App Service authentication does to a request's headers, for an always-signed-in local developer: drops
 * every client-sent `x-ms-client-principal*` and `x-ms-token-*` header (App Service never lets a client set
 * them), then adds the local principal with the reader and the admin app role of the settings, or only the
 * `roles` given (`npm start` with LOCAL_CALLER_ROLES=reader: the masked view and `403 missing_app_role`).
 */
export function emulateEasyAuth(
  received: Record<string, string>,
  settings: Pick<Settings, "CONTACT_READER_ROLE" | "CONTACT_ADMIN_ROLE">,
  roles: readonly LocalRole[] = ["reader", "admin"],
): Record<string, string> {
  const headers = withoutPrincipalHeaders(received);
  const nameType = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
  const principal = {
    auth_typ: "aad",
    name_typ: nameType,
    role_typ: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    claims: [
      { typ: nameType, val: localPrincipal.name },
      // As Entra's token carries it: the object id read limits count by and a fix's outcome records.
      { typ: "http://schemas.microsoft.com/identity/claims/objectidentifier", val: localPrincipal.id },
      ...roles.map((role) => ({
        typ: "roles",
        val: role === "reader" ? settings.CONTACT_READER_ROLE : settings.CONTACT_ADMIN_ROLE,
      })),
    ],
  };
  return {
    ...headers,
    "x-ms-client-principal": Buffer.from(JSON.stringify(principal), "utf8").toString("base64"),
    "x-ms-client-principal-name": localPrincipal.name,
    "x-ms-client-principal-id": localPrincipal.id,
    "x-ms-client-principal-idp": "aad",
  };
}
