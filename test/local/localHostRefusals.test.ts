import { execFile } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

// A deployed storage account, as a developer with GRANT_DEPLOYER_DATA_ACCESS might export it: fictional account,
// fake key. Every local entry point must refuse it before it connects anywhere. To see that nothing connects,
// every child is given HTTP(S)_PROXY pointing at a loopback listener that only counts who knocks: the storage
// SDKs send every request through it (and so never leave this machine, even were the refusal gone).
const fakeKey = "ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXk=";
const productionStorage = `DefaultEndpointsProtocol=https;AccountName=contosohr;AccountKey=${fakeKey};EndpointSuffix=core.windows.net`;

let knocks: string[] = [];
const proxy = createHttpServer((req, res) => {
  knocks.push(`${req.method} ${req.url}`);
  res.writeHead(502).end();
});
proxy.on("connect", (req, socket) => {
  knocks.push(`CONNECT ${req.url}`);
  socket.destroy();
});
let proxyUrl = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
});

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` with `set` over this process's environment, free ports, no emulator settings, and the proxy. */
async function runScript(script: string, args: string[], set: Record<string, string>): Promise<Exit> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    LOCAL_STORAGE_PORT: "0",
    GRAPH_EMULATOR_PORT: "0",
    HTTPS_PROXY: proxyUrl,
    HTTP_PROXY: proxyUrl,
    ...set,
  };
  for (const name of ["GRAPH_BASE_URL", "GRAPH_ACCESS_TOKEN", "NO_PROXY", "no_proxy"]) delete env[name];
  if (!("AzureWebJobsStorage" in set)) delete env.AzureWebJobsStorage;
  return run(process.execPath, ["--import", "tsx", script, ...args], { env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: Exit) => err,
  );
}

describe("the local host refuses a deployed storage account before it connects anywhere", () => {
  it.each([
    ["npm start", "local/start.ts", ["--once"], "npm start: "],
    ["the local host alone", "local/hostMain.ts", [], "local host: "],
    ["a deployment package's host", "local/runPackage.ts", [".deploy-that-does-not-exist"], "package host: "],
  ])(
    "%s: one line naming the fix, exit code 2, nothing dequeued, enqueued or published",
    async (_case, script, args, prefix) => {
      knocks = [];
      const done = await runScript(script, args, { AzureWebJobsStorage: productionStorage });
      expect(done.code).toBe(2);
      expect(done.stderr.trim()).toBe(
        `${prefix}AzureWebJobsStorage names storage off this machine (contosohr.queue.core.windows.net): the local host would take its queued HR events and record outcomes there; point it at Azurite on this machine (UseDevelopmentStorage=true), or unset it for npm start's own; a deployed account is the sspr-prepop CLI's to work with, not the local host's`,
      );
      expect(`${done.stdout}${done.stderr}`).not.toContain(fakeKey);
      // Nothing started and nothing was sent: no Azurite, no samples, no policy, not one request to the account.
      expect(done.stdout).not.toMatch(/Azurite|enqueued|policy/);
      expect(knocks).toEqual([]);
    },
    90_000,
  );
});

describe("the local host alone with its port taken", () => {
  it("says so in one line naming PORT, exit code 2, before it publishes anything", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const done = await runScript("local/hostMain.ts", [], {
        PORT: String(port),
        AzureWebJobsStorage: "UseDevelopmentStorage=true",
      });
      expect(done.code).toBe(2);
      expect(done.stderr.trim()).toBe(
        `local host: port ${port} (the local Functions host) is in use (another npm start?): stop it, or set PORT to another port (0 for any free one)`,
      );
      expect(done.stdout).toBe("");
    } finally {
      taken.close();
    }
  }, 90_000);
});
