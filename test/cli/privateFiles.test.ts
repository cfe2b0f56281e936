import { chmod, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPrivateWriteStream } from "../../cli/privateFile.js";
import { reportCommand } from "../../cli/reportCommand.js";
import { writeAtomically } from "../../cli/writeAtomically.js";
import {
  type BackfillCheckpoint,
  backfillCheckpointPath,
  writeBackfillCheckpoint,
} from "../../shared/backfill/backfillCheckpoint.js";
import { aTenant } from "../support/graphEmulatorFixtures.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

let dir: string;
let env: TestEnvironment;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-private-"));
  env = await startTestEnvironment({
    graph: { tenant: { users: aTenant(3).users } },
  });
});
afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** A file that exists and anyone on the machine may read, as an earlier run or another tool left it. */
async function aWorldReadableFile(name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, "left over\n");
  await chmod(path, 0o644);
  return path;
}

describe("files that name users are owner-only (0600)", () => {
  it.each([
    ["a new file", false],
    ["a world-readable file that already exists", true],
  ])("opens %s for writing as 0600", async (_case, exists) => {
    const path = exists ? await aWorldReadableFile("stream.csv") : join(dir, "new-stream.csv");
    const stream = await openPrivateWriteStream(path);
    await new Promise<void>((done) => stream.end("x\n", done));
    expect(await modeOf(path)).toBe(0o600);
  });

  it("appends to a world-readable file and narrows it to 0600", async () => {
    const path = await aWorldReadableFile("append.csv");
    const stream = await openPrivateWriteStream(path, "a");
    await new Promise<void>((done) => stream.end("x\n", done));
    expect(await modeOf(path)).toBe(0o600);
  });

  it("writes a whole file as 0600 even over a world-readable one", async () => {
    const path = await aWorldReadableFile("whole.txt");
    await writeAtomically(path, "report\n");
    expect(await modeOf(path)).toBe(0o600);
  });

  it("writes the report's HTML, CSV and per-user CSV as 0600, replacing world-readable ones", async () => {
    const paths = {
      out: await aWorldReadableFile("readiness.html"),
      csv: await aWorldReadableFile("readiness.csv"),
      users: await aWorldReadableFile("users.csv"),
    };
    const code = await reportCommand(["--out", paths.out, "--csv", paths.csv, "--users", paths.users], {
      stdin: Readable.from([]),
      stdout: new PassThrough().resume(),
      stderr: new PassThrough().resume(),
      env: { ...process.env },
    });
    expect(code).toBe(0);
    for (const path of Object.values(paths)) expect(await modeOf(path), path).toBe(0o600);
    // No temporary file is left behind.
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("writes the backfill checkpoint as 0600, replacing a world-readable one", async () => {
    const input = join(dir, "export.csv");
    const path = backfillCheckpointPath(input);
    await writeFile(path, "{}");
    await chmod(path, 0o644);
    const checkpoint: BackfillCheckpoint = {
      version: 1,
      input: { path: input, size: 1, mtimeMs: 0 },
      options: { mode: "fillEmpty", target: "profile", syncedMobile: "skip" },
      doneThroughLine: 2,
      totals: { rows: 1, writes: 0, byStatus: {}, outcomesRecorded: 0, outcomeErrors: 0 },
      updatedAt: "2026-11-24T09:00:00Z",
    };
    await writeBackfillCheckpoint(path, checkpoint);
    expect(await modeOf(path)).toBe(0o600);
  });
});
