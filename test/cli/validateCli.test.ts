import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { excelFile, hrSheet } from "../support/excelFiles.js";
import { runMain } from "../support/runCli.js";
import { sharedTranspiledCli } from "../support/transpiledCli.js";

// The CLI as a user runs it. Where the process matters (a pipe on stdin, a reader that goes away, exit codes as the
// shell sees them) the real bin runs in a child process (`runChild`), its sources transpiled once per test run the
// way `npm run build` does; the other cases run the same main() in this process (`runCli`), with real streams.
const repo = fileURLToPath(new URL("../..", import.meta.url));
let cli: string[] = [];
const ruleSettings = ["DEFAULT_COUNTRY", "PHONE_VALIDATION", "ORGANIZATION_DOMAINS"];

interface OutputLine {
  line: number;
  eventId: string | null;
  ok: boolean;
  contact: Record<string, string>;
  phoneTypes?: Record<string, string>;
  errors: { field: string; code: string; message: string; hint: string }[];
  warnings: { field: string; code: string; message: string; hint: string }[];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: OutputLine[];
}

/** This process's environment without the rule settings, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ruleSettings) delete env[name];
  return Object.assign(env, extra);
}

/** Only complete lines: a reader that hung up early leaves a cut-off last line behind. */
function outputLines(stdout: string): OutputLine[] {
  return stdout
    .split("\n")
    .slice(0, -1)
    .map((line) => JSON.parse(line) as OutputLine);
}

/** The CLI's main() in this process. */
async function runCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const run = await runMain(args, cleanEnv(options.env), { stdin: options.stdin ?? "" });
  return { ...run, lines: outputLines(run.stdout) };
}

/** The real bin in a child process. */
function runChild(
  args: string[],
  options: {
    stdin?: string;
    env?: Record<string, string>;
    onStdout?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<Run> {
  const env = cleanEnv(options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cli, ...args], { cwd: repo, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(child);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, lines: outputLines(stdout) }));
    child.stdin.end(options.stdin ?? "");
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-validate-"));
  cli = [await sharedTranspiledCli()];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function aFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

function codes(line: OutputLine | undefined): string[] {
  return (line?.errors ?? []).map((error) => `${error.field}:${error.code}`);
}

// Personal data must never reach stderr: no address local part, no run of five digits.
function expectNoPersonalData(text: string): void {
  expect(text).not.toMatch(/\d{5,}/);
  expect(text).not.toMatch(/[a-z0-9._-]+@/i);
}

const anEvent = (eventId: string, contact: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventId,
    source: "test",
    occurredAt: "2026-11-24T09:00:00Z",
    user: { employeeId: "E1" },
    contact,
    ...extra,
  });

