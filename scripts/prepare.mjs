// `npm install` builds the CLI and functions so `npx sspr-prepop` works at once. In a deployment package
// (remote build) the TypeScript sources and compiler are deliberately absent: dist/ is already built there.
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
if (!existsSync("tsconfig.build.json") || !tsc) {
  console.log("prepare: no TypeScript sources or compiler here; using the prebuilt dist/");
} else {
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
