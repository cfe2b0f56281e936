import type { AccessToken, TokenCredential } from "@azure/identity";
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { GraphAuthMiddleware } from "../../shared/graph/graphAuthMiddleware.js";
import { cachedCredentialToken, isLoopbackHost, parseGraphBaseUrl } from "../../shared/graph/graphClient.js";
import { writeCount } from "../../shared/graph/graphPacingMiddleware.js";
import { filterEq, userPath } from "../../shared/graph/graphPaths.js";

/** Runs the auth middleware on one request and returns the headers the next middleware saw. */
async function headersSent(
  url: string,
  headers: Record<string, string> = {},
): Promise<Record<string, string>> {
  let seen: Record<string, string> = {};
  const auth = new GraphAuthMiddleware("http://127.0.0.1:4000", async () => "tok");
  const next: Middleware = {
    execute: async (context: Context) => {
      seen = { ...(context.options?.headers as Record<string, string>) };
    },
  };
  auth.setNext(next);
  await auth.execute({ request: url, options: { method: "GET", headers: { ...headers } } });
  return seen;
}

describe("the Graph client's own middleware", () => {
  it("sends the token to the configured origin, port included, even over http", async () => {
    expect(await headersSent("http://127.0.0.1:4000/v1.0/users")).toEqual({ Authorization: "Bearer tok" });
  });

  it.each(["http://127.0.0.1:4001/v1.0/users", "https://elsewhere.example/v1.0/users"])(
    "never sends it to another origin (%s)",
    async (url) => {
      expect(await headersSent(url, { authorization: "Bearer leaked" })).toEqual({});
    },
  );

  it.each([
    ["PATCH", "http://h/v1.0/users/x", undefined, 1],
    ["GET", "http://h/v1.0/users/x", undefined, 0],
    [
      "POST",
      "http://h/v1.0/$batch",
      JSON.stringify({ requests: [{ method: "GET" }, { method: "PATCH" }, { method: "POST" }] }),
      2,
    ],
  ])("counts %s %s as writes", (method, url, body, expected) => {
    expect(writeCount({ request: url, options: { method, body } })).toBe(expected);
  });

  it("caches a credential's token until shortly before it expires", async () => {
    let calls = 0;
    const credential: TokenCredential = {
      getToken: async (): Promise<AccessToken> => {
        calls += 1;
        return { token: `t${calls}`, expiresOnTimestamp: Date.now() + (calls === 1 ? 3_600_000 : 60_000) };
      },
    };
    const token = cachedCredentialToken(credential, "https://graph.microsoft.com/.default");
    expect(await Promise.all([token(), token()])).toEqual(["t1", "t1"]);
    expect(calls).toBe(1);
  });
});

describe("Graph endpoints and paths", () => {
  it.each([
    ["https://graph.microsoft.com/v1.0", "https://graph.microsoft.com", "v1.0"],
    ["http://127.0.0.1:4000/v1.0/", "http://127.0.0.1:4000", "v1.0"],
    ["https://proxy.example/graph/beta", "https://proxy.example/graph", "beta"],
  ])("splits %s into root and version", (url, root, version) => {
    expect(parseGraphBaseUrl(url)).toMatchObject({ root, version });
  });

  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["localhost", true],
    ["[::1]", true],
    ["128.0.0.1", false],
    ["graph.microsoft.com", false],
    ["127.0.0.1.example", false],
  ])("treats %s as loopback: %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it.each([
    ["an object id", "7883ff62-16ec-4b7c-8172-8ee4ec8218db", "/users/7883ff62-16ec-4b7c-8172-8ee4ec8218db"],
    [
      "a guest UPN",
      "sam_example.com#EXT#@contoso.example",
      "/users/sam_example.com%23EXT%23%40contoso.example",
    ],
    ["an apostrophe", "sean.o'brien@contoso.example", "/users/sean.o%27brien%40contoso.example"],
    ["a leading $", "$svc'x@contoso.example", "/users('%24svc%27%27x%40contoso.example')"],
  ])("builds the user path for %s", (_, key, path) => {
    expect(userPath(key)).toBe(path);
  });

  it.each([
    [".."],
    ["."],
    ["me"],
    ["delta"],
    [""],
    ["../../groups"],
    ["6f1c2a40-0000-4000-8000-00000000000"],
  ])("refuses to build a user path for %j, which is neither an object id nor a UPN", (key) => {
    expect(() => userPath(key)).toThrow(
      expect.objectContaining({ kind: DirectoryErrorKind.invalidRequest, name: "GraphRequestError" }),
    );
  });

  it("doubles quotes in filter literals before encoding", () => {
    expect(decodeURIComponent(filterEq("employeeId", "O'B"))).toBe("employeeId eq 'O''B'");
    expect(filterEq("mail", "a+b@x.example")).not.toContain("+");
  });
});
