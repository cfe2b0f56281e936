#!/usr/bin/env node
// `npm run package`: the deployment package, a folder azd zips and deploys as it is (azure.yaml: dist .deploy,
// remoteBuild false). azd runs it as the api service's prepackage hook. Plain Node, no network: dependencies are
// copied from this clone's node_modules, so it needs a prior `npm ci` (azd runs `npm install` before packaging).
//
//   node scripts/package.mjs [--out DIR]        (default .deploy)
//
// The folder holds exactly what the Functions host runs, and nothing compiled or installed in Azure:
//   dist/functions/, dist/shared/   compiled from source into the folder (never a copy of dist/, which may hold
//                                   files whose source is gone: the main glob would deploy them as functions)
//   host.json
//   package.json                    main, type, engines and dependencies only: no scripts (nothing for a
//                                   remote build to run), no devDependencies
//   package-lock.json               the clone's lock without its dev entries
//   node_modules/                   the production dependencies at their locked versions, without TypeScript
//                                   files or source maps (never loaded at run time)
//   .funcignore                     the one in the project root: azd applies it when it zips this folder
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string", default: ".deploy" } } });
const out = resolve(root, values.out);
const started = Date.now();

const pkg = readJson(join(root, "package.json"));
const lock = readJson(join(root, "package-lock.json"));

clean(out);
compile(out);
copyFileSync(join(root, "host.json"), join(out, "host.json"));
copyFileSync(join(root, ".funcignore"), join(out, ".funcignore"));
writeJson(join(out, "package.json"), stagedPackageJson(pkg));
const production = productionEntries(lock);
writeJson(join(out, "package-lock.json"), stagedLock(lock, pkg, production));
copyDependencies(production, out);

const { files, bytes } = measure(out);
console.log(
  `package: ${out.startsWith(root + sep) ? relative(root, out) : out} (${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MB, ${Object.keys(production).length} production packages) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

/** Empties the output folder, refusing to touch one that is not an earlier package (a typo in --out must not wipe a folder). */
function clean(dir) {
  if (!existsSync(dir)) return;
  if (dir === root || root.startsWith(dir + sep)) fail(`--out ${dir} is the project or one of its parents`);
  const entries = readdirSync(dir);
  const staged = entries.includes("package.json") && readJson(join(dir, "package.json"));
  const isEarlierPackage = staged && staged.name === pkg.name && !staged.scripts && !staged.devDependencies;
  if (entries.length > 0 && !isEarlierPackage)
    fail(`--out ${dir} is not empty and holds no earlier package: not deleting it`);
  rmSync(dir, { recursive: true, force: true });
}

function compile(dir) {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(
    process.execPath,
    [tsc, "-p", join(root, "tsconfig.package.json"), "--outDir", join(dir, "dist")],
    {
      stdio: "inherit",
      cwd: root,
    },
  );
}

/** package.json as the Functions host and a remote build see it: how to load the app, and its dependencies. */
function stagedPackageJson(source) {
  const { name, version, private: isPrivate, description, type, main, engines, dependencies } = source;
  return { name, version, private: isPrivate, description, type, main, engines, dependencies };
}

/**
 * The lock's production entries ("node_modules/…" paths without `dev: true`), as `npm ci --omit=dev` would
 * install them.
 */
function productionEntries(source) {
  if (source.lockfileVersion < 2)
    fail("package-lock.json is older than lockfile version 2: run npm install with npm 7 or later");
  const entries = {};
  for (const [path, entry] of Object.entries(source.packages ?? {})) {
    if (path === "" || entry.dev || entry.link) continue;
    entries[path] = entry;
  }
  return entries;
}

function stagedLock(source, sourcePkg, production) {
  const rootEntry = source.packages[""] ?? {};
  const { devDependencies: _dev, ...rest } = rootEntry;
  return {
    ...source,
    packages: { "": { ...rest, dependencies: sourcePkg.dependencies }, ...production },
  };
}

/** Copies each production package from node_modules, after checking it is the locked version. */
function copyDependencies(entries, dir) {
  const notInstalled = [];
  for (const [path, entry] of Object.entries(entries)) {
    const from = join(root, path);
    const manifest = join(from, "package.json");
    if (!existsSync(manifest)) {
      // An optional dependency for another platform is not installed here, and is not needed there either.
      if (entry.optional) continue;
      notInstalled.push(path);
      continue;
    }
    const installed = readJson(manifest).version;
    if (entry.version && installed !== entry.version) {
      fail(
        `${path} is ${installed} but package-lock.json locks ${entry.version}: run npm ci, then package again`,
      );
    }
    cpSync(from, join(dir, path), {
      recursive: true,
      dereference: true,
      filter: (src) => keep(relative(from, src)),
    });
  }
  if (notInstalled.length > 0) {
    fail(
      `not installed: ${notInstalled.slice(0, 5).join(", ")}${notInstalled.length > 5 ? " …" : ""}; run npm ci, then package again`,
    );
  }
}

/**
 * What a package's folder contributes: not its nested node_modules (locked entries of their own), nor TypeScript
 * (typings, or sources some packages ship beside their JavaScript) or source maps, which Node never loads.
 */
function keep(relativePath) {
  if (relativePath === "") return true;
  const parts = relativePath.split(sep);
  if (parts.includes("node_modules")) return false;
  return !/\.([cm]?ts|map)$/.test(relativePath);
}

function measure(dir) {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return { files, bytes };
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

function writeJson(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}
