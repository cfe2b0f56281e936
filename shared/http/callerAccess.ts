/** Who called an HTTP function, as far as the platform tells us. */
export interface Caller {
  /** The signed-in user or app (Easy Auth), else `function-key`. */
  name: string;
  roles: string[];
  viaEasyAuth: boolean;
}

export type Access =
  | { ok: true; caller: Caller }
  | { ok: false; status: 401 | 403; code: string; message: string };

interface ClientPrincipal {
  auth_typ?: string;
  name_typ?: string;
  role_typ?: string;
  claims?: { typ?: string; val?: string }[];
}

const roleClaimTypes = new Set(["roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"]);
const nameClaimTypes = [
  "preferred_username",
  "name",
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
  "appid",
  "oid",
];

/**
 * Checks the caller against the app roles an operation needs. With Easy Auth on, the platform puts the
 * signed-in principal in `x-ms-client-principal` but never checks app roles itself, so it happens here.
 * Without Easy Auth the function key (enforced by Azure) is the only gate, and the caller is `function-key`.
 */
export function authorizeCaller(
  headers: { get(name: string): string | null },
  anyOfRoles: readonly string[],
): Access {
  const encoded = headers.get("x-ms-client-principal");
  if (!encoded) return { ok: true, caller: { name: "function-key", roles: [], viaEasyAuth: false } };
  let principal: ClientPrincipal;
  try {
    principal = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as ClientPrincipal;
    if (typeof principal !== "object" || principal === null) throw new Error("not an object");
  } catch {
    return {
      ok: false,
      status: 401,
      code: "invalid_client_principal",
      message: "The client principal header is malformed.",
    };
  }
  const claims = Array.isArray(principal.claims) ? principal.claims : [];
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
    headers.get("x-ms-client-principal-name") ??
    "unknown";
  const caller = { name, roles, viaEasyAuth: true };
  if (!anyOfRoles.some((role) => roles.includes(role))) {
    return {
      ok: false,
      status: 403,
      code: "missing_app_role",
      message: `The caller needs one of these app roles: ${anyOfRoles.join(", ")}.`,
    };
  }
  return { ok: true, caller };
}

/** The app roles that may read contact info and outcomes: the reader role, and the admin role, which implies it. */
export function readerRoles(settings: { CONTACT_READER_ROLE: string; CONTACT_ADMIN_ROLE: string }): string[] {
  return [settings.CONTACT_READER_ROLE, settings.CONTACT_ADMIN_ROLE];
}
