import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../cli/reportCommand.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { parseTrendPoint } from "../../shared/readiness/readinessHistory.js";
import { aTenant, startEmulator } from "../support/graphEmulatorFixtures.js";

const summary = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    schema: "sspr-prepop.readiness-summary/1",
    generatedAt: "2026-11-11T08:00:00.000Z",
    source: "profileOnly",
    users: 10,
    buckets: { canResetNow: 2, afterPrepopulation: 7, cannot: 1 },
    ...overrides,
  });

describe("reading an earlier summary back for the trend", () => {
  it("reads a summary this report wrote", () => {
    expect(parseTrendPoint(summary())).toEqual({
      ok: true,
      point: {
        generatedAt: "2026-11-11T08:00:00.000Z",
        source: "profileOnly",
        users: 10,
        buckets: { canResetNow: 2, afterPrepopulation: 7, cannot: 1 },
      },
    });
  });

  it.each([
    ["text that is not JSON", "{not json", "not JSON"],
    ["another program's JSON", '{"name":"sspr-prepop","version":"0.1.0"}', "schema"],
    ["a JSON array", "[1,2,3]", "not a readiness summary"],
    ["JSON null", "null", "not a readiness summary"],
    ["buckets that don't add up", summary({ users: 11 }), "do not add up"],
    [
      "a negative count",
      summary({ buckets: { canResetNow: -1, afterPrepopulation: 10, cannot: 1 } }),
      "buckets",
    ],
    ["a date that isn't one", summary({ generatedAt: "last Tuesday" }), "generatedAt"],
    ["another format version", summary({ schema: "sspr-prepop.readiness-summary/9" }), "schema"],
  ])("skips %s, saying why", (_, text, problem) => {
    const parsed = parseTrendPoint(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toContain(problem);
  });
});

let emulator: GraphEmulator;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator({ tenant: aTenant(12) });
  emulator.tenant.grantPermission("AuditLog.Read.All");
  dir = await mkdtemp(join(tmpdir(), "sspr-report-history-"));
});

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

async function report(history: string, now: string) {
  let stderr = "";
  const err = new PassThrough().setEncoding("utf8");
  err.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const code = await reportCommand(
    ["--out", join(dir, "readiness.html"), "--csv", join(dir, "readiness.csv"), "--history", history],
    {
      stdin: Readable.from([]),
      stdout: new PassThrough().resume(),
      stderr: err,
      env: { GRAPH_BASE_URL: emulator.url, GRAPH_ACCESS_TOKEN: emulator.token },
    },
    { now: () => new Date(now) },
  );
  return { code, stderr, csv: await readFile(join(dir, "readiness.csv"), "utf8") };
}

describe("sspr-prepop report --history DIR", () => {
  it("creates the folder, keeps each run's summary (0600) and shows every run so far, oldest first", async () => {
    const history = join(dir, "new", "history");
    const first = await report(history, "2026-11-20T08:00:00Z");
    const second = await report(history, "2026-11-27T08:00:00Z");
    expect([first.code, second.code]).toEqual([0, 0]);
    expect((await readdir(history)).sort()).toEqual([
      "readiness-2026-11-20T080000Z.json",
      "readiness-2026-11-27T080000Z.json",
    ]);
    expect((await stat(history)).mode & 0o777).toBe(0o700);
    expect((await stat(join(history, "readiness-2026-11-27T080000Z.json"))).mode & 0o777).toBe(0o600);
    const trend = second.csv.split("\n").filter((line) => line.startsWith("trend,"));
    expect(trend.map((line) => line.split(",").slice(1, 4).join(" "))).toEqual([
      "2026-11-20T08:00:00.000Z canResetNow 0",
      "2026-11-20T08:00:00.000Z afterPrepopulation 12",
      "2026-11-20T08:00:00.000Z cannot 0",
      "2026-11-27T08:00:00.000Z canResetNow 0",
      "2026-11-27T08:00:00.000Z afterPrepopulation 12",
      "2026-11-27T08:00:00.000Z cannot 0",
    ]);
  });

  it("skips corrupt, foreign, oversized and unreadable files with a warning each, and never stops", async () => {
    const history = join(dir, "messy");
    await mkdir(history);
    await writeFile(join(history, "readiness-2026-11-11T080000Z.json"), summary());
    await writeFile(join(history, "broken.json"), "{not json");
    await writeFile(join(history, "package.json"), '{"name":"something-else"}');
    await writeFile(join(history, "inconsistent.json"), summary({ users: 99 }));
    await writeFile(join(history, "huge.json"), `"${"x".repeat(1024 * 1024 + 10)}"`);
    await mkdir(join(history, "folder.json"));
    await writeFile(join(history, "notes.txt"), "not a summary, not even .json: left alone");
    const run = await report(history, "2026-11-27T09:00:00Z");
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("skipped history file broken.json: not JSON");
    expect(run.stderr).toMatch(/skipped history file package\.json: not a readiness summary \(schema/);
    expect(run.stderr).toContain("skipped history file inconsistent.json: not a readiness summary");
    expect(run.stderr).toContain("skipped history file huge.json: larger than a summary");
    expect(run.stderr).toMatch(/skipped history file folder\.json: unreadable \(EISDIR\)/);
    expect(run.stderr).not.toContain("notes.txt");
    const trend = run.csv
      .split("\n")
      .filter((line) => line.startsWith("trend,") && line.includes(",canResetNow,"));
    expect(trend.map((line) => line.split(",")[1])).toEqual([
      "2026-11-11T08:00:00.000Z",
      "2026-11-27T09:00:00.000Z",
    ]);
    // The bad files are left as they were: the report never deletes what it did not write.
    expect(await readFile(join(history, "broken.json"), "utf8")).toBe("{not json");
  });

  it("refuses a history path that is a file, as a usage error (exit 2) naming it", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "x");
    await expect(report(file, "2026-11-27T10:00:00Z")).rejects.toThrow(
      /Cannot use --history .*a-file: EEXIST/,
    );
  });
});
