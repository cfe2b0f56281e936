/** Who called an HTTP function, as App Service authentication (Easy Auth) vouches for them. */
export interface Caller {
  /** The signed-in user or app, from the principal's name claim. */
  name: string;
  roles: string[];
  /** Holds the admin app role: may fix, overwrite and see full contact values. */
  isAdmin: boolean;
  /**
   * The principal's Entra object id (the `oid` claim), lowercase: the one identifier that stays the same when a
   * name or UPN changes, so what is counted (read limits) or recorded (a fix's `actorObjectId`) per caller follows
   * the account. Undefined when the
   * principal carries none in the GUID shape Entra writes.
   */
  objectId: string | undefined;
}

/** Why a caller was turned away, in the shape of a RuleIssue so it can go out as an error detail. */
export interface AccessRefusal {
  status: 401 | 403;
  code:
    | "authentication_required"
    | "invalid_client_principal"
    | "untrusted_identity_provider"
    | "missing_app_role";
  message: string;
  hint: string;
}

export type Access = { ok: true; caller: Caller } | { ok: false; refusal: AccessRefusal };

/** What the check needs to know: whether the platform authenticates callers, and which roles the route takes. */
export interface AccessPolicy {
  /** `WEBSITE_AUTH_ENABLED`: App Service sets it when Easy Auth runs in front of the app. */
  easyAuthEnabled: boolean;
  /** The caller needs one of these app roles. */
  anyOfRoles: readonly string[];
  /** The role that makes a caller an admin (`CONTACT_ADMIN_ROLE`). */
  adminRole: string;
}

/** The settings the policies are made from (a structural slice of the app's Settings). */
export interface AccessSettings {
  WEBSITE_AUTH_ENABLED: boolean;
  CONTACT_READER_ROLE: string;
  CONTACT_ADMIN_ROLE: string;
}

interface ClientPrincipal {
  auth_typ?: string;
  name_typ?: string;
  role_typ?: string;
  claims?: { typ?: string; val?: string }[];
}

const principalHeader = "x-ms-client-principal";
/**
 * The one identity provider the Bicep configures (authsettingsV2: azureActiveDirectory), as App Service names it in
 * the principal's `auth_typ` and the `x-ms-client-principal-idp` header. A principal from any other provider (one
 * turned on by hand in the portal) is not believed: the app roles it checks are Entra app roles.
 */
const entraProvider = "aad";
// Base64 as App Service writes it (either alphabet): one header value. Two values joined by a comma are not one.
const base64Value = /^[A-Za-z0-9+/_-]+={0,2}$/;
const roleClaimTypes = new Set(["roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"]);
// Easy Auth passes the token's claims under their long (WS-Fed) names or their short JWT names, as it received them.
const objectIdClaimTypes = ["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"];
const objectIdShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const nameClaimTypes = [
  "preferred_username",
  "name",
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
  "appid",
  "oid",
];

const turnOnEasyAuth =
  "In Azure, deploy with Easy Auth on (the default: set AUTH_CLIENT_ID, see docs/deploy.md) and call with an Entra token for that app registration; locally, `npm start` signs every request in as local-developer.";

/**
 * Checks the caller against the app roles an operation needs. Fails closed: only when App Service
 * authentication runs in front of the app (`WEBSITE_AUTH_ENABLED`) is the `x-ms-client-principal` header
 * the platform's word, since only then are client-sent copies stripped. Without it nobody is trusted, whatever
 * headers or function key the request carries; a function key alone never makes an admin. The principal is
 * believed only in the shape App Service writes it, from Entra only (`readPrincipal`). Easy Auth validates the
 * token but never checks app roles, so that happens here. What no header can tell: a `WEBSITE_AUTH_ENABLED` set
 * by hand while Easy Auth is off (a forger then writes every header); `doctor` looks for that (docs/security.md).
 */
