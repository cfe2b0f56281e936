import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { health } from "../../functions/health.js";
import { useAppServices } from "../../shared/app/appServices.js";
import { context, request } from "../support/helpdeskRequests.js";
import { runNode } from "../support/transpiledCli.js";

// scripts/smoke-check.mjs, the post-deploy hook, against a loopback stand-in for the deployed app (the real app
// on the local host is in package.test.ts), with a fake `az` for the function key: no Azure, no network.
const repo = fileURLToPath(new URL("../..", import.meta.url));
const script = join(repo, "scripts", "smoke-check.mjs");
const { version } = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };

let answer: { status: number; body: unknown } = { status: 200, body: { status: "ok", version } };
const seenKeys: (string | undefined)[] = [];
let server: Server;
let url: string;
let bin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seenKeys.push(req.headers["x-functions-key"] as string | undefined);
    if (req.url !== "/api/health") return void res.writeHead(404).end();
    res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bin = mkdtempSync(join(tmpdir(), "sspr-smoke-"));
  // The fake az answers the one call the script makes, and records it.
  writeFileSync(
    join(bin, "az"),
    `#!/usr/bin/env node\nrequire("node:fs").writeFileSync(${JSON.stringify(join(bin, "az-args"))}, process.argv.slice(2).join(" "));\nconsole.log("health-key-from-az");\n`,
  );
  chmodSync(join(bin, "az"), 0o755);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(bin, { recursive: true, force: true });
});
afterEach(() => {
  answer = { status: 200, body: { status: "ok", version } };
  seenKeys.length = 0;
});

/** PATH without any real az, so only the fake one (or none) is found. */
function pathWithoutAz(withFake: boolean): string {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((dir) => !existsSync(join(dir, "az")));
  return [...(withFake ? [bin] : []), ...dirs].join(delimiter);
}

function smoke(env: Record<string, string>) {
  return runNode(script, [], {
    env: {
      PATH: pathWithoutAz(true),
      SERVICE_API_URI: url,
      AZURE_RESOURCE_GROUP: "rg-sspr",
      AZURE_FUNCTION_NAME: "func-sspr",
      SMOKE_TIMEOUT_SECONDS: "3",
      SMOKE_RETRY_SECONDS: "1",
      ...env,
    },
  });
}

describe("the post-deploy smoke check", () => {
  it("passes when /api/health answers ok with this version, calling it with the health function's key from az", async () => {
    const run = await smoke({});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`answered ok, version ${version}`);
    expect(seenKeys).toEqual(["health-key-from-az"]);
    expect(readFileSync(join(bin, "az-args"), "utf8")).toBe(
      "functionapp function keys list -g rg-sspr -n func-sspr --function-name health --query default -o tsv",
    );
  });

  it("fails at once, naming the setting and the fix, when the app's settings are invalid", async () => {
    answer = {
      status: 503,
      body: {
        error: {
          code: "configuration_invalid",
          message: "Invalid settings: DEFAULT_COUNTRY: must be an ISO 3166-1 alpha-2 code such as US",
        },
      },
    };
    const run = await smoke({ SMOKE_TIMEOUT_SECONDS: "60" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("smoke: FAILED:");
    expect(run.stderr).toContain("DEFAULT_COUNTRY");
    expect(run.stderr).toContain("azd env set NAME value");
    expect(seenKeys).toHaveLength(1);
  });

  it.each([
    [
      "the old package still answers",
      { status: 200, body: { status: "ok", version: "0.0.1" } },
      "runs version 0.0.1",
    ],
    ["the host has not found the function", { status: 404, body: "" }, "HTTP 404"],
    ["the host is down", { status: 503, body: "Function host is not running." }, "HTTP 503"],
  ])("waits, then fails with what it last saw, when %s", async (_, reply, last) => {
    answer = reply;
    const run = await smoke({});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("smoke: waiting for");
    expect(run.stderr).toContain("did not answer ok within 3 s");
    expect(run.stderr).toContain(last);
    expect(run.stderr).toContain("az functionapp function list");
  });

  it("fails with how to install the Azure CLI when az is missing", async () => {
    const run = await smoke({ PATH: pathWithoutAz(false) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the Azure CLI (az) is not installed");
    expect(seenKeys).toEqual([]);
  });

  it("says how to run it when azd did not provide the app's address", async () => {
    const run = await smoke({ SERVICE_API_URI: "" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("SERVICE_API_URI is not set");
  });
});

describe("GET /api/health", () => {
  const saved = process.env.DEFAULT_COUNTRY;
  afterEach(() => {
    if (saved === undefined) delete process.env.DEFAULT_COUNTRY;
    else process.env.DEFAULT_COUNTRY = saved;
    useAppServices(undefined);
  });

  it("answers 503 configuration_invalid naming the setting, never 500, when a setting is invalid", async () => {
    process.env.DEFAULT_COUNTRY = "XYZ";
    useAppServices(undefined);
    const response = await health(request("GET", "health"), context());
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.jsonBody)).toContain("configuration_invalid");
    expect(JSON.stringify(response.jsonBody)).toContain("DEFAULT_COUNTRY");
  });
});
