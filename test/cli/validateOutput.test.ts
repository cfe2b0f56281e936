import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { excelFile, hrSheet } from "../support/excelFiles.js";

// validate's output formats, summary and input verdicts, run in-process through main() with fake streams.

async function run(
  argv: string[],
  options: { stdin?: string | Buffer; env?: Record<string, string>; terminal?: boolean } = {},
) {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.terminal === true });
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.setEncoding("utf8").on("data", (chunk: string) => out.push(chunk));
  stderr.setEncoding("utf8").on("data", (chunk: string) => err.push(chunk));
  const stdin = options.stdin === undefined ? Readable.from([]) : Readable.from([options.stdin]);
  const code = await main(argv, { stdin, stdout, stderr, env: options.env ?? {} });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-output-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function aFile(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const sample = [
  "employeeId,country,mobilePhone,officePhone,alternateEmail",
  "E1,US,Mobile: (425) 555-0147,425.555.0100,Avery.L@Example.com",
  "E2,DE,0151 23456789 / 030 1234567,,n/a",
  '=HYPERLINK("http://example.com"),US,+1 425 555 0148,,',
].join("\n");

describe("validate --output", () => {
  it("prints a table for a person at a terminal and JSON Lines into a pipe", async () => {
    const file = await aFile("sample.csv", sample);
    const terminal = await run(["validate", file], { terminal: true });
    expect(terminal.stdout.split("\n")[0]).toMatch(/^ {2}LINE {2}RESULT {3}FIELD +CODE +DETAIL$/);
    expect(terminal.stdout).toContain("     2  valid");
    expect(terminal.stdout).toContain(
      "mobile +1 4255550147  office +1 4255550100  email Avery.L@example.com",
    );
    expect(terminal.stdout).toMatch(
      / {5}2 {2}warning {2}contact\.mobilePhone +phone_label_removed +contact\.mobilePhone: the label "Mobile" was removed/,
    );
    expect(terminal.stdout).toMatch(/ {5}3 {2}error {4}contact\.mobilePhone +phone_multiple +/);
    expect(terminal.stdout).toMatch(/ {5}3 {2}error {4}contact\.alternateEmail +email_placeholder +/);
    const piped = await run(["validate", file]);
    expect(
      piped.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line).line),
    ).toEqual([2, 3, 4]);
    expect(terminal.code).toBe(1);
    expect(piped.code).toBe(1);
  });

  it.each([
    ["jsonl", "{"],
    ["csv", "line,eventId,ok,mobilePhone"],
    ["table", "  LINE  RESULT"],
  ])("prints %s when asked, on a terminal or not", async (output, start) => {
    const file = await aFile(`sample-${output}.csv`, sample);
    for (const terminal of [true, false]) {
      expect((await run(["validate", file, "--output", output], { terminal })).stdout.startsWith(start)).toBe(
        true,
      );
    }
  });

  it("writes one CSV row per record, errors and warnings as code (field): message, formulas neutralized", async () => {
    const file = await aFile("sample-csv-rows.csv", sample);
    const { stdout } = await run(["validate", file, "--output", "csv"]);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("line,eventId,ok,mobilePhone,officePhone,alternateEmail,errors,warnings");
    expect(lines[1]).toMatch(
      /^2,csv-[0-9a-f]{32},true,'\+1 4255550147,'\+1 4255550100,Avery\.L@example\.com,,"phone_label_removed \(contact\.mobilePhone\): contact\.mobilePhone: the label ""Mobile"" was removed/,
    );
    expect(stdout).toContain('"phone_multiple (contact.mobilePhone): contact.mobilePhone ');
    expect(stdout).toContain("\nemail_placeholder (contact.alternateEmail): ");
    // An event id from the input never starts a formula in a spreadsheet.
    const formula = JSON.stringify({
      eventId: '=HYPERLINK("http://example.com")',
      source: "hr",
      occurredAt: "2026-11-24T09:00:00Z",
      user: { employeeId: "E1" },
      contact: { mobilePhone: "+1 425 555 0147" },
    });
    const injected = await run(["validate", "-", "--output", "csv"], { stdin: `${formula}\n` });
    expect(injected.stdout.split("\n")[1]).toMatch(/^1,"'=HYPERLINK\(""http:\/\/example\.com""\)",true,/);
  });

  it("never lets a value from the input move the cursor or recolour the terminal", async () => {
    const event = JSON.stringify({
      eventId: "ev-\u001b]0;owned\u0007",
      source: "hr",
      occurredAt: "2026-11-24T09:00:00Z",
      user: { employeeId: "E1" },
      contact: { mobilePhone: "+1 425 555 0147" },
      "\u001b[2J\u001b[31mpager\u202e": "x",
    });
    const { stdout } = await run(["validate", "-", "--output", "table"], { stdin: `${event}\n` });
    expect(stdout).toContain("\\u001b[2J\\u001b[31mpager\\u202e");
    // Only the line breaks of the table itself remain of all control characters.
    expect(stdout.replaceAll("\n", "")).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
  });

  it("refuses an output format it does not know", async () => {
    const result = await run(["validate", "-", "--output", "xml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--output must be table, jsonl or csv");
  });
});

