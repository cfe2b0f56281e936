import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readQueueHostSettings } from "../../shared/app/hostJson.js";

// What the README and docs/ promise a reader who pastes their examples: a PowerShell spelling beside every bash
// one, outputs that stay out of git, and the queue latency they state.
const repo = fileURLToPath(new URL("../..", import.meta.url));
const docs = ["README.md", ...readdirSync(join(repo, "docs")).map((file) => join("docs", file))].filter(
  (file) => file.endsWith(".md"),
);

interface Block {
  file: string;
  line: number;
  lang: string;
  text: string;
  /** The first non-blank line after the closing fence. */
  next: string;
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(repo, file), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i] ?? "");
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ""); i++) body.push(lines[i] ?? "");
    let next = i + 1;
    while (next < lines.length && (lines[next] ?? "").trim() === "") next++;
    blocks.push({
      file,
      line: start + 1,
      lang: open[2] ?? "",
      text: body.join("\n"),
      next: (lines[next] ?? "").trim(),
    });
  }
  return blocks;
}

const blocks = docs.flatMap(blocksOf);

describe("the README's and docs' examples", () => {
  it.each(docs)("%s has a powershell block right after each bash block", (file) => {
    const missing = blocksOf(file)
      .filter((block) => block.lang === "bash" && block.next !== "```powershell")
      .map((block) => `${block.file}:${block.line}`);
    expect(missing).toEqual([]);
  });

  it("marks as shell (both shells) only blocks without bash-only syntax", () => {
    const bashOnly = /^\s*export |\$\(|`|<<|\\$|2>\/dev\/null|\| sh\b|^\s*[A-Z_]+=\S+ |\beval\b/m;
    const wrong = blocks
      .filter((block) => block.lang === "shell" && bashOnly.test(block.text))
      .map((block) => `${block.file}:${block.line}`);
    expect(wrong).toEqual([]);
    expect(blocks.filter((block) => block.lang === "shell").length).toBeGreaterThan(0);
  });

  it("never runs the CLI through npx or an npm exec that could ask the registry", () => {
    const code = blocks.map((block) => block.text).join("\n");
    expect(code.match(/\bnpx\s+sspr-prepop[^\n]*/g) ?? []).toEqual([]);
    expect(code.match(/npm exec (?!--offline -- sspr-prepop)[^\n]*sspr-prepop[^\n]*/g) ?? []).toEqual([]);
    expect(code).toContain("npm exec --offline -- sspr-prepop");
  });
});

describe("the outputs the docs write in the clone", () => {
  const named = new Set<string>();
  for (const block of blocks) {
    for (const [, file] of block.text.matchAll(
      /(?:>|--report|--out|--csv|--users|Set-Content [^\n]*?)\s+([\w.-]+\.(?:jsonl|csv|html|json))\b/g,
    )) {
      if (file) named.add(file);
    }
  }
  for (const [, file] of readFileSync(join(repo, "cli", "reportCommand.ts"), "utf8").matchAll(
    /default: "([\w.]+)"/g,
  )) {
    if (file) named.add(file);
  }

  it("include the ones the issue named", () => {
    expect([...named]).toEqual(
      expect.arrayContaining(["results.jsonl", "result.csv", "readiness.html", "readiness.csv"]),
    );
  });

  it.each([...named].sort())("git ignores %s in the clone's root", (file) => {
    expect(spawnSync("git", ["check-ignore", "-q", file], { cwd: repo }).status).toBe(0);
  });

  it.each(["shared/readiness/readiness.ts", "shared/readiness/readinessReport.ts", "samples/hr-export.csv"])(
    "never ignores the source file %s",
    (file) => {
      expect(spawnSync("git", ["check-ignore", "-q", file], { cwd: repo }).status).toBe(1);
    },
  );
});

describe("queue polling", () => {
  it("waits at most 2 s for a new event after a quiet spell, as host.json says and docs/deploy.md prices", () => {
    expect(readQueueHostSettings().maxPollingIntervalMs).toBeLessThanOrEqual(2_000);
    const deploy = readFileSync(join(repo, "docs", "deploy.md"), "utf8");
    expect(deploy).toContain("`maxPollingInterval` to 2 s");
    expect(deploy).toContain("86,400 s / 2 s = 43,200 polls a day");
  });
});