describe.concurrent("sspr-prepop validate", () => {
  it("exits 0 and prints one normalized line per record, in input order, when every record is valid", async () => {
    const file = await aFile(
      "valid.csv",
      [
        "employeeId,country,mobilePhone,officePhone,alternateEmail",
        "E1,US,(425) 555-0147,425.555.0100,Avery.L@Example.com",
        "E2,DE,0151 23456789,030/1234567,",
        "E3,GB,+44 (0)7400 123456,,",
      ].join("\n"),
    );
    const run = await runCli(["validate", file]);
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => [line.line, line.ok, line.contact])).toEqual([
      [
        2,
        true,
        { mobilePhone: "+1 4255550147", officePhone: "+1 4255550100", alternateEmail: "Avery.L@example.com" },
      ],
      [3, true, { mobilePhone: "+49 15123456789", officePhone: "+49 301234567" }],
      [4, true, { mobilePhone: "+44 7400123456" }],
    ]);
    expect(run.lines[0]).toMatchObject({
      errors: [],
      warnings: [],
      phoneTypes: { mobilePhone: "FIXED_LINE_OR_MOBILE" },
    });
    expect(run.stderr).toContain("3 records, 3 valid, 0 invalid");
  });

  it("exits 1 on the seed's HR export, with each record's errors and a summary per code on stderr", async () => {
    const run = await runChild(["validate", join(repo, "samples", "hr-export.csv")]);
    expect(run.code).toBe(1);
    expect(run.lines.map((line) => [line.line, line.ok, codes(line)])).toEqual([
      [2, true, []],
      [3, true, []],
      [4, false, ["contact.alternateEmail:email_placeholder"]],
      [5, true, []],
      [6, false, ["contact.alternateEmail:email_invalid_syntax"]],
      [7, false, ["contact.mobilePhone:phone_missing_country"]],
    ]);
    expect(run.lines[1]?.contact).toEqual({
      mobilePhone: "+1 2065550199",
      officePhone: "+1 4255550100",
      alternateEmail: "KWAME@example.org",
    });
    expect(run.lines[1]?.warnings.map((w) => w.code)).toEqual(["phone_extension_dropped"]);
    expect(run.lines[2]?.errors[0]?.hint).toBeTruthy();
    expect(run.stderr).toContain("6 records, 3 valid, 3 invalid");
    expect(run.stderr).toMatch(
      /errors by code:\n(?: {2}\S+ +1\n){3}warnings by code:\n {2}phone_extension_dropped +1\n/,
    );
    expectNoPersonalData(run.stderr);
    for (const line of run.lines)
      for (const issue of [...line.errors, ...line.warnings]) expectNoPersonalData(issue.message);
  });

  it("reads national numbers in the --country region, which overrides DEFAULT_COUNTRY", async () => {
    const file = await aFile("national.csv", "employeeId,mobilePhone\nE1,0151 23456789\n");
    const run = await runCli(["validate", file, "--country", "DE"], { env: { DEFAULT_COUNTRY: "US" } });
    expect(run.lines[0]?.contact).toEqual({ mobilePhone: "+49 15123456789" });
    expect(run.code).toBe(0);
  });

  it("handles CSV quirks: BOM, CRLF, quoted commas and line breaks, blank and empty rows, short rows", async () => {
    const file = await aFile(
      "quirks.csv",
      [
        "\uFEFFEmployee ID,Name,Mobile Phone,Home Email",
        'E1,"Gomez, Lucia",612 34 56 78,lucia@example.com',
        "",
        ",,,",
        'E2,"Rossi,\r\nSofia",+39 312 345 6789,',
        "   ",
        "E3,Tanaka",
        "",
      ].join("\r\n"),
    );
    const run = await runCli(["validate", file, "--country", "ES"]);
    expect(run.lines.map((line) => [line.line, line.ok, line.contact])).toEqual([
      [2, true, { mobilePhone: "+34 612345678", alternateEmail: "lucia@example.com" }],
      [5, true, { mobilePhone: "+39 3123456789" }],
      [8, true, {}],
    ]);
    expect(run.lines[2]?.warnings.map((w) => w.code)).toEqual(["contact_empty"]);
    expect(run.code).toBe(0);
  });

  it("reads JSON Lines from stdin with -, keeping physical line numbers and reporting bad JSON per line", async () => {
    const stdin = [
      anEvent("ev-1", { mobilePhone: "+1 425 555 0147" }),
      "",
      "{not json 2065550199",
      anEvent("ev-4", { mobilePhone: "+1 4251234567X12345" }),
      anEvent(
        "ev-5",
        { alternateEmail: "a@example.com" },
        { securityQuestions: [{ q: "pet", a: "Rexford" }] },
      ),
    ].join("\n");
    for (const args of [
      ["validate", "-", "--format", "jsonl"],
      ["validate", "-"],
    ]) {
      const run = await runChild(args, { stdin });
      expect(run.lines.map((line) => [line.line, line.eventId, line.ok])).toEqual([
        [1, "ev-1", true],
        [3, null, false],
        [4, "ev-4", false],
        [5, "ev-5", false],
      ]);
      expect(codes(run.lines[1])).toEqual(["event:json_invalid"]);
      expect(run.lines[2]?.errors[0]?.message).toContain("NANP exchange codes cannot start with 0 or 1");
      expect(run.lines[2]?.errors[0]?.message).toContain("Microsoft");
      expect(codes(run.lines[3])).toEqual(["securityQuestions:security_questions_not_settable"]);
      expect(run.stdout + run.stderr).not.toContain("2065550199");
      expect(run.stdout + run.stderr).not.toContain("4251234567");
      expect(run.stdout + run.stderr).not.toContain("Rexford");
      expect(run.stderr).toContain("validate stdin (jsonl): 4 records, 1 valid, 3 invalid");
      expect(run.code).toBe(1);
    }
  });

  it("exits 1 when a pipe brings nothing, as `cat missing.jsonl | sspr-prepop validate -` does", async () => {
    const run = await runChild(["validate", "-"], { stdin: "" });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("validate stdin: the input is empty (0 bytes), so nothing was checked.");
  });

  it("reads a sheet Excel saved as Unicode text (UTF-16LE, tabs, CRLF)", async () => {
    const path = join(dir, "unicode.txt");
    await writeFile(path, excelFile(hrSheet, { delimiter: "\t", encoding: "utf-16le-bom" }));
    const run = await runCli(["validate", path]);
    expect(run.lines.map((line) => [line.line, line.ok, line.contact.mobilePhone])).toEqual([
      [2, true, "+49 15123456789"],
      [3, true, "+34 612345678"],
      [4, true, "+1 4255550147"],
      [7, true, "+43 6641234567"],
    ]);
    expect(run.stderr).toContain("(csv, UTF-16LE, tab-separated): 4 records, 4 valid, 0 invalid");
    expect(run.code).toBe(0);
  });

  it.each([
    ["a missing file", ["validate", "missing.csv"], "Cannot read missing.csv: no such file."],
    ["an unknown option", ["validate", "x.csv", "--verbose"], "unknown option --verbose"],
    ["an unknown command", ["frobnicate"], 'unknown command "frobnicate"'],
  ])("exits 2 with one clear line and no stack trace for %s", async (_, args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("stops with exit 2 instead of hanging when its reader goes away", async () => {
    const rows = Array.from(
      { length: 20_000 },
      (_, i) => `E${i},+1 425 555 01${String(i % 100).padStart(2, "0")}`,
    );
    const file = await aFile("big.csv", `employeeId,mobilePhone\n${rows.join("\n")}\n`);
    const run = await runChild(["validate", file], {
      onStdout: (child) => child.stdout?.destroy(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("stdout was closed");
  });
});
