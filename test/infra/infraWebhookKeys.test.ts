import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadFunctions } from "../../local/loadFunctions.js";

// Runs infra/scripts/set-webhook-keys.sh against a fake `az` that keeps the function app's keys in a JSON
// file: no Azure CLI, no sign-in, no network.

const script = fileURLToPath(new URL("../../infra/scripts/set-webhook-keys.sh", import.meta.url));
const resourceGroup = "rg-sspr-test";
const app = "func-api-test";

interface AppState {
  /** Function name → key name → value. */
  functionKeys: Record<string, Record<string, string>>;
  /** Every az call, as its arguments joined by spaces. */
  calls: string[];
  /** Whether setting a key is refused (the signed-in person lacks the role). */
  denyKeys: boolean;
}

// The fake answers exactly the calls the script may make; anything else (a host key above all) fails loudly.
const fakeAz = `#!/usr/bin/env node
const fs = require("node:fs");
const crypto = require("node:crypto");
const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const statePath = process.env.FAKE_AZ_STATE;
const state = JSON.parse(fs.readFileSync(statePath, "utf8"));
state.calls.push(args.join(" "));
const save = () => fs.writeFileSync(statePath, JSON.stringify(state));
save();
const command = args.slice(0, 4).join(" ");
if (option("-g") !== "${resourceGroup}" || option("-n") !== "${app}") {
  console.error("unexpected app: az " + args.join(" ")); process.exit(2);
}
if (args.slice(0, 2).join(" ") === "functionapp show" && option("--query") === "defaultHostName") {
  console.log("${app}.azurewebsites.net");
} else if (command === "functionapp function keys set" && option("--query") === "value") {
  if (state.denyKeys) { console.error("AuthorizationFailed"); process.exit(1); }
  const fn = option("--function-name");
  const value = crypto.randomBytes(30).toString("base64url");
  state.functionKeys[fn] = { ...(state.functionKeys[fn] ?? {}), [option("--key-name")]: value };
  save();
  console.log(value);
} else if (command === "functionapp function keys list" && option("--query") === "keys(@)") {
  console.log(Object.keys(state.functionKeys[option("--function-name")] ?? {}).join("\\t"));
} else {
  console.error("unexpected: az " + args.join(" ")); process.exit(2);
}
`;

const workDirs: string[] = [];
afterEach(() => {
  for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the script with `args` and `env` against the given app state; returns its output and the state after. */
function setKeys(args: string[], env: Record<string, string> = {}, state: Partial<AppState> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "webhook-keys-"));
  workDirs.push(dir);
  writeFileSync(join(dir, "az"), fakeAz);
  chmodSync(join(dir, "az"), 0o755);
  const statePath = join(dir, "state.json");
  writeFileSync(statePath, JSON.stringify({ functionKeys: {}, calls: [], denyKeys: false, ...state }));
  const result = spawnSync("bash", [script, ...args], {
    encoding: "utf8",
    env: {
      PATH: `${dir}${delimiter}${process.env.PATH}`,
      FAKE_AZ_STATE: statePath,
      AZURE_RESOURCE_GROUP: resourceGroup,
      AZURE_FUNCTION_NAME: app,
      ...env,
    },
  });
  const after = JSON.parse(readFileSync(statePath, "utf8")) as AppState;
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    stdout: result.stdout,
    ...after,
  };
}

const webhooks = { hrEvents: "hr/events", hrBambooHr: "hr/bamboohr", hrScim: "hr/scim" };

