import type { AccessToken, TokenCredential } from "@azure/identity";
import { entraRoles } from "../../shared/app/graphSignIn.js";

/** The fictional tenant the sign-in tests use. */
export const testTenant = "11111111-2222-4333-8444-555555555555";

/** Every delegated permission a profile-and-methods backfill needs, by its least-privileged name. */
export const backfillScopes = [
  "User.Read.All",
  "User-Phone.ReadWrite.All",
  "User-Mail.ReadWrite.All",
  "RoleManagement.Read.Directory",
  "GroupMember.Read.All",
  "PrivilegedEligibilitySchedule.Read.AzureADGroup",
  "UserAuthenticationMethod.ReadWrite.All",
];

/**
 * An access token shaped as Entra issues them (a JWT) with the claims the up-front check reads; unsigned, as the
 * emulator accepts any token it is told to. `scp` for a signed-in admin, `roles` for an app, `wids` for the
 * admin's Entra roles (by name here, by template id in the token).
 */
export function aGraphToken(claims: {
  scp?: string[];
  roles?: string[];
  wids?: Array<keyof typeof entraRoles>;
  tid?: string;
  /** The signed-in account (delegated tokens) or the app (app-only tokens). */
  upn?: string;
  appid?: string;
}): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return [
    part({ typ: "JWT", alg: "none" }),
    part({
      aud: "https://graph.microsoft.com",
      tid: claims.tid ?? testTenant,
      ...(claims.scp ? { scp: claims.scp.join(" ") } : {}),
      ...(claims.roles ? { roles: claims.roles } : {}),
      ...(claims.wids ? { wids: claims.wids.map((role) => entraRoles[role]) } : {}),
      ...(claims.upn ? { upn: claims.upn } : {}),
      ...(claims.appid ? { appid: claims.appid } : {}),
    }),
    "not-signed",
  ].join(".");
}

/** A credential that hands out `token` and counts how often it was asked: no network, no sign-in. */
export function aFakeCredential(token: string): TokenCredential & { calls: () => number } {
  let calls = 0;
  return {
    async getToken(): Promise<AccessToken> {
      calls++;
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
    calls: () => calls,
  };
}
