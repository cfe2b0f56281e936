#!/usr/bin/env node
// `npm run build` (and `npm start`, `npm install` through prestart and prepare): compiles into dist/ only what
// changed. `tsc -b` compares sources with dist/ and its build info, so a start with nothing changed costs well
// under a second instead of a full compile. It then removes compiled files whose source is gone: the local host
// loads every dist/functions/*.js, and a stale one would come back as a function nobody wrote.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

try {
  execFileSync(process.execPath, [tsc, "-b", join(root, "tsconfig.build.json")], {
    stdio: "inherit",
    cwd: root,
  });
} catch {
  process.exit(1);
}

let removed = 0;
for (const folder of ["functions", "shared", "local", "cli"]) {
  const dir = join(dist, folder);
  if (!existsSync(dir)) continue;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const compiled = join(entry.parentPath ?? entry.path, entry.name);
    const source = join(root, relative(dist, compiled)).replace(/\.js(\.map)?$/, ".ts");
    if (source.endsWith(".ts") && !existsSync(source)) {
      rmSync(compiled);
      removed++;
    }
  }
}
if (removed > 0) console.log(`build: removed ${removed} compiled files whose source is gone`);
