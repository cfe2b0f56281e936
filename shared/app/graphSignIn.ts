import {
  AzureCliCredential,
  DeviceCodeCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from "@azure/identity";
import { ConfigError } from "../core/errors.js";
import { isRecord } from "../core/isRecord.js";
import { type PermissionNeed as AppPermissionNeed, appPermissions } from "../directory/appPermissions.js";
import { isLoopbackHost } from "../graph/graphClient.js";
import type { SyncPolicy } from "../sync/syncPlanner.js";
import type { Settings } from "./config.js";

/**
 * How the CLI signs in to Microsoft Graph (`--auth` or GRAPH_AUTH):
 * - `cli`: the admin's Azure CLI sign-in (`az login`), delegated;
 * - `device-code`: a device-code sign-in in the terminal, delegated, through `--client-id` (an app registration
 *   of the tenant's, with the delegated permissions below) or Azure CLI's own client;
 * - `managed-identity`: the machine's managed identity (AZURE_CLIENT_ID for a user-assigned one), app-only;
 * - `app`: an app registration's secret or certificate from the environment (EnvironmentCredential:
 *   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), app-only.
 */
export const graphAuthModes = ["cli", "device-code", "managed-identity", "app"] as const;
export type GraphAuthMode = (typeof graphAuthModes)[number];

/** The sign-in a command uses: a credential (or the emulator's static token) and whether it acts as a user. */
export interface GraphSignIn {
  mode: GraphAuthMode | "token";
  /** Undefined for the static GRAPH_ACCESS_TOKEN of a loopback emulator. */
  credential: TokenCredential | undefined;
  /** True when the token is a signed-in admin's (scopes in `scp`, Entra roles in `wids`), false for an app's. */
  delegated: boolean;
  /** The tenant asked for (`--tenant` or AZURE_TENANT_ID), checked against the token's. */
  tenant?: string | undefined;
}

export interface GraphSignInRequest {
  /** `--auth`; default GRAPH_AUTH, else the static token when GRAPH_ACCESS_TOKEN is set, else `cli`. */
  auth?: string | undefined;
  /** `--tenant`; default AZURE_TENANT_ID. */
  tenant?: string | undefined;
  /** `--client-id` for `device-code`: the app registration to sign in through. */
  clientId?: string | undefined;
  /** Shows the device-code prompt (the URL and the code) to the admin. */
  onDeviceCode?: (message: string) => void;
}

/** Picks the credential the CLI signs in with; builds it only (no I/O: no token is asked for here). */
export function graphSignInFor(settings: Settings, request: GraphSignInRequest): GraphSignIn {
  const auth = request.auth ?? settings.GRAPH_AUTH;
  if (auth === undefined && settings.GRAPH_ACCESS_TOKEN !== undefined) {
    return { mode: "token", credential: undefined, delegated: false };
  }
  if (auth === undefined && isEmulatorEndpoint(settings)) {
    throw new ConfigError(
      "GRAPH_ACCESS_TOKEN is required for a loopback GRAPH_BASE_URL (an emulator); set it, or choose a sign-in with --auth",
    );
  }
  const mode = auth ?? "cli";
  if (!isGraphAuthMode(mode)) {
    throw new ConfigError(`--auth must be one of ${graphAuthModes.join(", ")}, not "${mode.slice(0, 20)}"`);
  }
  const tenant = request.tenant ?? settings.AZURE_TENANT_ID;
  const tenantId = tenant ? { tenantId: tenant } : {};
  switch (mode) {
    case "cli":
      return { mode, credential: new AzureCliCredential(tenantId), delegated: true, tenant };
    case "device-code":
      return {
        mode,
        credential: new DeviceCodeCredential({
          // A device-code sign-in needs an authority: the tenant, else any work account's.
          tenantId: tenant ?? "organizations",
          ...(request.clientId ? { clientId: request.clientId } : {}),
          userPromptCallback: (info) => request.onDeviceCode?.(info.message),
        }),
        delegated: true,
        tenant,
      };
    case "managed-identity":
      return {
        mode,
        credential: new ManagedIdentityCredential(
          settings.AZURE_CLIENT_ID ? { clientId: settings.AZURE_CLIENT_ID } : {},
        ),
        delegated: false,
        tenant,
      };
    case "app":
      return { mode, credential: new EnvironmentCredential(), delegated: false, tenant };
  }
}

function isGraphAuthMode(value: string): value is GraphAuthMode {
  return (graphAuthModes as readonly string[]).includes(value);
}

/** The scope a token for GRAPH_BASE_URL is asked with: its origin's `.default` (Graph's, or the emulator's). */
export function graphScopeOf(settings: Settings): string {
  return `${new URL(settings.GRAPH_BASE_URL).origin}/.default`;
}

/** True when the settings reach a loopback emulator (its static token needs no sign-in). */
export function isEmulatorEndpoint(settings: Settings): boolean {
  return isLoopbackHost(new URL(settings.GRAPH_BASE_URL).hostname);
}

/** One thing the command needs Graph to allow: any of these permission names grants it. */
export interface PermissionNeed {
  what: string;
  anyOf: readonly string[];
}

/** Entra roles, any of which lets a signed-in admin do `what` to other (non-admin) users. */
export interface RoleNeed {
  what: string;
  anyOf: readonly EntraRole[];
}

/** Built-in Entra roles by name, with their template ids (what a token's `wids` claim lists). */
export const entraRoles = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
  "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
  "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
} as const;
export type EntraRole = keyof typeof entraRoles;

