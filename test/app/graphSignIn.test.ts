import {
  AzureCliCredential,
  DeviceCodeCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import {
  checkGraphAccess,
  type GraphSignIn,
  graphAccessNeeds,
  graphSignInFor,
  readTokenClaims,
} from "../../shared/app/graphSignIn.js";
import { policyFrom } from "../../shared/app/ruleOptions.js";
import { ConfigError } from "../../shared/core/errors.js";
import { aGraphToken, backfillScopes, testTenant } from "../support/graphTokens.js";

// Choosing the credential builds it only: nothing here asks for a token or reaches the network.
describe("choosing the CLI's sign-in", () => {
  it.each([
    ["no flag and no setting", {}, {}, "cli", AzureCliCredential, true],
    ["--auth cli", { auth: "cli" }, {}, "cli", AzureCliCredential, true],
    [
      "--auth device-code",
      { auth: "device-code", clientId: testTenant },
      {},
      "device-code",
      DeviceCodeCredential,
      true,
    ],
    [
      "--auth managed-identity",
      { auth: "managed-identity" },
      {},
      "managed-identity",
      ManagedIdentityCredential,
      false,
    ],
    ["--auth app", { auth: "app" }, {}, "app", EnvironmentCredential, false],
    [
      "GRAPH_AUTH",
      {},
      { GRAPH_AUTH: "managed-identity" },
      "managed-identity",
      ManagedIdentityCredential,
      false,
    ],
    ["--auth over GRAPH_AUTH", { auth: "cli" }, { GRAPH_AUTH: "app" }, "cli", AzureCliCredential, true],
  ] as const)("signs in with %s", (_, request, env, mode, type, delegated) => {
    const signIn = graphSignInFor(loadSettings(env), request);
    expect(signIn.mode).toBe(mode);
    expect(signIn.credential).toBeInstanceOf(type);
    expect(signIn.delegated).toBe(delegated);
  });

  it("uses the emulator's static token when GRAPH_ACCESS_TOKEN is set and no sign-in is asked for", () => {
    const signIn = graphSignInFor(loadSettings({ GRAPH_ACCESS_TOKEN: "local-dev-token" }), {});
    expect(signIn).toEqual({ mode: "token", credential: undefined, delegated: false });
  });

  it("asks for the emulator's token rather than an az login against a loopback endpoint", () => {
    expect(() => graphSignInFor(loadSettings({ GRAPH_BASE_URL: "http://127.0.0.1:4000/v1.0" }), {})).toThrow(
      "GRAPH_ACCESS_TOKEN is required for a loopback GRAPH_BASE_URL (an emulator); set it, or choose a sign-in with --auth",
    );
  });

  it("takes the tenant from --tenant, else AZURE_TENANT_ID", () => {
    const settings = loadSettings({ AZURE_TENANT_ID: "contoso.onmicrosoft.com" });
    expect(graphSignInFor(settings, {}).tenant).toBe("contoso.onmicrosoft.com");
    expect(graphSignInFor(settings, { tenant: testTenant }).tenant).toBe(testTenant);
  });

  it("refuses an unknown --auth, naming the choices", () => {
    expect(() => graphSignInFor(loadSettings({}), { auth: "browser" })).toThrow(ConfigError);
    expect(() => graphSignInFor(loadSettings({}), { auth: "browser" })).toThrow(
      "--auth must be one of cli, device-code, managed-identity, app",
    );
  });
});

const admin: GraphSignIn = { mode: "cli", credential: undefined, delegated: true };
const app: GraphSignIn = { mode: "managed-identity", credential: undefined, delegated: false };
const policy = (target: string, mode = "fillEmpty") =>
  policyFrom(loadSettings({ CONTACT_TARGET: target, CONTACT_MODE: mode }));
const backfillOf = (target: string, dryRun = false) => graphAccessNeeds({ policy: policy(target), dryRun });

describe("what a run needs from Graph", () => {
  it.each([
    ["report", graphAccessNeeds("report"), ["User.Read.All"], []],
    [
      "a profile backfill",
      backfillOf("profile"),
      [
        "User.Read.All",
        "RoleManagement.Read.Directory",
        "GroupMember.Read.All",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "User-Phone.ReadWrite.All",
        "User-Mail.ReadWrite.All",
      ],
      [
        [
          "User Administrator",
          "Authentication Administrator",
          "Privileged Authentication Administrator",
          "Global Administrator",
        ],
      ],
    ],
    [
      "a methods backfill",
      backfillOf("methods"),
      [
        "User.Read.All",
        "RoleManagement.Read.Directory",
        "GroupMember.Read.All",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "UserAuthenticationMethod.Read.All",
        "UserAuthMethod-Phone.ReadWrite.All",
        "UserAuthMethod-Email.ReadWrite.All",
      ],
      [["Authentication Administrator", "Privileged Authentication Administrator", "Global Administrator"]],
    ],
    [
      "a dry run of a methods backfill",
      backfillOf("methods", true),
      [
        "User.Read.All",
        "RoleManagement.Read.Directory",
        "GroupMember.Read.All",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "UserAuthenticationMethod.Read.All",
      ],
      [
        [
          "Authentication Administrator",
          "Privileged Authentication Administrator",
          "Global Reader",
          "Global Administrator",
        ],
      ],
    ],
    [
      "a dry run of a profile backfill",
      backfillOf("profile", true),
      [
        "User.Read.All",
        "RoleManagement.Read.Directory",
        "GroupMember.Read.All",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
      ],
      [],
    ],
  ])("%s needs its permissions and roles, least privileged first", (_, needs, permissions, roles) => {
    expect(needs.permissions.map((need) => need.anyOf[0])).toEqual(permissions);
    expect(needs.roles.map((need) => need.anyOf)).toEqual(roles);
  });
});

describe("checking the token before the first row", () => {
  const both = backfillOf("mobilePhone=both,officePhone=profile,alternateEmail=both");

  it.each([
    [
      "an admin with every scope and Authentication Administrator",
      aGraphToken({ scp: backfillScopes, wids: ["Authentication Administrator"] }),
    ],
    [
      "an admin with broader scopes and Global Administrator",
      aGraphToken({
        scp: [
          "User.ReadWrite.All",
          "RoleManagement.ReadWrite.Directory",
          "Group.Read.All",
          "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
          "UserAuthenticationMethod.ReadWrite.All",
        ],
        wids: ["Global Administrator"],
      }),
    ],
  ])("lets %s run", (_, token) => {
    expect(checkGraphAccess(token, admin, both)).toEqual({ problems: [], notes: [] });
  });

  it("names each missing delegated permission, what it is for, and how to sign in with it", () => {
    const token = aGraphToken({
      scp: ["User.Read.All", "User-Mail.ReadWrite.All"],
      wids: ["Authentication Administrator"],
    });
    const { problems } = checkGraphAccess(token, admin, both);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("the sign-in (--auth cli) lacks the delegated Microsoft Graph permission");
    expect(problems[0]).toContain(
      "RoleManagement.Read.Directory (or RoleManagement.Read.All, RoleManagement.ReadWrite.Directory) to read active and eligible role assignments",
    );
    expect(problems[0]).toContain(
      "User-Phone.ReadWrite.All (or User.ReadWrite.All, Directory.ReadWrite.All) to write mobilePhone and businessPhones.",
    );
    expect(problems[0]).toContain(
      "UserAuthMethod-Phone.ReadWrite.All (or UserAuthenticationMethod.ReadWrite.All) to write phone authentication methods;",
    );
    expect(problems[0]).toContain(
      "Fix: sign in through an app registration that has these delegated permissions with admin consent: --auth device-code --client-id",
    );
    // What the sign-in has is not asked for again.
    expect(problems[0]).not.toContain("User-Mail");
  });

  it("stops an admin without an Entra role that may change other users' contact data", () => {
    const token = aGraphToken({ scp: backfillScopes, wids: ["User Administrator"] });
    const { problems } = checkGraphAccess(token, admin, both);
    // User Administrator may write profiles, not methods.
    expect(problems).toEqual([
      "the signed-in account holds none of the Entra roles that may change other users' authentication methods: Authentication Administrator (or Privileged Authentication Administrator, Global Administrator). Fix: have one assigned, or activate an eligible one in Privileged Identity Management, then sign in again",
    ]);
  });

  it("notes, without stopping, a token that does not list the account's roles", () => {
    const check = checkGraphAccess(aGraphToken({ scp: backfillScopes }), admin, both);
    expect(check.problems).toEqual([]);
    expect(check.notes[0]).toContain("the token does not list the account's Entra roles");
  });

  it("reads an app's permissions from its roles, and says how to grant a missing one", () => {
    const token = aGraphToken({
      roles: ["User.Read.All", "User-Phone.ReadWrite.All", "User-Mail.ReadWrite.All", "GroupMember.Read.All"],
    });
    const { problems } = checkGraphAccess(token, app, backfillOf("profile"));
    expect(problems).toEqual([
      expect.stringMatching(
        /^the app identity \(--auth managed-identity\) lacks the Microsoft Graph application permission RoleManagement\.Read\.Directory .* Fix: grant it \(infra\/scripts\/grant-graph-permissions\.sh/,
      ),
    ]);
  });

  it("stops a sign-in to another tenant than the one asked for", () => {
    const token = aGraphToken({ scp: ["User.Read.All"], tid: "99999999-2222-4333-8444-555555555555" });
    expect(
      checkGraphAccess(token, { ...admin, tenant: testTenant }, graphAccessNeeds("report")).problems,
    ).toEqual([
      `the sign-in is for tenant 99999999-2222-4333-8444-555555555555, not ${testTenant}. Fix: sign in to ${testTenant} (az login --tenant ${testTenant}) or pass the right --tenant`,
    ]);
  });

  it("notes a token it cannot read, and checks nothing", () => {
    expect(checkGraphAccess("opaque-token", admin, both)).toEqual({
      problems: [],
      notes: [
        "the Graph token is not a JWT this can read, so its permissions are not checked before the run",
      ],
    });
  });
});

describe("who a token speaks for (the backfill's actor)", () => {
  const tokenWith = (claims: Record<string, unknown>) =>
    ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "not-signed"].join(".");
  it.each([
    [
      "an admin's delegated token: upn",
      { upn: "it.admin@contoso.example", scp: "User.Read.All" },
      "it.admin@contoso.example",
    ],
    [
      "a token with preferred_username only",
      { preferred_username: "ops@contoso.example" },
      "ops@contoso.example",
    ],
    [
      "an app-only token: its appid",
      { appid: "00000000-0000-4000-8000-0000000000a1", roles: [] },
      "app 00000000-0000-4000-8000-0000000000a1",
    ],
    [
      "a v2 app-only token: its azp",
      { azp: "00000000-0000-4000-8000-0000000000a2" },
      "app 00000000-0000-4000-8000-0000000000a2",
    ],
    ["a token naming no one", { scp: "User.Read.All" }, undefined],
  ])("%s", (_, claims, who) => {
    expect(readTokenClaims(tokenWith(claims))?.signedInAs).toBe(who);
  });
});