describe("set-webhook-keys.sh", () => {
  it("passes bash's syntax check", () => {
    expect(spawnSync("bash", ["-n", script], { encoding: "utf8" }).status).toBe(0);
  });

  it("sets one function key named hr-sender on each HR webhook function and prints its URL and header", () => {
    const { status, stdout, functionKeys } = setKeys([]);
    expect(status).toBe(0);
    expect(Object.keys(functionKeys).sort()).toEqual(Object.keys(webhooks).sort());
    for (const [name, route] of Object.entries(webhooks)) {
      const value = functionKeys[name]?.["hr-sender"] as string;
      expect(value).toBeTruthy();
      expect(stdout).toContain(`URL:    https://${app}.azurewebsites.net/api/${route}`);
      expect(stdout).toContain(`header: x-functions-key: ${value}`);
    }
  });

  it("gives each function its own key, so a key leaked by one HR system opens no other route", () => {
    const values = Object.values(setKeys([]).functionKeys).map((keys) => keys["hr-sender"]);
    expect(new Set(values).size).toBe(3);
  });

  it("never reads or sets a host key (functionKeys.default or the master key opens the helpdesk API too)", () => {
    const { calls } = setKeys([]);
    expect(calls.length).toBeGreaterThan(0);
    expect(
      calls.filter(
        (call) => !call.startsWith("functionapp function keys ") && !call.startsWith("functionapp show"),
      ),
    ).toEqual([]);
  });

  it("prints the routes the webhook functions register, and keys exactly those functions", async () => {
    const registered = (await loadFunctions()).flatMap((r) =>
      r.kind === "http" && r.name.startsWith("hr") ? [[r.name, r.options.route]] : [],
    );
    expect(Object.fromEntries(registered)).toEqual(webhooks);
  });

  it.each([["hrScim"], ["hrEvents", "hrBambooHr"]])(
    "sets keys only on the functions named: %s",
    (...names) => {
      const { status, functionKeys } = setKeys(names);
      expect(status).toBe(0);
      expect(Object.keys(functionKeys).sort()).toEqual([...names].sort());
    },
  );

  it.each(["getContactInfo", "fixContactInfo", "listOutcomes", "host"])(
    "refuses to key %s, which is no HR webhook, and sets nothing",
    (name) => {
      const { status, output, calls } = setKeys(["hrEvents", name]);
      expect(status).toBe(1);
      expect(output).toContain(`'${name}' is not an HR webhook function`);
      expect(calls).toEqual([]);
    },
  );

  it("replaces the value when run again with the same name (the old value stops working)", () => {
    const { status, functionKeys } = setKeys(
      ["hrScim"],
      {},
      { functionKeys: { hrScim: { "hr-sender": "old-value" } } },
    );
    expect(status).toBe(0);
    expect(functionKeys.hrScim?.["hr-sender"]).not.toBe("old-value");
  });

  it("rotates without a gap: a new key name leaves the old key working and prints how to delete it", () => {
    const { status, stdout, functionKeys } = setKeys(
      ["hrEvents"],
      { WEBHOOK_KEY_NAME: "hr-sender-2" },
      { functionKeys: { hrEvents: { default: "generated-default", "hr-sender": "old-value" } } },
    );
    expect(status).toBe(0);
    expect(functionKeys.hrEvents).toMatchObject({ default: "generated-default", "hr-sender": "old-value" });
    expect(functionKeys.hrEvents?.["hr-sender-2"]).toBeTruthy();
    for (const old of ["default", "hr-sender"]) {
      expect(stdout).toContain(
        `az functionapp function keys delete -g ${resourceGroup} -n ${app} --function-name hrEvents --key-name ${old}`,
      );
    }
    expect(stdout).not.toContain("--key-name hr-sender-2\n");
  });

  it("uses SERVICE_API_URI from azd when it is set", () => {
    const { stdout, calls } = setKeys(["hrScim"], { SERVICE_API_URI: "https://hr-intake.contoso.example/" });
    expect(stdout).toContain("URL:    https://hr-intake.contoso.example/api/hr/scim");
    expect(calls.some((call) => call.startsWith("functionapp show"))).toBe(false);
  });

  it("fails with what to check when the signed-in person may not set keys", () => {
    const { status, output } = setKeys(["hrScim"], {}, { denyKeys: true });
    expect(status).toBe(1);
    expect(output).toContain("hrScim: the key was not set");
  });

  it.each([
    [
      "no resource group",
      { AZURE_RESOURCE_GROUP: "" },
      "AZURE_RESOURCE_GROUP and AZURE_FUNCTION_NAME must be set",
    ],
    [
      "no function app",
      { AZURE_FUNCTION_NAME: "" },
      "AZURE_RESOURCE_GROUP and AZURE_FUNCTION_NAME must be set",
    ],
    ["a key name with a space", { WEBHOOK_KEY_NAME: "hr sender" }, "WEBHOOK_KEY_NAME must be"],
  ])("refuses to run with %s", (_, env, message) => {
    const { status, output, calls } = setKeys([], env);
    expect(status).toBe(1);
    expect(output).toContain(message);
    expect(calls).toEqual([]);
  });

  it("has a PowerShell twin that keys the same three functions and never a host key (read, not run: no pwsh in CI)", () => {
    const ps1 = readFileSync(script.replace(/\.sh$/, ".ps1"), "utf8");
    for (const [name, route] of Object.entries(webhooks)) {
      expect(ps1).toContain(`${name} `);
      expect(ps1).toContain(`'${route}'`);
    }
    expect(ps1).toContain("az functionapp function keys set");
    expect(ps1).not.toMatch(/az functionapp keys /);
  });
});
