// `npm install` in the clone builds the CLI and functions, so `npm exec --offline -- sspr-prepop` works at once.
// Where the TypeScript sources or compiler are absent (an installed tarball, whose dist/ is already built),
// there is nothing to do.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve("typescript/bin/tsc");
} catch {
  tsc = undefined;
}
if (!existsSync("tsconfig.build.json") || !tsc || !existsSync("scripts/build.mjs")) {
  console.log("prepare: no TypeScript sources or compiler here; using the prebuilt dist/");
} else {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