/** What a command run needs from Graph: permissions (scopes or app roles) and, signed in as an admin, a role. */
export interface GraphAccessNeeds {
  permissions: PermissionNeed[];
  roles: RoleNeed[];
}

// From the one permission table (shared/directory/appPermissions.ts): the least privileged permission first, then
// the broader ones that also grant it. The names are the same for delegated scopes and application roles.
const needOf = (what: string, need: AppPermissionNeed): PermissionNeed => ({
  what,
  anyOf: [need.permission, ...need.orHigher],
});
const readUsers = needOf("read users", appPermissions.readUsers);
const writePhones = needOf("write mobilePhone and businessPhones", appPermissions.writePhones);
const writeMail = needOf("write otherMails", appPermissions.writeOtherMails);
// One permission must read both active and eligible assignments: the ones both lists hold.
const readRoles: PermissionNeed = {
  what: "read active and eligible role assignments, so admins are never written",
  anyOf: needOf("", appPermissions.readRoleAssignments).anyOf.filter((permission) =>
    needOf("", appPermissions.readRoleEligibilities).anyOf.includes(permission),
  ),
};
const readGroups = needOf(
  "read group memberships: role-assignable groups and PROTECTED_GROUP_IDS",
  appPermissions.readGroupMembers,
);
const readGroupEligibilities = needOf(
  "read PIM-eligible members and owners of role-assignable groups",
  appPermissions.readGroupEligibilities,
);
const readAuthMethods = needOf(
  "read every authentication method a user registered (a user's own are never added to)",
  appPermissions.readAuthMethods,
);
const writePhoneMethods = needOf("write phone authentication methods", appPermissions.writePhoneMethods);
const writeEmailMethods = needOf("write the email authentication method", appPermissions.writeEmailMethods);

/**
 * What `report` or `backfill` (with its policy, real or dry) needs. Users are read either way; a backfill reads
 * role assignments and group memberships for its privileged-account check, reads methods when a field targets
 * them, and writes what the policy targets. Signed in as an admin, Graph also wants an Entra role that may change
 * other users' contact data ("Who can perform sensitive actions"): User, Authentication or Privileged
 * Authentication Administrator for profile phones and mail, an authentication administrator for methods.
 */
export function graphAccessNeeds(
  command: "report" | { policy: SyncPolicy; dryRun: boolean },
): GraphAccessNeeds {
  if (command === "report") return { permissions: [readUsers], roles: [] };
  const targets = Object.entries(command.policy.target);
  const profile = (fields: string[]) =>
    targets.some(([field, target]) => fields.includes(field) && target !== "methods");
  const toMethods = (fields: string[]) =>
    targets.some(([field, target]) => fields.includes(field) && target !== "profile");
  const methods = toMethods(["mobilePhone", "officePhone", "alternateEmail"]);
  const permissions = [readUsers, readRoles, readGroups, readGroupEligibilities];
  const roles: RoleNeed[] = [];
  // Methods are read in one list of every kind (read-only permission), written per kind (the narrow ones).
  if (methods) permissions.push(readAuthMethods);
  if (!command.dryRun && toMethods(["mobilePhone", "officePhone"])) permissions.push(writePhoneMethods);
  if (!command.dryRun && toMethods(["alternateEmail"])) permissions.push(writeEmailMethods);
  if (!command.dryRun) {
    if (profile(["mobilePhone", "officePhone"])) permissions.push(writePhones);
    if (profile(["alternateEmail"])) permissions.push(writeMail);
    if (profile(["mobilePhone", "officePhone", "alternateEmail"])) {
      roles.push({
        what: "change other users' profile phones and alternate email",
        anyOf: [
          "User Administrator",
          "Authentication Administrator",
          "Privileged Authentication Administrator",
          "Global Administrator",
        ],
      });
    }
  }
  if (methods) {
    roles.push({
      what: command.dryRun
        ? "read other users' authentication methods"
        : "change other users' authentication methods",
      anyOf: [
        "Authentication Administrator",
        "Privileged Authentication Administrator",
        ...(command.dryRun ? (["Global Reader"] as const) : []),
        "Global Administrator",
      ],
    });
  }
  return { permissions, roles };
}

