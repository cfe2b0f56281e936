import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";

// The same dispatch and command code as the bin, run in-process with fake streams: fast enough to cover every
// option and input error. validateCli.test.ts runs the real bin for the end-to-end paths.
const repo = fileURLToPath(new URL("../..", import.meta.url));

interface OutputLine {
  line: number;
  eventId: string | null;
  ok: boolean;
  contact: Record<string, string>;
  errors: { field: string; code: string; message: string }[];
  warnings: { field: string; code: string; message: string }[];
}

async function run(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.setEncoding("utf8").on("data", (chunk: string) => out.push(chunk));
  stderr.setEncoding("utf8").on("data", (chunk: string) => err.push(chunk));
  const code = await main(argv, {
    stdin: Readable.from([options.stdin ?? ""]),
    stdout,
    stderr,
    env: options.env ?? {},
  });
  const text = out.join("");
  const lines = text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as OutputLine);
  return { code, stdout: text, stderr: err.join(""), lines };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-main-"));
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

const anEvent = (contact: Record<string, unknown>) =>
  JSON.stringify({
    eventId: "ev-1",
    source: "test",
    occurredAt: "2026-11-24T09:00:00Z",
    user: { employeeId: "E1" },
    contact,
  });

describe("sspr-prepop main", () => {
  it("rejects an organization address when ORGANIZATION_DOMAINS names its domain", async () => {
    const result = await run(["validate", join(repo, "samples", "hr-export.csv")], {
      env: { ORGANIZATION_DOMAINS: "contoso.example" },
    });
    expect(codes(result.lines[3])).toEqual(["contact.alternateEmail:email_is_organizational"]);
    expect(result.stderr).toContain("email_is_organizational");
  });

  it("reads national numbers in DEFAULT_COUNTRY, and refuses them without a region", async () => {
    const file = await aFile("national.csv", "employeeId,mobilePhone\nE1,0151 23456789\n");
    const withSetting = await run(["validate", file], { env: { DEFAULT_COUNTRY: "DE" } });
    const withCountryName = await run(["validate", file, "--country", "Germany"]);
    const without = await run(["validate", file]);
    expect(withSetting.lines[0]?.contact).toEqual({ mobilePhone: "+49 15123456789" });
    expect(withCountryName.lines[0]?.contact).toEqual({ mobilePhone: "+49 15123456789" });
    expect(codes(without.lines[0])).toEqual(["contact.mobilePhone:phone_missing_country"]);
    expect([withSetting.code, withCountryName.code, without.code]).toEqual([0, 0, 1]);
  });

  it("maps BambooHR's column names and country names", async () => {
    const file = await aFile(
      "bamboohr.csv",
      [
        "Employee #,First Name,Mobile Phone,Work Phone,Home Email,Country",
        "E40412,Avery,(425) 555-0147,425.555.0100 x4412,Avery.L@Example.com,United States",
        "E40413,Jonas,0151 23456789,,,Deutschland",
      ].join("\n"),
    );
    const result = await run(["validate", file]);
    expect(result.lines.map((line) => line.contact)).toEqual([
      { mobilePhone: "+1 4255550147", officePhone: "+1 4255550100", alternateEmail: "Avery.L@example.com" },
      { mobilePhone: "+49 15123456789" },
    ]);
    expect(result.code).toBe(0);
  });

  it("refuses a security-question column without echoing its values", async () => {
    const file = await aFile(
      "secret.csv",
      "employeeId,mobilePhone,Security Answer\nE1,+1 425 555 0147,Rexford\n",
    );
    const result = await run(["validate", file]);
    expect(codes(result.lines[0])).toEqual(["contact.Security Answer:security_questions_not_settable"]);
    expect(result.stdout + result.stderr).not.toContain("Rexford");
    expect(result.code).toBe(1);
  });

  it("derives the same eventIds for the same rows in every run and file", async () => {
    const content = "employeeId,mobilePhone\nE1,+1 425 555 0147\nE2,+1 425 555 0148\n";
    const first = await run(["validate", await aFile("ids-a.csv", content)]);
    const second = await run(["validate", await aFile("ids-b.csv", `\n${content}`)]);
    const ids = first.lines.map((line) => line.eventId);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^csv-[0-9a-f]{32}$/);
    expect(second.lines.map((line) => line.eventId)).toEqual(ids);
  });

  it("reads .ndjson files and the project's JSONL samples", async () => {
    const file = await aFile("events.ndjson", `${anEvent({ mobilePhone: "+44 7400 123456" })}\n`);
    const ndjson = await run(["validate", file]);
    const valid = await run(["validate", join(repo, "samples", "contact-events.jsonl")]);
    const invalid = await run(["validate", join(repo, "samples", "invalid-contact-events.jsonl")]);
    expect(ndjson.lines[0]?.contact).toEqual({ mobilePhone: "+44 7400123456" });
    expect(valid.lines.map((line) => line.ok)).toEqual([true, true, true, true]);
    expect(invalid.lines.map((line) => line.ok)).toEqual([false, false, false, false, false, false]);
    expect([ndjson.code, valid.code, invalid.code]).toEqual([0, 0, 1]);
  });

  it("reads CSV from stdin when the first character is not {", async () => {
    const result = await run(["validate", "-"], { stdin: "employeeId,mobilePhone\nE1,+1 425 555 0147\n" });
    expect(result.lines[0]?.contact).toEqual({ mobilePhone: "+1 4255550147" });
    expect(result.stderr).toContain("validate stdin (csv): 1 record, 1 valid, 0 invalid");
  });

  it("accepts merely possible numbers with PHONE_VALIDATION=possible, with a warning", async () => {
    const result = await run(["validate", "-", "--format", "jsonl"], {
      stdin: anEvent({ mobilePhone: "+1 4251234567" }),
      env: { PHONE_VALIDATION: "possible" },
    });
    expect(result.lines[0]).toMatchObject({ ok: true, contact: { mobilePhone: "+1 4251234567" } });
    expect(result.lines[0]?.warnings.map((w) => w.code)).toEqual(["phone_possible_only"]);
    expect(result.code).toBe(0);
  });

  it("skips a JSON line longer than 1 MB with an issue and carries on", async () => {
    const stdin = `{"eventId":"${"x".repeat(1_100_000)}"}\n${anEvent({ mobilePhone: "+44 7400 123456" })}\n`;
    const result = await run(["validate", "-"], { stdin });
    expect(result.lines.map((line) => [line.line, codes(line)])).toEqual([
      [1, ["event:json_line_too_long"]],
      [2, []],
    ]);
  });

  it("exits 0 with no records for an input with only a header", async () => {
    const result = await run(["validate", await aFile("header-only.csv", "employeeId,mobilePhone\n")]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("0 records, 0 valid, 0 invalid");
  });

  it.each([
    [["validate", "--help"], "Usage: sspr-prepop validate FILE|-"],
    [["--help"], "Usage: sspr-prepop <command>"],
  ])("prints usage for %j and exits 0", async (argv, usage) => {
    const result = await run(argv);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(usage);
  });

  it.each([
    ["no command", [], {}, "Usage: sspr-prepop <command>"],
    ["no FILE", ["validate"], {}, "validate needs a FILE"],
    ["two FILEs", ["validate", "a.csv", "b.csv"], {}, "exactly one FILE"],
    ["a missing --country value", ["validate", "-", "--country"], {}, "--country needs a value"],
    ["a bad --format", ["validate", "-", "--format", "xml"], {}, "--format must be csv or jsonl"],
    [
      "a bad --country",
      ["validate", "-", "--country", "ZZ"],
      {},
      "--country must be an ISO 3166-1 alpha-2 code",
    ],
    ["a bad PHONE_VALIDATION", ["validate", "-"], { PHONE_VALIDATION: "strict" }, "PHONE_VALIDATION"],
    ["a bad DEFAULT_COUNTRY", ["validate", "-"], { DEFAULT_COUNTRY: "ZZ" }, "DEFAULT_COUNTRY"],
    ["a directory", ["validate", "test"], {}, "Cannot read test: not a regular file."],
    ["a JSON file", ["validate", "events.json"], {}, "looks like a JSON array"],
  ])("exits 2 with one clear line for %s", async (_, argv, env, message) => {
    const result = await run(argv, { env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    if (argv.length > 0) expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it.each([
    [
      "a CSV without known columns",
      "people.csv",
      "name,department\nAvery,Sales\n",
      "none of the known columns",
    ],
    ["an empty CSV", "empty.csv", "", "expected a header row"],
    ["a JSON array on a .jsonl path", "events.jsonl", "[]", "is an array, not an object"],
    ["an unclosed quote", "broken.csv", 'employeeId,mobilePhone\nE1,"+1 425 555 0147\n', "cannot be parsed"],
  ])("reports %s", async (_, name, content, message) => {
    const result = await run(["validate", await aFile(name, content)]);
    expect(result.stdout + result.stderr).toContain(message);
    expect(result.stderr).not.toContain("425 555 0147");
  });
});
