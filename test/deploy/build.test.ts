import { cp, mkdtemp, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildRun, runNode } from "../support/transpiledCli.js";

// `npm start` runs `npm run build` first (prestart). On a copy of the sources: the first build compiles, a second
// with nothing changed writes nothing, and a deleted source takes its compiled file with it.
const repo = fileURLToPath(new URL("../..", import.meta.url));
let copy: string;

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), "sspr-build-"));
  for (const entry of [
    "functions",
    "shared",
    "local",
    "cli",
    "scripts",
    "package.json",
    "tsconfig.json",
    "tsconfig.build.json",
  ]) {
    await cp(join(repo, entry), join(copy, entry), { recursive: true });
  }
  await symlink(join(repo, "node_modules"), join(copy, "node_modules"), "dir");
});
afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

const build = (): Promise<ChildRun> => runNode(join(copy, "scripts", "build.mjs"), [], { cwd: copy });

async function outputTimes(): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const entry of await readdir(join(copy, "dist"), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    times.set(relative(copy, file), (await stat(file)).mtimeMs);
  }
  return times;
}

describe("npm run build", () => {
  it("compiles once, then writes nothing when no source changed", async () => {
    const first = await build();
    expect(first.code).toBe(0);
    const compiled = await outputTimes();
    expect(compiled.has(join("dist", "local", "start.js"))).toBe(true);
    const started = performance.now();
    const second = await build();
    const seconds = (performance.now() - started) / 1000;
    expect(second.code).toBe(0);
    expect(await outputTimes()).toEqual(compiled);
    console.log(`build with nothing changed: ${seconds.toFixed(1)} s`);
  }, 180_000);

  it("removes the compiled file of a deleted source, so the local host cannot load a function nobody wrote", async () => {
    await rm(join(copy, "functions", "getOutcome.ts"));
    const run = await build();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("removed 2 compiled files whose source is gone");
    const left = await readdir(join(copy, "dist", "functions"));
    expect(left.filter((file) => file.startsWith("getOutcome"))).toEqual([]);
  }, 180_000);
});
