#!/usr/bin/env node
// `npm run infra:build`: compiles infra/main.bicep to ARM JSON and lints every Bicep file, failing on any
// warning. The Bicep CLI is pinned in infra/tools/bicep.csproj and restored from NuGet with `dotnet restore`,
// because the usual installers (az bicep install, the GitHub release) download from GitHub, which CI cannot
// reach. Plain Node, no dependencies, so it runs before or without `npm ci`.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const toolProject = join(root, "infra", "tools", "bicep.csproj");
const packagesDir = join(root, ".tools", "nuget"); // .tools/ is git-ignored
const restoreDir = join(root, ".tools", "bicep-restore"); // restore's obj/ output, kept out of infra/
const armFile = join(root, ".tools", "arm", "main.json");
const mainBicep = join(root, "infra", "main.bicep");

const started = Date.now();
const bicep = ensureBicep();
build(bicep);
lint(bicep);
console.log(
  `infra:build: ${relative(root, armFile)} built and linted in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

/** Restores the pinned Bicep CLI on first use (cached in .tools/nuget afterwards) and returns its path. */
function ensureBicep() {
  const version = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(readFileSync(toolProject, "utf8"))?.[1];
  if (!version) fail(`no <BicepVersion> in ${relative(root, toolProject)}`);
  const runtime = bicepRuntime();
  const executable = join(
    packagesDir,
    `azure.bicep.commandline.${runtime}`,
    version,
    "tools",
    process.platform === "win32" ? "bicep.exe" : "bicep",
  );
  if (!existsSync(executable)) {
    const dotnet = spawnSync("dotnet", ["--version"], { encoding: "utf8" });
    if (dotnet.error || dotnet.status !== 0) {
      fail("the .NET SDK (`dotnet`) is needed once, to restore the pinned Bicep CLI from NuGet");
    }
    console.log(
      `infra:build: restoring Bicep ${version} (${runtime}) from NuGet into ${relative(root, packagesDir)}`,
    );
    run("dotnet", [
      "restore",
      toolProject,
      "--packages",
      packagesDir,
      `-p:BicepRuntime=${runtime}`,
      // A trailing separator matters: MSBuild treats this as a folder prefix.
      `-p:BaseIntermediateOutputPath=${restoreDir}/`,
      "-nologo",
      "-v",
      "quiet",
    ]);
    if (!existsSync(executable)) fail(`restore finished but ${relative(root, executable)} is missing`);
  }
  // NuGet does not keep the executable bit of package files.
  if (process.platform !== "win32") chmodSync(executable, 0o755);
  return executable;
}

/** The runtime identifier of the Bicep CLI package for this machine. */
function bicepRuntime() {
  const os = { linux: "linux", darwin: "osx", win32: "win" }[process.platform];
  const arch = { x64: "x64", arm64: "arm64" }[process.arch];
  if (!os || !arch) fail(`no Bicep CLI package for ${process.platform}/${process.arch}`);
  return `${os}-${arch}`;
}

function build(executable) {
  mkdirSync(dirname(armFile), { recursive: true });
  // --no-restore: the template uses no registry modules, and nothing may reach a registry.
  checkDiagnostics("build", run(executable, ["build", mainBicep, "--outfile", armFile, "--no-restore"]));
}

function lint(executable) {
  // Every .bicep file, not only those main.bicep references, so a stray module cannot rot unseen.
  const output = run(executable, ["lint", "--pattern", "infra/**/*.bicep", "--no-restore"]);
  checkDiagnostics("lint", output);
}

/** Fails on any diagnostic: Bicep exits 0 on warnings, but here a warning is a defect. */
function checkDiagnostics(step, output) {
  const diagnostics = output.split("\n").filter((line) => /\) : (Warning|Error) /.test(line));
  if (diagnostics.length > 0) {
    fail(
      `bicep ${step} reported ${diagnostics.length} diagnostic(s):\n${[...new Set(diagnostics)].join("\n")}`,
    );
  }
}

/** Runs a command in the repository root; returns stdout + stderr, fails on a non-zero exit. */
function run(command, args) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" },
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0)
    fail(`${relative(root, command) || command} ${args[0]} exited ${result.status}:\n${output}`);
  return output;
}

function fail(message) {
  console.error(`infra:build: ${message}`);
  process.exit(1);
}
