import { isRecord } from "../core/isRecord.js";
import type { TokenSource } from "./graphAuthMiddleware.js";

/**
 * The Graph application permissions the identity's access token carries, or why they can't be told. Read from the
 * token only to explain a refusal and to let `doctor` compare grants with what the settings need: the app never
 * grants itself anything on the strength of it, and Graph alone decides what a request may do.
 */
export type GrantedPermissions =
  | {
      known: true;
      /** The `roles` claim: application permissions admin consent granted when the token was issued. */
      permissions: ReadonlySet<string>;
      /** The `appid` claim (the identity's client id), when present. */
      appId?: string;
      /** When the token expires (ISO 8601), from `exp`. */
      expiresAt?: string;
    }
  | {
      known: false;
      reason: string;
      /** A user's delegated token (`scp`), e.g. the Azure CLI's on an admin's machine: not the app's identity. */
      delegated?: true;
    };

/**
 * Reads the `roles` claim of an app-only access token: Entra ID issues them as JWTs whose payload lists the
 * application permissions granted at issue time (no `roles` claim at all when none is). Microsoft warns that its
 * tokens may change format or be encrypted, so the payload is decoded, never verified or relied on: anything that
 * isn't a readable app-only JWT gives `known: false`, and callers fall back to what they said before.
 */
export function grantsOfToken(token: string): GrantedPermissions {
  const parts = token.split(".");
  // A JWS has three parts; an encrypted token (JWE) has five and can't be read by its holder.
  if (parts.length !== 3) return { known: false, reason: "the access token is not a readable JWT" };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return { known: false, reason: "the access token's payload is not JSON" };
  }
  if (!isRecord(payload)) return { known: false, reason: "the access token's payload is not a JSON object" };
  if (payload.scp !== undefined) {
    return {
      known: false,
      reason: "a delegated token (scp): its scopes are a user's, not the app's permissions",
    };
  }
  const roles = payload.roles;
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((role) => typeof role === "string"))) {
    return { known: false, reason: "the access token's roles claim is not a list of names" };
  }
  return {
    known: true,
    permissions: new Set(roles ?? []),
    ...(typeof payload.appid === "string" ? { appId: payload.appid } : {}),
    ...(typeof payload.exp === "number" ? { expiresAt: new Date(payload.exp * 1000).toISOString() } : {}),
  };
}

/**
 * The grants of the token the client currently sends, read once per token: a managed identity's token is renewed
 * now and then, and a permission granted meanwhile shows up in the next one.
 */
export function grantsReader(token: TokenSource): () => Promise<GrantedPermissions> {
  let last: { token: string; grants: GrantedPermissions } | undefined;
  return async () => {
    const current = await token();
    if (last?.token !== current) last = { token: current, grants: grantsOfToken(current) };
    return last.grants;
  };
}
