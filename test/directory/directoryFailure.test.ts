import {
  AggregateAuthenticationError,
  AuthenticationRequiredError,
  ClientSecretCredential,
  CredentialUnavailableError,
} from "@azure/identity";
import { describe, expect, it } from "vitest";
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
