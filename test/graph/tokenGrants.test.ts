import { describe, expect, it } from "vitest";
import { grantsOfToken, grantsReader } from "../../shared/graph/tokenGrants.js";

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (payload: unknown) => `${part({ alg: "RS256", typ: "JWT" })}.${part(payload)}.c2lnbmF0dXJl`;

describe("reading an access token's grants", () => {
  it("lists the roles claim of an app-only token", () => {
    const grants = grantsOfToken(
      jwt({ appid: "app-1", idtyp: "app", roles: ["User.Read.All"], exp: 1_800_000_000 }),
    );
    expect(grants).toEqual({
      known: true,
      permissions: new Set(["User.Read.All"]),
      appId: "app-1",
      expiresAt: "2027-01-15T08:00:00.000Z",
    });
  });

  it("reads an app-only token without a roles claim as one granted nothing (a fresh app, consent never given)", () => {
    expect(grantsOfToken(jwt({ appid: "app-1", idtyp: "app" }))).toMatchObject({
      known: true,
      permissions: new Set(),
    });
  });

  it.each([
    ["an opaque string", "local-dev-token"],
    ["an encrypted token (five parts)", "a.b.c.d.e"],
    ["a payload that is not JSON", `${part({})}.bm90IGpzb24.c2ln`],
    ["a payload that is not an object", jwt(["User.Read.All"])],
    ["a delegated token (scp: a user's scopes)", jwt({ scp: "User.Read", roles: ["x"] })],
    ["a roles claim that is not a list of names", jwt({ roles: "User.Read.All" })],
  ])("can't tell from %s", (_, token) => {
    expect(grantsOfToken(token).known).toBe(false);
  });

  it("reads each token once, and again when the token changes", async () => {
    const tokens = [jwt({ roles: ["A"] }), jwt({ roles: ["A"] }), jwt({ roles: ["A", "B"] })];
    let calls = 0;
    const read = grantsReader(async () => tokens[Math.min(calls++, tokens.length - 1)] ?? "");
    const first = await read();
    expect(await read()).toBe(first);
    expect(await read()).toMatchObject({ permissions: new Set(["A", "B"]) });
  });
});
