import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { openReportOutput } from "../../cli/openReportOutput.js";
import { openUsersCsv } from "../../cli/openUsersCsv.js";
import { openPrivateWriteStream } from "../../cli/privateFile.js";
import { writeAtomically } from "../../cli/writeAtomically.js";
import {
  type BackfillCheckpoint,
  writeBackfillCheckpoint,
} from "../../shared/backfill/backfillCheckpoint.js";

// The attack: someone who can write the directory a report goes to (a shared /tmp) plants a symlink at the name the
// run will write, pointing at a file of the victim's (~/.bashrc, another report). Before, the temporary file was
// `${path}.${pid}.tmp`, written without `wx`: the write went through the link. Now temporary files have random
// names and are created exclusively, and the streams a report is written to never follow a link.

// A name the attacker guessed: while `guessable` is set, randomBytes answers fixed bytes, as if the attacker had
// predicted the random name. That is the only way to plant a link at "any name" the code could pick.
const guessed = { on: false };
vi.mock("node:crypto", async (original) => {
  const crypto = await original<typeof import("node:crypto")>();
  return {
    ...crypto,
    randomBytes: (size: number) => (guessed.on ? Buffer.alloc(size, 0xab) : crypto.randomBytes(size)),
  };
});

let dir: string;
let victim: string;
const victimText = "the victim's own file\n";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-temporary-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  guessed.on = false;
  await rm(join(dir, "run"), { recursive: true, force: true });
  await mkdir(join(dir, "run"));
  victim = join(dir, "victim.txt");
  await writeFile(victim, victimText, { mode: 0o644 });
});

const at = (name: string) => join(dir, "run", name);
const victimUntouched = async () => {
  expect(await readFile(victim, "utf8")).toBe(victimText);
  expect((await stat(victim)).mode & 0o777).toBe(0o644);
};
const isRegularPrivateFile = async (path: string) => {
  const info = await lstat(path);
  expect([info.isFile(), info.mode & 0o777]).toEqual([true, 0o600]);
};
const checkpoint: BackfillCheckpoint = {
  version: 1,
  input: { path: "export.csv", size: 1, mtimeMs: 0 },
  options: { mode: "fillEmpty", target: "profile", syncedMobile: "skip" },
  doneThroughLine: 2,
  totals: { rows: 1, writes: 0, byStatus: {}, outcomesRecorded: 0, outcomeErrors: 0 },
  updatedAt: "2026-11-24T09:00:00Z",
};

const writers = [
  ["the report's HTML/CSV (writeAtomically)", (path: string) => writeAtomically(path, "report\n")],
  ["the backfill checkpoint", (path: string) => writeBackfillCheckpoint(path, checkpoint)],
] as const;

describe("temporary files are created exclusively, with random names", () => {
  it.each(writers)("%s: a symlink at the old predictable name is not followed", async (_, write) => {
    const path = at("readiness.html");
    await symlink(victim, `${path}.${process.pid}.tmp`);
    await write(path);
    await victimUntouched();
    await isRegularPrivateFile(path);
  });

  it.each(writers)("%s: a symlink at the random name, guessed, fails the write instead", async (_, write) => {
    const path = at("readiness.html");
    guessed.on = true;
    const name = `${path}.${"ab".repeat(16)}.tmp`;
    await symlink(victim, name);
    await expect(write(path)).rejects.toThrow(/EEXIST/);
    await victimUntouched();
    expect((await lstat(name)).isSymbolicLink()).toBe(true);
    await expect(lstat(path)).rejects.toThrow(/ENOENT/);
  });

  it.each(writers)(
    "%s: a symlink at the target itself is replaced, not written through",
    async (_, write) => {
      const path = at("readiness.html");
      await symlink(victim, path);
      await write(path);
      await victimUntouched();
      await isRegularPrivateFile(path);
    },
  );

  it.each(writers)("%s: leaves no temporary file behind", async (_, write) => {
    await write(at("readiness.html"));
    expect(await readdir(join(dir, "run"))).toEqual(["readiness.html"]);
  });
});

describe("the files a report streams to never follow a symlink", () => {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
  const streams = [
    ["a new file (w)", (path: string) => openPrivateWriteStream(path, "w")],
    ["an appended file (a, --resume)", (path: string) => openPrivateWriteStream(path, "a")],
    ["the backfill --report, replaced (--force)", (path: string) => openReportOutput(path, io, false, true)],
    ["the backfill --report, resumed", (path: string) => openReportOutput(path, io, true, true)],
    ["the report --users CSV", (path: string) => openUsersCsv(path)],
  ] as const;

  it.each(streams)(
    "refuses %s when a symlink is planted at its name, writing nothing through it",
    async (_, openIt) => {
      const path = at("report.csv");
      await symlink(victim, path);
      await expect(openIt(path)).rejects.toThrow(/symbolic link/);
      await victimUntouched();
    },
  );

  it.each(streams)(
    "refuses %s when a dangling symlink is planted (it would create the target)",
    async (_, openIt) => {
      const path = at("report.csv");
      const target = join(dir, "created-by-the-run.txt");
      await symlink(target, path);
      await expect(openIt(path)).rejects.toThrow(/symbolic link/);
      await expect(lstat(target)).rejects.toThrow(/ENOENT/);
    },
  );
});
