import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFunctions } from "../../local/loadFunctions.js";
import { appServices } from "../../shared/app/appServices.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";
import { StorageEventQueue } from "../../shared/storage/storageEventQueue.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import { eventFor } from "../support/factories.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import { runNode } from "../support/transpiledCli.js";

// The deployment package built the way azd builds it: azure.yaml's prepackage hook runs `npm run package`
// (scripts/package.mjs) into the folder named by `dist`, and azd zips that folder, applying the .funcignore in
// it, and deploys it with remoteBuild false. Here the folder goes to a temp dir outside the clone (no
// node_modules above it to fall back on), and the functions run from it alone on the local host, which stands
// in for the Functions host, against Azurite and the emulated tenant.

const repo = fileURLToPath(new URL("../..", import.meta.url));
const rootPackage = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  version: string;
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let dir: string;
let app: string;
let packaging: { code: number | null; stdout: string; stderr: string };
let env: TestEnvironment;
let host: { child: ChildProcess; url: string; functions: string[]; output: () => string } | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-package-"));
  app = join(dir, "app");
  [packaging, env] = await Promise.all([
    runNode(join(repo, "scripts", "package.mjs"), ["--out", app]),
    startTestEnvironment({ graph: { tenant: pipelineTenant() } }),
  ]);
  if (packaging.code === 0) host = await startPackageHost(app);
}, 240_000);

