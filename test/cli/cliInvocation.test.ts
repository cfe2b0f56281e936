import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backfillUsage } from "../../cli/backfillCommand.js";
import { main } from "../../cli/main.js";
import { reportUsage } from "../../cli/reportCommand.js";
import { usageOptions } from "../../cli/usageOptions.js";
import { validateUsage } from "../../cli/validateCommand.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { aTenant, startEmulator } from "../support/graphEmulatorFixtures.js";
import { runMain } from "../support/runCli.js";
import { runNode, sharedTranspiledCli } from "../support/transpiledCli.js";

// The CLI as an admin runs it: exit codes and the exact lines on stderr. The version, an unknown command and a dry
// run go through the real bin in a child process; the rest through the same main() in this process (`cli`).
const repo = fileURLToPath(new URL("../..", import.meta.url));
const version = (JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { version: string })
  .version;
const usages = { validate: validateUsage, backfill: backfillUsage, report: reportUsage };

let dir: string;
let bin: string;
let graph: GraphEmulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-cli-"));
  [bin, graph] = await Promise.all([sharedTranspiledCli(), startEmulator({ tenant: aTenant(3) })]);
});
afterAll(async () => {
  await graph?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The bin in a child process, with no Graph, storage or rule settings from the test's environment. */
function binary(args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...env };
  return runNode(bin, args, { env: clean, cwd: dir });
}

/** The CLI's main() in this process, with the same clean environment. */
function cli(args: string[], env: Record<string, string> = {}) {
  return runMain(args, env);
}

describe("sspr-prepop --version and help", () => {
  it.each([["--version"], ["-V"], ["version"]])(
    "prints the package version for %s and exits 0",
    async (flag) => {
      const run = await binary([flag]);
      expect(run).toMatchObject({ code: 0, stdout: `sspr-prepop ${version}\n`, stderr: "" });
    },
  );

  it.each(Object.entries(usages))(
    "prints the %s command's own help for help <command>",
    async (name, usage) => {
      const run = await cli(["help", name]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${usage}\n`);
    },
  );

  it("prints the general help for help alone, on stdout, and lists help and --version", async () => {
    const run = await cli(["help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: sspr-prepop <command>");
    expect(run.stdout).toMatch(/help \[COMMAND\]/);
    expect(run.stdout).toContain("--version");
  });

  it("refuses help for a command that does not exist, naming the ones that do", async () => {
    const run = await binary(["help", "frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'sspr-prepop: unknown command "frobnicate". Commands: validate, backfill, report, doctor, replay-poison, help. Run "sspr-prepop help".\n',
    );
  });
});

describe("sspr-prepop option errors", () => {
  it("names an unknown option, lists the command's options and exits 2 with one line", async () => {
    const run = await cli(["validate", "hr.csv", "--verbose"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'sspr-prepop validate: unknown option --verbose. Options: --format, --output, --country, -h/--help. See "sspr-prepop help validate".\n',
    );
  });

  it("suggests the option a typo was meant to be", async () => {
    const run = await cli(["backfill", "hr.csv", "--dryrun"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^sspr-prepop backfill: unknown option --dryrun \(did you mean --dry-run\?\)\. Options: --dry-run, --mode,/,
    );
  });

  it.each([
    [["validate", "-", "--country"], "sspr-prepop validate: --country needs a value, as in --country XX."],
    [["report", "--out"], "sspr-prepop report: --out needs a value, as in --out FILE."],
    [["backfill", "hr.csv", "--dry-run=yes"], "sspr-prepop backfill: --dry-run takes no value."],
  ])("says what %j is missing or has too much, without parseArgs' own wording", async (args, line) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(line)).toBe(true);
    expect(run.stderr).not.toMatch(
      /argument missing|To specify a positional argument|ERR_PARSE_ARGS|\n\s+at /,
    );
  });

  it.each([
    [["validate"], "sspr-prepop validate needs a FILE (or - for stdin).\n"],
    [["validate", "a.csv", "b.csv"], "sspr-prepop validate takes exactly one FILE.\n"],
    [["backfill"], "sspr-prepop backfill needs a FILE (or - for stdin).\n"],
    [["report", "users.csv"], "sspr-prepop report takes no FILE; name the outputs with --out and --csv.\n"],
  ])("names the command once in %j", async (args, line) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(line);
  });

  it.each(Object.entries(usages))("accepts every option the %s help lists", async (name, usage) => {
    for (const option of usageOptions(usage)) {
      const stderr = new PassThrough();
      let text = "";
      stderr.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
      });
      // --help after the option: the parser reads every option first, then the command only prints its help.
      const args = [name, option.name, ...(option.value ? ["x"] : []), "--help"];
      const code = await main(args, { stdin: Readable.from([]), stdout: new PassThrough(), stderr, env: {} });
      expect({ option: option.name, code, text }).toEqual({ option: option.name, code: 0, text: "" });
    }
  });
});

describe("sspr-prepop backfill --dry-run", () => {
  it("says what a real run would do: would update, never updated", async () => {
    const input = join(dir, "dry.csv");
    await writeFile(
      input,
      "userPrincipalName,country,mobilePhone\nuser1@contoso.example,US,(425) 555-0147\nuser2@contoso.example,US,(425) 555-0148\n",
    );
    const run = await binary(["backfill", input, "--dry-run", "--no-outcomes"], {
      GRAPH_BASE_URL: graph.url,
      GRAPH_ACCESS_TOKEN: graph.token,
    });
    expect(run.stderr).toMatch(/DRY RUN, nothing written: 2 rows: 2 would update\n/);
    expect(run.stderr).not.toMatch(/\d updated/);
    expect(graph.tenant.user("user1@contoso.example")?.mobilePhone).toBeNull();
  });
});

describe("running the CLI from the clone", () => {
  // The docs' examples run it as npm exec --offline (test/deploy/docs.test.ts checks each code block).
  it("keeps the package private, so npm publish cannot put it on the registry by mistake", async () => {
    const pkg = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { private?: boolean };
    expect(pkg.private).toBe(true);
  });

  it("fails outside the clone instead of fetching a package of that name", async () => {
    // A closed loopback port as the registry, and an empty cache: any lookup would fail loudly, not install.
    const port = await closedPort();
    const outside = await mkdtemp(join(tmpdir(), "sspr-outside-"));
    try {
      const run = await npm(["exec", "--offline", "--", "sspr-prepop", "--version"], outside, {
        npm_config_registry: `http://127.0.0.1:${port}/`,
        npm_config_cache: join(outside, "cache"),
      });
      expect(run.code).not.toBe(0);
      expect(run.stdout).not.toContain("sspr-prepop");
      expect(run.stderr).toMatch(/ENOTCACHED|only-if-cached/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  }, 60_000);
});

function closedPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject()));
    });
  });
}

function npm(args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun, reject) => {
    const child = spawn(process.platform === "win32" ? "npm.cmd" : "npm", args, {
      cwd,
      env: { ...process.env, ...env },
      shell: process.platform === "win32",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ code, stdout, stderr }));
  });
}
