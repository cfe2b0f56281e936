#!/usr/bin/env node
// The post-deploy smoke check (azure.yaml: hooks.postdeploy, or `npm run smoke`): calls the deployed app's
// GET /api/health until it answers 200 with this clone's version, so `azd up` and `azd deploy` fail when the
// package did not load or the settings are invalid, instead of reporting success. Plain Node, no dependencies.
//
//   node scripts/smoke-check.mjs        (azd provides SERVICE_API_URI, AZURE_RESOURCE_GROUP, AZURE_FUNCTION_NAME)
//
// The health function takes a function key, like every function: the script reads it with
// `az functionapp function keys list` (or takes SMOKE_FUNCTION_KEY). SMOKE_TIMEOUT_SECONDS (default 300) bounds
// the wait: a Flex Consumption app can take a few minutes to start the new package.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const env = process.env;
const timeoutMs = Number(env.SMOKE_TIMEOUT_SECONDS ?? 300) * 1000;
const retryMs = Number(env.SMOKE_RETRY_SECONDS ?? 5) * 1000;

const baseUrl = (env.SERVICE_API_URI ?? "").replace(/\/+$/, "");
if (!baseUrl) {
  fail(
    "SERVICE_API_URI is not set; run it through azd (azd deploy), or set it to https://<app>.azurewebsites.net.",
  );
}
const url = `${baseUrl}/api/health`;
const started = Date.now();
const key = env.SMOKE_FUNCTION_KEY || (await functionKey());

let last = "no answer yet";
for (;;) {
  const verdict = await check();
  if (verdict.ok) {
    console.log(`smoke: ${url} answered ok, version ${version}, after ${seconds()} s`);
    process.exit(0);
  }
  last = verdict.why;
  if (verdict.final) fail(`${url}: ${verdict.why}`);
  if (Date.now() - started + retryMs > timeoutMs) {
    fail(
      `${url} did not answer ok within ${timeoutMs / 1000} s; last: ${last}.\n` +
        "The package may not have loaded: see the function app's log stream or Application Insights (exceptions), " +
        "and `az functionapp function list -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_NAME -o table` for the functions the host found.",
    );
  }
  console.log(`smoke: waiting for ${url} (${last})`);
  await sleep(retryMs);
}

/** One call: ok, worth another try (the host is starting), or final (nothing will change without a fix). */
async function check() {
  let response;
  try {
    response = await fetch(url, { headers: { "x-functions-key": key }, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    return { ok: false, why: `no answer (${err.cause?.code ?? err.name})` };
  }
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status === 200 && body?.status === "ok") {
    if (body.version === version) return { ok: true };
    return {
      ok: false,
      why: `the app runs version ${body.version}, not ${version} (the new package is not running yet)`,
    };
  }
  if (response.status === 503 && body?.error?.code === "configuration_invalid") {
    return {
      ok: false,
      final: true,
      why: `the app's settings are invalid: ${body.error.message}\nFix the setting (azd env set NAME value), then azd provision.`,
    };
  }
  if (response.status === 401 && !env.SMOKE_FUNCTION_KEY) {
    return {
      ok: false,
      why: "401 (the function key may not be in effect yet, or Easy Auth does not exclude /api/health)",
    };
  }
  return { ok: false, why: `HTTP ${response.status}${body?.error?.code ? ` ${body.error.code}` : ""}` };
}

/** The health function's default key, through the Azure CLI the deployer is signed in to. */
async function functionKey() {
  const group = env.AZURE_RESOURCE_GROUP;
  const app = env.AZURE_FUNCTION_NAME;
  if (!group || !app)
    fail(
      "AZURE_RESOURCE_GROUP and AZURE_FUNCTION_NAME are not set; run it through azd, or set SMOKE_FUNCTION_KEY.",
    );
  const args = [
    "functionapp",
    "function",
    "keys",
    "list",
    "-g",
    group,
    "-n",
    app,
    "--function-name",
    "health",
    "--query",
    "default",
    "-o",
    "tsv",
  ];
  for (;;) {
    const result = spawnSync("az", args, { encoding: "utf8", shell: process.platform === "win32" });
    if (result.error?.code === "ENOENT" || (process.platform === "win32" && result.status === 9009)) {
      fail(
        "the Azure CLI (az) is not installed or not on PATH: install it (https://aka.ms/azcli), az login, then rerun: npm run smoke",
      );
    }
    const value = result.stdout?.trim();
    if (result.status === 0 && value) return value;
    // The key API goes through the app's host, which answers errors while the new package starts.
    if (Date.now() - started + retryMs > timeoutMs) {
      fail(
        `could not read the health function's key: ${(result.stderr ?? "").trim().split("\n").at(-1) || `az exited ${result.status}`}`,
      );
    }
    console.log("smoke: waiting for the health function's key (the app is starting)");
    await sleep(retryMs);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds() {
  return Math.round((Date.now() - started) / 1000);
}

function fail(message) {
  console.error(`smoke: FAILED: ${message}`);
  process.exit(1);
}