afterAll(async () => {
  host?.child.kill("SIGTERM");
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

/** `local/runPackage.ts` on the folder, started from inside it; resolves once it serves. */
function startPackageHost(folder: string): Promise<NonNullable<typeof host>> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = spawn(process.execPath, ["--import", tsx, join(repo, "local", "runPackage.ts"), folder], {
    cwd: folder,
    env: { ...process.env, PORT: "0", SSPR_LOCAL_HOST: "" },
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: string) => {
      output += chunk;
      const ready = /^ready (\S+) (\S+)$/m.exec(output);
      if (ready?.[1] && ready[2]) {
        resolve({ child, url: ready[1], functions: ready[2].split(","), output: () => output });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.on("exit", (code) => reject(new Error(`the package host exited (${code}):\n${output}`)));
  });
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split(sep).join("/"));
}

/** The .funcignore patterns (one per line, # comments): each is a file name or a `*.ext` glob. */
function funcignorePatterns(folder: string): RegExp[] {
  return readFileSync(join(folder, ".funcignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((pattern) => {
      expect(pattern, "a pattern this test can apply as azd does").toMatch(/^(\*\.[\w.]+|[\w.-]+)$/);
      return new RegExp(`(^|/)${pattern.replace(/\./g, "\\.").replace("*", "[^/]*")}$`);
    });
}

describe("the deployment package", () => {
  it("is built by npm run package, offline", () => {
    expect(packaging.stderr).toBe("");
    expect(packaging.code).toBe(0);
    expect(packaging.stdout).toMatch(/^package: .*\(\d+ files, [\d.]+ MB, \d+ production packages\)/m);
  });

  it("is what docs/deploy.md describes: as many production packages, its size and file count within 10%", () => {
    const [, files, megabytes, packages] =
      /\((\d+) files, ([\d.]+) MB, (\d+) production packages\)/.exec(packaging.stdout) ?? [];
    const deployDoc = readFileSync(join(repo, "docs", "deploy.md"), "utf8");
    const [, docPackages] = /the (\d+) production packages/.exec(deployDoc) ?? [];
    const [, docMegabytes, docFiles] = /Measured: ([\d.]+) MB in about ([\d,]+) files/.exec(deployDoc) ?? [];
    expect(docPackages).toBe(packages);
    expect(Math.abs(Number(docMegabytes) / Number(megabytes) - 1)).toBeLessThan(0.1);
    expect(Math.abs(Number(docFiles?.replace(",", "")) / Number(files) - 1)).toBeLessThan(0.1);
  });

  it("is what azure.yaml deploys: the folder its prepackage hook builds, as it is", () => {
    const azureYaml = readFileSync(join(repo, "azure.yaml"), "utf8");
    expect(azureYaml).toMatch(/^ {4}dist: \.deploy$/m);
    expect(azureYaml).toMatch(/^ {4}remoteBuild: false$/m);
    expect(azureYaml.match(/^ {10}run: npm run package$/gm)).toHaveLength(2);
    expect(rootPackage.scripts.package).toBe("node scripts/package.mjs");
    expect(readFileSync(join(repo, "scripts", "package.mjs"), "utf8")).toContain('default: ".deploy"');
  });

  it("holds only what the Functions host runs: compiled functions and shared code, host.json, production dependencies", () => {
    expect(readdirSync(app).sort()).toEqual(
      [".funcignore", "dist", "host.json", "node_modules", "package-lock.json", "package.json"].sort(),
    );
    expect(readdirSync(join(app, "dist")).sort()).toEqual(["functions", "shared"]);
    const staged = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as Record<string, unknown>;
    expect(staged).toMatchObject({
      main: rootPackage.main,
      type: "module",
      dependencies: rootPackage.dependencies,
    });
    expect(staged).not.toHaveProperty("scripts");
    expect(staged).not.toHaveProperty("devDependencies");
    for (const name of Object.keys(rootPackage.devDependencies)) {
      expect(existsSync(join(app, "node_modules", name)), name).toBe(false);
    }
    expect(readFileSync(join(app, "host.json"), "utf8")).toBe(readFileSync(join(repo, "host.json"), "utf8"));
  });

  it("compiles each function from its source, so no stale compiled file becomes a function", () => {
    const sources = readdirSync(join(repo, "functions")).filter((f) => f.endsWith(".ts"));
    expect(readdirSync(join(app, "dist", "functions")).sort()).toEqual(
      sources.map((f) => f.replace(/\.ts$/, ".js")).sort(),
    );
  });

  it("has nothing its .funcignore removes, so the zip azd makes is this folder", () => {
    const patterns = funcignorePatterns(app);
    expect(filesUnder(app).filter((file) => patterns.some((p) => p.test(file)))).toEqual([]);
    expect(readFileSync(join(app, ".funcignore"), "utf8")).toBe(
      readFileSync(join(repo, ".funcignore"), "utf8"),
    );
  });

  it("keeps node_modules in .funcignore, as azd requires with remoteBuild: false", () => {
    const patterns = funcignorePatterns(repo);
    expect(patterns.filter((p) => p.test("node_modules") || p.test("node_modules/zod/package.json"))).toEqual(
      [],
    );
  });

  it("weighs a fraction of the clone's node_modules and holds no native binary built for this machine", () => {
    const bytes = filesUnder(app).reduce((sum, file) => sum + statSync(join(app, file)).size, 0);
    expect(bytes).toBeLessThan(45 * 1024 * 1024);
    expect(filesUnder(app).filter((file) => file.endsWith(".node"))).toEqual([]);
  });

  it("sits where no node_modules above it could lend a module the package lacks", () => {
    for (let folder = dirname(app); folder !== dirname(folder); folder = dirname(folder)) {
      expect(existsSync(join(folder, "node_modules")), folder).toBe(false);
    }
  });
});

describe("the functions started from the package folder alone", () => {
  it("registers every function the app defines", async () => {
    const defined = (await loadFunctions()).map((r) => r.name);
    expect(host?.functions.sort()).toEqual([...defined].sort());
  });

  it("answers the health check with the package's version", async () => {
    const response = await fetch(`${host?.url}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", version: rootPackage.version });
  });

  it("serves the helpdesk API, signed in through the package's own modules", async () => {
    const response = await fetch(`${host?.url}/api/users/${users.newHire.userPrincipalName}/contact-info`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { id: string } }).user.id).toBe(users.newHire.id);
  });

  it("runs the queue trigger: an HR event on the queue is written to the tenant", async () => {
    const { settings } = appServices();
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    await new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE)).send(event);
    const log = new TableOutcomeLog(tableClient(settings, settings.OUTCOMES_TABLE));
    const deadline = Date.now() + 30_000;
    let status: string | undefined;
    while (Date.now() < deadline && status !== "updated") {
      status = (await log.get(String(event.eventId)))?.status;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe("updated");
    expect(env.graph.tenant.user(users.newHire.id)?.mobilePhone).toBe("+1 4255550147");
  }, 45_000);

  it("passes the post-deploy smoke check", async () => {
    const run = await runNode(join(repo, "scripts", "smoke-check.mjs"), [], {
      env: {
        PATH: process.env.PATH,
        SERVICE_API_URI: host?.url ?? "",
        SMOKE_FUNCTION_KEY: "local-host-ignores-keys",
        SMOKE_TIMEOUT_SECONDS: "20",
      },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^smoke: http:\/\/127\.0\.0\.1:\d+\/api\/health answered ok, version /m);
  });
});
