import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The emulated app's fictional client id and the emulated tenant's id, as the token's `appid` and `tid` claims. */
export const emulatedAppId = "5f0c2d4e-8a7b-4c19-9e3d-000000005a11";
export const emulatedTenantId = "3c0e9a51-7d2b-4f6e-8a40-00000000c0de";

/**
 * The access tokens the emulator issues and accepts. Each is shaped like an Entra ID app-only token for Graph (a
 * JWT whose `roles` claim lists the application permissions granted when it was issued), so the app can read its
 * grants from it as it does from a real one; signed with a per-emulator secret so only tokens this emulator issued
 * pass. One opaque token (`local-dev-token` by default) is accepted too, for curl and older setups: it carries no
 * claims, like a token the app can't read.
 */
export class EmulatorTokens {
  private readonly secret = randomBytes(32);

  constructor(private readonly opaque: string | undefined) {}

  /** A token listing `permissions` in its `roles` claim, valid for a day (the emulator doesn't expire it). */
  issue(permissions: readonly string[], now = Date.now()): string {
    const issuedAt = Math.floor(now / 1000);
    const header = { alg: "HS256", typ: "JWT" };
    const payload = {
      aud: "https://graph.microsoft.com",
      iss: `https://sts.windows.net/${emulatedTenantId}/`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + 86_400,
      appid: emulatedAppId,
      idtyp: "app",
      oid: emulatedAppId,
      sub: emulatedAppId,
      tid: emulatedTenantId,
      roles: [...permissions].sort(),
    };
    const unsigned = `${encode(header)}.${encode(payload)}`;
    return `${unsigned}.${this.sign(unsigned)}`;
  }

  /** True for the opaque token and for any token this emulator issued (its signature matches). */
  accepts(presented: string | undefined): boolean {
    if (presented === undefined || presented === "") return false;
    if (this.opaque !== undefined && presented === this.opaque) return true;
    const parts = presented.split(".");
    if (parts.length !== 3) return false;
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2] ?? "");
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(text: string): string {
    return createHmac("sha256", this.secret).update(text).digest("base64url");
  }
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}