export function authorizeCaller(headers: { get(name: string): string | null }, policy: AccessPolicy): Access {
  if (!policy.easyAuthEnabled) {
    return refuse(
      401,
      "authentication_required",
      "This API trusts only callers App Service authentication (Easy Auth) vouches for, and Easy Auth is not on for this app.",
      turnOnEasyAuth,
    );
  }
  const read = readPrincipal(headers);
  if (!read.ok) return read;
  const principal = read.principal;
  const claims = (Array.isArray(principal.claims) ? principal.claims : []).filter(
    (claim) => typeof claim === "object" && claim !== null,
  );
  const roleType = principal.role_typ;
  const roles = claims
    .filter(
      (claim) =>
        typeof claim.val === "string" && (roleClaimTypes.has(claim.typ ?? "") || claim.typ === roleType),
    )
    .map((claim) => claim.val as string);
  const nameTypes = [principal.name_typ, ...nameClaimTypes].filter((t): t is string => typeof t === "string");
  const name =
    nameTypes
      .map((type) => claims.find((claim) => claim.typ === type)?.val)
      .find((val) => typeof val === "string") ??
    headers.get(`${principalHeader}-name`) ??
    "unknown";
  if (!policy.anyOfRoles.some((role) => roles.includes(role))) {
    return refuse(
      403,
      "missing_app_role",
      `The caller needs one of these app roles: ${policy.anyOfRoles.join(", ")}.`,
      "An admin assigns the role to you (or your group) on the app registration's enterprise application.",
    );
  }
  const objectId = objectIdClaimTypes
    .map((type) => claims.find((claim) => claim.typ === type)?.val)
    .find((val): val is string => typeof val === "string" && objectIdShape.test(val))
    ?.toLowerCase();
  return { ok: true, caller: { name, roles, isAdmin: roles.includes(policy.adminRole), objectId } };
}

/**
 * The principal App Service put on the request, checked the way only the platform writes it: one base64 value of a
 * JSON object, from Entra (`auth_typ` aad), and an `x-ms-client-principal-idp` header, if any, that says the same.
 */
function readPrincipal(headers: {
  get(name: string): string | null;
}): { ok: true; principal: ClientPrincipal } | Extract<Access, { ok: false }> {
  const encoded = headers.get(principalHeader);
  if (!encoded) {
    // Easy Auth is on but let the request through unauthenticated (requireAuthentication off, or an excluded path).
    return refuse(
      401,
      "authentication_required",
      "Sign in: the request carries no authenticated principal.",
      "Send `Authorization: Bearer <Entra access token>` for the app registration Easy Auth accepts.",
    );
  }
  let principal: ClientPrincipal;
  try {
    if (!base64Value.test(encoded)) throw new Error("not one base64 value");
    principal = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as ClientPrincipal;
    if (typeof principal !== "object" || principal === null || Array.isArray(principal))
      throw new Error("not an object");
  } catch {
    return refuse(
      401,
      "invalid_client_principal",
      "The client principal header is malformed.",
      "Only App Service authentication sets x-ms-client-principal; do not send it yourself.",
    );
  }
  const idpHeader = headers.get(`${principalHeader}-idp`);
  const providers = [principal.auth_typ, ...(idpHeader === null ? [] : [idpHeader])];
  if (
    !providers.every((provider) => typeof provider === "string" && provider.toLowerCase() === entraProvider)
  ) {
    return refuse(
      401,
      "untrusted_identity_provider",
      "Only callers signed in with Microsoft Entra ID are believed; this principal comes from another identity provider.",
      "Call with an Entra token for the app registration Easy Auth accepts; an administrator removes any other identity provider from the app's authentication settings.",
    );
  }
  return { ok: true, principal };
}

function refuse(
  status: AccessRefusal["status"],
  code: AccessRefusal["code"],
  message: string,
  hint: string,
): Extract<Access, { ok: false }> {
  return { ok: false, refusal: { status, code, message, hint } };
}

/** The app roles that may read contact info and outcomes: the reader role, and the admin role, which implies it. */
export function readerRoles(
  settings: Pick<AccessSettings, "CONTACT_READER_ROLE" | "CONTACT_ADMIN_ROLE">,
): string[] {
  return [settings.CONTACT_READER_ROLE, settings.CONTACT_ADMIN_ROLE];
}

/** Reads: readers and admins, behind Easy Auth. */
export function readers(settings: AccessSettings): AccessPolicy {
  return {
    easyAuthEnabled: settings.WEBSITE_AUTH_ENABLED,
    anyOfRoles: readerRoles(settings),
    adminRole: settings.CONTACT_ADMIN_ROLE,
  };
}

/** Writes: admins only, behind Easy Auth. */
export function admins(settings: AccessSettings): AccessPolicy {
  return {
    easyAuthEnabled: settings.WEBSITE_AUTH_ENABLED,
    anyOfRoles: [settings.CONTACT_ADMIN_ROLE],
    adminRole: settings.CONTACT_ADMIN_ROLE,
  };
}
