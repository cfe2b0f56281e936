import {
  AggregateAuthenticationError,
  AuthenticationRequiredError,
  ClientSecretCredential,
  CredentialUnavailableError,
} from "@azure/identity";
import { describe, expect, it } from "vitest";
import { DirectoryError, DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { directoryFailureOf } from "../../shared/directory/directoryFailure.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";

// A failed sign-in fails every further call the same way: it must read as a credentials problem (stop, exit 2,
// name the fix), never as a transient fault to "run again".
describe("interpreting a failure to get a token", () => {
  const unavailable = new CredentialUnavailableError("Please run 'az login' to set up an account.");

  it.each([
    ["CredentialUnavailableError (az signed out, no managed identity here)", unavailable],
    [
      "AggregateAuthenticationError (every credential of a chain failed)",
      new AggregateAuthenticationError([unavailable], "ChainedTokenCredential authentication failed."),
    ],
    [
      "AuthenticationRequiredError (an interactive sign-in is needed)",
      new AuthenticationRequiredError({
        scopes: ["https://graph.microsoft.com/.default"],
        message: "sign in",
      }),
    ],
    [
      "the same, wrapped by the Graph adapter as a request with no answer",
      GraphRequestError.fromThrown("findUsers", unavailable),
    ],
  ])("reads %s as credentials", (_, err) => {
    expect(directoryFailureOf(err)).toMatchObject({
      category: "credentials",
      code: "credentials_unavailable",
      reason: expect.stringMatching(
        /^no token for Microsoft Graph \(\w+Error: .*\): sign in again \(az login/,
      ),
    });
  });

  it("reads a token endpoint out of reach as credentials, not transient", async () => {
    // A closed loopback port stands in for an unreachable login endpoint: no request leaves the machine.
    const credential = new ClientSecretCredential(
      "11111111-2222-4333-8444-555555555555",
      "00000000-0000-4000-8000-000000000001",
      "not-a-secret",
      { authorityHost: "https://127.0.0.1:9", disableInstanceDiscovery: true },
    );
    const err = await credential.getToken("https://graph.microsoft.com/.default").catch((e: unknown) => e);
    expect(directoryFailureOf(GraphRequestError.fromThrown("findUsers", err))).toMatchObject({
      category: "credentials",
      code: "credentials_unavailable",
    });
  });

  it("masks an address a sign-in error names", () => {
    const failure = directoryFailureOf(
      new CredentialUnavailableError(
        "AADSTS50076: avery.lee@contoso.example must use multi-factor authentication",
      ),
    );
    expect(failure.reason).toContain("a***@c***.example must use multi-factor authentication");
    expect(failure.reason).not.toContain("avery.lee");
  });

  it("still reads a dropped connection to Graph as transient", () => {
    const dropped = Object.assign(new Error("socket hang up"), { name: "FetchError" });
    expect(directoryFailureOf(GraphRequestError.fromThrown("findUsers", dropped))).toMatchObject({
      category: "retryLater",
      code: "transient_failure",
    });
  });
});

// What a caller does about a failure is decided once, here: retry later, stop the run, take it as this item's
// answer, or treat it as a bug (not a directory error at all). Callers never re-combine categories.
describe("what to do about a failure", () => {
  const failed = (kind: DirectoryErrorKind, details: { permission?: string } = {}) =>
    new DirectoryError(`${kind} failed`, { kind, statusCode: 0, ...details });

  it.each([
    [DirectoryErrorKind.throttled, "retry", "throttled"],
    [DirectoryErrorKind.transient, "retry", "transient_failure"],
    [DirectoryErrorKind.notSent, "retry", "not_sent"],
    [DirectoryErrorKind.unauthorized, "stopRun", "credentials_refused"],
    [DirectoryErrorKind.missingPermission, "stopRun", "missing_permission"],
    [DirectoryErrorKind.onPremisesMastered, "final", "on_premises_mastered"],
    [DirectoryErrorKind.forbidden, "final", "forbidden_privileged_user"],
    [DirectoryErrorKind.notLicensed, "final", "not_licensed"],
    [DirectoryErrorKind.notFound, "final", "not_found"],
    [DirectoryErrorKind.ambiguous, "final", "user_ambiguous"],
    [DirectoryErrorKind.privilegedTarget, "final", "privileged_account"],
    [DirectoryErrorKind.invalidRequest, "final", "graph_invalidRequest"],
  ] as const)("handles %s as %s, code %s", (kind, handling, code) => {
    expect(directoryFailureOf(failed(kind))).toMatchObject({ kind, handling, code });
  });

  it("stops the run when no token can be had", () => {
    expect(directoryFailureOf(new CredentialUnavailableError("no az login"))).toMatchObject({
      handling: "stopRun",
      code: "credentials_unavailable",
    });
  });

  it("calls anything that is not a directory error a bug, retried like an outage", () => {
    expect(directoryFailureOf(new TypeError("cannot read properties of undefined"))).toMatchObject({
      handling: "bug",
      category: "retryLater",
      code: "transient_failure",
      kind: "unknown",
    });
  });

  it("names the permission to grant", () => {
    expect(
      directoryFailureOf(failed(DirectoryErrorKind.missingPermission, { permission: "AuditLog.Read.All" })),
    ).toMatchObject({ permission: "AuditLog.Read.All" });
  });
});
