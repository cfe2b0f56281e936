import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { admins, authorizeCaller, readers } from "../../shared/http/callerAccess.js";
import { principal } from "../support/helpdeskRequests.js";

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });
const settings = (env: Record<string, string> = {}) => loadSettings(env);
const on = settings({ WEBSITE_AUTH_ENABLED: "True" });
const off = settings();

const forgedAdmin = { "x-ms-client-principal": principal("attacker@example.com", ["ContactInfo.ReadWrite"]) };

/** A principal as App Service writes it for a sign-in with `provider` (`auth_typ`), or with none. */
function principalFrom(provider: string | undefined, roles: string[]): string {
  const claims = [{ typ: "name", val: "x@contoso.example" }, ...roles.map((val) => ({ typ: "roles", val }))];
  return Buffer.from(
    JSON.stringify({ auth_typ: provider, name_typ: "name", role_typ: "roles", claims }),
  ).toString("base64");
}

describe("WEBSITE_AUTH_ENABLED, the platform's word that Easy Auth runs", () => {
  it.each([
    [undefined, false],
    ["True", true],
    ["true", true],
    [" TRUE ", true],
    ["False", false],
    ["1", false],
    ["yes", false],
  ])("reads %j as %s (anything but true is off: fail closed)", (value, expected) => {
    expect(
      loadSettings(value === undefined ? {} : { WEBSITE_AUTH_ENABLED: value }).WEBSITE_AUTH_ENABLED,
    ).toBe(expected);
  });
});

describe("authorizing a caller", () => {
  it.each([
    ["no principal header", {}],
    ["a forged admin principal", forgedAdmin],
    ["a forged principal name header", { "x-ms-client-principal-name": "attacker@example.com" }],
    ["a function key", { "x-functions-key": "host-key-value" }],
  ])("trusts nobody when Easy Auth is off: %s → 401 authentication_required", (_, sent) => {
    for (const policy of [readers(off), admins(off)]) {
      const access = authorizeCaller(headers(sent), policy);
      expect(access).toMatchObject({ ok: false, refusal: { status: 401, code: "authentication_required" } });
    }
  });

  it("says how to turn Easy Auth on when it is off", () => {
    const access = authorizeCaller(headers(forgedAdmin), admins(off));
    expect(access.ok).toBe(false);
    if (access.ok) return;
    expect(access.refusal.message).toContain("Easy Auth");
    expect(access.refusal.hint).toContain("AUTH_CLIENT_ID");
    expect(access.refusal.hint).toContain("npm start");
  });

  it.each([
    ["no principal (an unauthenticated request Easy Auth let through)", {}, 401, "authentication_required"],
    [
      "a principal that is not base64 JSON",
      { "x-ms-client-principal": "%%%" },
      401,
      "invalid_client_principal",
    ],
    [
      "a principal that is JSON but not an object",
      { "x-ms-client-principal": Buffer.from("[1]").toString("base64") },
      401,
      "invalid_client_principal",
    ],
    [
      "two principal values joined into one header",
      {
        "x-ms-client-principal": `${principal("x@contoso.example", [])}, ${principal("y@contoso.example", [])}`,
      },
      401,
      "invalid_client_principal",
    ],
    [
      "an admin principal from another identity provider (auth_typ github)",
      { "x-ms-client-principal": principalFrom("github", ["ContactInfo.ReadWrite"]) },
      401,
      "untrusted_identity_provider",
    ],
    [
      "an admin principal without an identity provider",
      { "x-ms-client-principal": principalFrom(undefined, ["ContactInfo.ReadWrite"]) },
      401,
      "untrusted_identity_provider",
    ],
    [
      "an Entra admin principal whose x-ms-client-principal-idp header names another provider",
      { ...forgedAdmin, "x-ms-client-principal-idp": "google" },
      401,
      "untrusted_identity_provider",
    ],
    [
      "a principal without roles",
      { "x-ms-client-principal": principal("x@contoso.example", []) },
      403,
      "missing_app_role",
    ],
    [
      "a principal with an unrelated role",
      { "x-ms-client-principal": principal("x@contoso.example", ["Reports.Read"]) },
      403,
      "missing_app_role",
    ],
  ])("refuses %s with Easy Auth on → %i %s", (_, sent, status, code) => {
    expect(authorizeCaller(headers(sent), readers(on))).toMatchObject({
      ok: false,
      refusal: { status, code },
    });
  });

  it.each([
    ["a reader", ["ContactInfo.Read"], "read", true, false],
    ["a reader", ["ContactInfo.Read"], "fix", false, false],
    ["an admin", ["ContactInfo.ReadWrite"], "read", true, true],
    ["an admin", ["ContactInfo.ReadWrite"], "fix", true, true],
  ] as const)("lets %s with roles %j %s: %s (admin %s)", (_, roles, route, allowed, isAdmin) => {
    const policy = route === "read" ? readers(on) : admins(on);
    const access = authorizeCaller(
      headers({ "x-ms-client-principal": principal("helpdesk@contoso.example", [...roles]) }),
      policy,
    );
    expect(access.ok).toBe(allowed);
    if (access.ok) expect(access.caller).toEqual({ name: "helpdesk@contoso.example", roles, isAdmin });
  });

  it.each([
    ["no x-ms-client-principal-idp header", {}],
    ["x-ms-client-principal-idp aad", { "x-ms-client-principal-idp": "aad" }],
    [
      "x-ms-client-principal-idp AAD (headers' case varies by framework)",
      { "x-ms-client-principal-idp": "AAD" },
    ],
  ])("believes an Entra principal (auth_typ aad) with %s", (_, idp) => {
    const sent = {
      "x-ms-client-principal": principal("helpdesk@contoso.example", ["ContactInfo.Read"]),
      ...idp,
    };
    expect(authorizeCaller(headers(sent), readers(on))).toMatchObject({ ok: true });
  });

  it("uses the role names the settings give", () => {
    const custom = settings({
      WEBSITE_AUTH_ENABLED: "True",
      CONTACT_ADMIN_ROLE: "Helpdesk.Admin",
      CONTACT_READER_ROLE: "Helpdesk.Read",
    });
    const asDefaultAdmin = authorizeCaller(headers(forgedAdmin), admins(custom));
    expect(asDefaultAdmin).toMatchObject({ ok: false, refusal: { code: "missing_app_role" } });
    const admin = authorizeCaller(
      headers({ "x-ms-client-principal": principal("a@contoso.example", ["Helpdesk.Admin"]) }),
      admins(custom),
    );
    expect(admin).toMatchObject({ ok: true, caller: { isAdmin: true } });
  });
});
