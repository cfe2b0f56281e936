import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { graphDirectoryFromSettings } from "../../shared/app/graphDirectoryFromSettings.js";
import { roomyLimiter } from "../support/graphEmulatorFixtures.js";
import { aGraphToken } from "../support/graphTokens.js";

// A file of its own: MSAL picks the managed identity's source (App Service, IMDS, …) from the environment once per
// process, at the first credential built, so the identity endpoint below must be in place before any is.

/** The token requests the stand-in identity endpoint received. */
const asked: Array<{ path: string; query: URLSearchParams; header: string | undefined }> = [];
// A loopback stand-in for the App Service identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER), as the platform
// gives a Functions app: it records each token request and answers with an app-only token.
const identity = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const header = req.headers["x-identity-header"];
  asked.push({
    path: url.pathname,
    query: url.searchParams,
    header: typeof header === "string" ? header : undefined,
  });
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(
    JSON.stringify({
      access_token: aGraphToken({ roles: ["User.Read.All", "User-Phone.ReadWrite.All"] }),
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource: "https://graph.microsoft.com",
      token_type: "Bearer",
    }),
  );
});

beforeAll(async () => {
  await new Promise<void>((resolve) => identity.listen(0, "127.0.0.1", resolve));
  const { port } = identity.address() as AddressInfo;
  vi.stubEnv("IDENTITY_ENDPOINT", `http://127.0.0.1:${port}/msi/token`);
  vi.stubEnv("IDENTITY_HEADER", "identity-header-secret");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => identity.close(resolve));
});

describe("the adapter built from settings in Azure (no GRAPH_ACCESS_TOKEN, Graph's own URL)", () => {
  it("uses the managed identity named by AZURE_CLIENT_ID, for Graph's own scope, asking nothing until first needed", async () => {
    const clientId = "00000000-0000-0000-0000-000000000001";
    const directory = graphDirectoryFromSettings(loadSettings({ AZURE_CLIENT_ID: clientId }), roomyLimiter());
    expect(asked).toEqual([]);
    // The token's grants are read without a Graph request, so the token request is all that goes out.
    const grants = await directory.grantedPermissions();
    expect(grants.known && [...grants.permissions]).toEqual(["User.Read.All", "User-Phone.ReadWrite.All"]);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.path).toBe("/msi/token");
    expect(asked[0]?.header).toBe("identity-header-secret");
    expect(asked[0]?.query.get("resource")).toBe("https://graph.microsoft.com");
    expect(asked[0]?.query.get("client_id")).toBe(clientId);
    // Kept until shortly before it expires: the next need asks no one.
    await directory.grantedPermissions();
    expect(asked).toHaveLength(1);
  });
});