describe("validate's summary", () => {
  it("counts with thousands separators", async () => {
    const rows = Array.from(
      { length: 1_234 },
      (_, i) => `E${i},+1 425 555 01${String(i % 100).padStart(2, "0")}`,
    );
    rows[7] = "E7,n/a";
    const file = await aFile("many.csv", `employeeId,mobilePhone\n${rows.join("\n")}\n`);
    const { stderr } = await run(["validate", file]);
    expect(stderr).toContain("1,234 records, 1,233 valid, 1 invalid");
  });

  it("says 1 record, not 1 records", async () => {
    const file = await aFile("one.csv", "employeeId,mobilePhone\nE1,+1 425 555 0147\n");
    expect((await run(["validate", file])).stderr).toContain(": 1 record, 1 valid, 0 invalid");
  });

  it("names the encoding and separator it detected when they are not UTF-8 and commas", async () => {
    const file = await aFile(
      "unicode.txt",
      excelFile(hrSheet, { delimiter: "\t", encoding: "utf-16le-bom" }),
    );
    const result = await run(["validate", file]);
    expect(result.stderr).toContain(
      `validate ${file} (csv, UTF-16LE, tab-separated): 4 records, 4 valid, 0 invalid`,
    );
    expect(result.code).toBe(0);
  });

  it("says that the email check was offline, and against which domains, when a record has an alternate email", async () => {
    const file = await aFile("emails.csv", "employeeId,alternateEmail\nE1,mei@example.org\n");
    expect((await run(["validate", file])).stderr).toContain(
      "note: this check is offline, so alternate emails were compared with nothing: ORGANIZATION_DOMAINS is not set; the deployed app also refuses every verified domain of the tenant.",
    );
    const withDomains = await run(["validate", file], { env: { ORGANIZATION_DOMAINS: "contoso.example" } });
    expect(withDomains.stderr).toContain("compared with ORGANIZATION_DOMAINS only (contoso.example);");
    const noEmail = await aFile("no-emails.csv", "employeeId,mobilePhone\nE1,+1 425 555 0147\n");
    expect((await run(["validate", noEmail])).stderr).not.toContain("note:");
  });
});

describe("validate and inputs without records", () => {
  it.each([
    ["stdin, format sniffed", ["validate", "-"]],
    ["stdin as JSON Lines", ["validate", "-", "--format", "jsonl"]],
    ["stdin as CSV", ["validate", "-", "--format", "csv"]],
  ])("exits 1 on an empty %s: a producer that failed is not 'all valid'", async (_, argv) => {
    const result = await run(argv);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "validate stdin: the input is empty (0 bytes), so nothing was checked. If it comes from a pipe, the command writing it may have failed.\n",
    );
  });

  it("exits 1 on JSON Lines with blank lines only", async () => {
    const result = await run(["validate", "-", "--format", "jsonl"], { stdin: "\n\n" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("0 records: the input holds no record, so nothing was checked.");
  });

  it("exits 2 with one header error, not one error per row, when no column names the user", async () => {
    const rows = Array.from(
      { length: 50 },
      (_, i) => `Avery ${i},+1 425 555 01${String(i).padStart(2, "0")}`,
    );
    const file = await aFile("no-id.csv", `Name,Mobile Phone\n${rows.join("\n")}\n`);
    const result = await run(["validate", file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      "sspr-prepop validate: The CSV header has no column that says which user a row is about (it has Mobile Phone). Add a userPrincipalName, employeeId or objectId column (BambooHR: Employee #); without one no row can be applied.",
    ]);
  });
});