/** What the token says about itself, as far as the up-front check reads it. */
interface TokenClaims {
  scopes: Set<string>;
  appRoles: Set<string>;
  /** Template ids of the signed-in user's Entra roles; undefined when the token does not carry them. */
  roleIds: Set<string> | undefined;
  tenantId: string | undefined;
  /** Who the token speaks for: the account (`upn`, else `preferred_username`) or the app (`appid`, else `azp`). */
  signedInAs: string | undefined;
}

/**
 * Reads an access token's claims (a JWT's payload) for the up-front check: undefined when the token is not a JWT
 * this can read. The signature is not checked: Graph does that on every call; this only saves an admin a run that
 * would fail on its first write.
 */
export function readTokenClaims(token: string): TokenClaims | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!isRecord(claims)) return undefined;
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  return {
    scopes: new Set(typeof claims.scp === "string" ? claims.scp.split(" ").filter(Boolean) : []),
    appRoles: new Set(strings(claims.roles)),
    roleIds: Array.isArray(claims.wids) ? new Set(strings(claims.wids)) : undefined,
    tenantId: typeof claims.tid === "string" ? claims.tid : undefined,
    signedInAs: signedInAsOf(claims),
  };
}

/** The account a delegated token is for, or the app an app-only token is for (`app <id>`); undefined when unnamed. */
function signedInAsOf(claims: Record<string, unknown>): string | undefined {
  for (const name of ["upn", "preferred_username", "unique_name"]) {
    const value = claims[name];
    if (typeof value === "string" && value.length > 0 && value.length <= 256) return value;
  }
  const app = typeof claims.appid === "string" ? claims.appid : claims.azp;
  return typeof app === "string" && app.length > 0 && app.length <= 64 ? `app ${app}` : undefined;
}

/** The outcome of the up-front check: what is missing (each with its fix), and what could not be checked. */
export interface GraphAccessCheck {
  problems: string[];
  notes: string[];
}

/**
 * Checks a token against what the run needs, before the run: the permissions (delegated scopes in `scp`, or the
 * app's roles in `roles`), the signed-in admin's Entra roles (`wids`, when the token has it) and the tenant.
 */
export function checkGraphAccess(
  token: string,
  signIn: GraphSignIn,
  needs: GraphAccessNeeds,
): GraphAccessCheck {
  const claims = readTokenClaims(token);
  if (!claims) {
    return {
      problems: [],
      notes: [
        "the Graph token is not a JWT this can read, so its permissions are not checked before the run",
      ],
    };
  }
  const problems: string[] = [];
  const notes: string[] = [];
  const held = signIn.delegated ? claims.scopes : claims.appRoles;
  const missing = needs.permissions.filter((need) => !need.anyOf.some((name) => held.has(name)));
  if (missing.length > 0) {
    const list = missing.map((need) => `${namesOf(need.anyOf)} to ${need.what}`).join("; ");
    problems.push(
      signIn.delegated
        ? `the sign-in (--auth ${signIn.mode}) lacks the delegated Microsoft Graph permission ${list}. Fix: sign in through an app registration that has these delegated permissions with admin consent: --auth device-code --client-id <its application id> (docs/backfill.md, "Signing in")`
        : `the app identity (--auth ${signIn.mode}) lacks the Microsoft Graph application permission ${list}. Fix: grant it (infra/scripts/grant-graph-permissions.sh, or API permissions → Grant admin consent), then run again`,
    );
  }
  if (signIn.delegated) {
    if (claims.roleIds === undefined) {
      if (needs.roles.length > 0) {
        notes.push(
          `the token does not list the account's Entra roles, so they are not checked before the run; it needs ${needs.roles.map((need) => namesOf(need.anyOf)).join(", and ")}`,
        );
      }
    } else {
      const roleIds = claims.roleIds;
      for (const need of needs.roles) {
        if (need.anyOf.some((role) => roleIds.has(entraRoles[role]))) continue;
        problems.push(
          `the signed-in account holds none of the Entra roles that may ${need.what}: ${namesOf(need.anyOf)}. Fix: have one assigned, or activate an eligible one in Privileged Identity Management, then sign in again`,
        );
      }
    }
  }
  const tenant = signIn.tenant;
  if (
    tenant &&
    /^[0-9a-f-]{36}$/i.test(tenant) &&
    claims.tenantId &&
    claims.tenantId !== tenant.toLowerCase()
  ) {
    problems.push(
      `the sign-in is for tenant ${claims.tenantId}, not ${tenant}. Fix: sign in to ${tenant} (az login --tenant ${tenant}) or pass the right --tenant`,
    );
  }
  return { problems, notes };
}

function namesOf(names: readonly string[]): string {
  const [first, ...rest] = names;
  return rest.length === 0 ? (first ?? "") : `${first} (or ${rest.join(", ")})`;
}
