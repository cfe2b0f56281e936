import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { inject } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The CLI transpiled the way `npm run build` does (types stripped, nothing bundled) into `outDir`, with the
 * repo's package.json and node_modules beside it: a plain `node` start, ~3x faster than `node --import tsx`.
 * Returns the bin's path.
 */
export async function transpiledCli(outDir: string): Promise<string> {
  const pending = [join(repo, "cli", "sspr-prepop.ts")];
  const done = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const source = await readFile(file, "utf8");
    for (const [, specifier] of source.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) {
      pending.push(resolve(dirname(file), `${specifier}.ts`));
    }
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const target = join(outDir, relative(repo, file)).replace(/\.ts$/, ".js");
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
  await copyFile(join(repo, "package.json"), join(outDir, "package.json"));
  await copyFile(join(repo, "host.json"), join(outDir, "host.json"));
  await symlink(join(repo, "node_modules"), join(outDir, "node_modules"), "dir");
  return join(outDir, "cli", "sspr-prepop.js");
}

let shared: Promise<string> | undefined;

/**
 * The transpiled CLI of this test run, built once for all its files (transpiling takes seconds of CPU) under the
 * run's directory (test/support/globalSetup.ts). Each file that finds none builds one in a directory of its own and
 * renames it into place; the rename is atomic, so a file never sees half a build, and when two files race the
 * second's build is dropped. The sources cannot change under a run's feet, so one build serves every file.
 */
export function sharedTranspiledCli(): Promise<string> {
  shared ??= (async () => {
    const runDir = runDirectory() ?? (await mkdtemp(join(tmpdir(), "sspr-cli-")));
    const target = join(runDir, "transpiled-cli");
    const bin = join(target, "cli", "sspr-prepop.js");
    if (existsSync(bin)) return bin;
    const building = await mkdtemp(join(runDir, "transpiling-"));
    await transpiledCli(building);
    try {
      await rename(building, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      await rm(building, { recursive: true, force: true });
    }
    return bin;
  })();
  return shared;
}

function runDirectory(): string | undefined {
  try {
    return inject("runDir");
  } catch {
    return undefined;
  }
}

/** One finished run of a child process. */
export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin ...args` to its end; stdin is empty. */
export function runNode(
  bin: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? repo,
      env: options.env ?? process.env,
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
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end();
  });
}
