import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadFunctions } from "../../local/loadFunctions.js";
import { useAppServices } from "../../shared/app/appServices.js";
import { type Registration, register, registrations } from "../../shared/app/functionRegistry.js";

// A wrong setting must stop the app in the open: the local host exits, each HTTP function answers 503 naming the
// setting and the fix, and the queue trigger does not start (so no message is retried into the poison queue).
const repo = fileURLToPath(new URL("../..", import.meta.url));
const storage = "UseDevelopmentStorage=true";
let http: Registration[];
let triggered: Registration[];

beforeAll(async () => {
  const loaded = await loadFunctions();
  http = loaded.filter((r) => r.kind === "http");
  triggered = loaded.filter((r) => r.kind !== "http");
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  useAppServices(undefined);
});

/** Runs one registered HTTP function as the host would, keeping what it logs as errors. */
async function call(registration: Registration) {
  const errors: string[] = [];
  const context = new InvocationContext({
    functionName: registration.name,
    logHandler: (level, ...args) => {
      if (level === "error") errors.push(args.map(String).join(" "));
    },
  });
  const handler = registration.options.handler as (
    request: HttpRequest,
    context: InvocationContext,
  ) => Promise<{ status?: number; jsonBody?: unknown }>;
  const response = await handler(
    new HttpRequest({ method: "GET", url: "http://127.0.0.1:7071/api/anything", params: {}, headers: {} }),
    context,
  );
  return { response, errors };
}

describe("a wrong setting in Azure", () => {
  it("makes every HTTP function answer 503 naming the setting, what is wrong and the fix, logged once", async () => {
    vi.stubEnv("AzureWebJobsStorage", storage);
    vi.stubEnv("DEFAULT_COUNTRY", "XX");
    useAppServices(undefined);
    expect(http.map((r) => r.name).sort()).toEqual([
      "doctor",
      "fixContactInfo",
      "getContactInfo",
      "getOutcome",
      "health",
      "hrBambooHr",
      "hrEvents",
      "hrScim",
      "listOutcomes",
    ]);
    const logged: string[] = [];
    for (const registration of http) {
      const { response, errors } = await call(registration);
      logged.push(...errors);
      expect(response.status, registration.name).toBe(503);
      expect(response.jsonBody).toEqual({
        error: {
          code: "configuration_error",
          message: expect.stringContaining('Invalid setting DEFAULT_COUNTRY: "XX" is not a region'),
          details: [
            {
              field: "DEFAULT_COUNTRY",
              code: "setting_invalid",
              message: '"XX" is not a region with a telephone numbering plan',
              hint: expect.stringContaining("set an ISO 3166-1 alpha-2 region code such as US"),
            },
          ],
        },
      });
    }
    // One log line for the whole process, whichever function met the problem first.
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain("DEFAULT_COUNTRY");
  });

  it("answers 503 for missing storage too, naming the settings to set", async () => {
    vi.stubEnv("AzureWebJobsStorage", "");
    const { response } = await call(http.find((r) => r.name === "getOutcome") as Registration);
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.jsonBody)).toContain("Storage is not configured: set AzureWebJobsStorage");
  });

  it("serves as usual once the setting is fixed", async () => {
    vi.stubEnv("AzureWebJobsStorage", storage);
    vi.stubEnv("DEFAULT_COUNTRY", "US");
    const { response } = await call(http.find((r) => r.name === "listOutcomes") as Registration);
    // No caller: the function itself answers (401), not the settings guard.
    expect(response.status).toBe(401);
  });

  it("leaves these queue and timer triggers unstarted: the pipeline, retention, queue depth and readiness", () => {
    expect(triggered.map((r) => `${r.kind} ${r.name}`).sort()).toEqual([
      "storageQueue onboardingQueue",
      "timer outcomeRetention",
      "timer queueDepth",
      "timer readinessMetrics",
    ]);
  });

  it("does not start a timer on a READINESS_SCHEDULE that would run more than hourly, naming the setting", () => {
    vi.stubEnv("READINESS_SCHEDULE", "0 * * * * *");
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const before = registrations.length;
    register.timer("planted", { schedule: "%READINESS_SCHEDULE%", handler: async () => undefined });
    expect(registrations).toHaveLength(before);
    const logged = errors.mock.calls.map((args) => String(args[0])).join("\n");
    expect(logged).toContain('READINESS_SCHEDULE: "0 * * * * *" is not a six-field NCRONTAB schedule');
  });

  it.each([
    ["storageQueue", "its messages wait on the queue"],
    ["timer", "it runs again once they are fixed"],
  ] as const)("does not start a %s trigger, so no message burns a dequeue count", (kind, said) => {
    vi.stubEnv("GRAPH_WRITE_BUDGET", "lots");
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const before = registrations.length;
    const handler = async () => undefined;
    if (kind === "storageQueue") {
      register.storageQueue("planted", { queueName: "q", connection: "AzureWebJobsStorage", handler });
    } else {
      register.timer("planted", { schedule: "0 0 * * * *", handler });
    }
    expect(registrations).toHaveLength(before);
    expect(errors.mock.calls.map((args) => String(args[0])).join("\n")).toContain(
      `planted is not started while the settings are invalid; ${said}.`,
    );
  });
});

function runNode(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(repo, script), ...args], {
      cwd: repo,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("a wrong setting locally", () => {
  // Storage and Graph point elsewhere, so neither entry starts an emulator before it reads the settings.
  const env = {
    AzureWebJobsStorage: storage,
    GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0",
    DEFAULT_COUNTRY: "XX",
  };

  it.each([
    ["the local host", "local/hostMain.ts", [], "local host failed: "],
    ["npm start --once", "local/start.ts", ["--once"], "npm start: settings: "],
  ])("stops %s with a non-zero exit and the setting's problem and fix", async (_, script, args, prefix) => {
    const { code, stderr } = await runNode(script, args, env);
    expect(code).not.toBe(0);
    expect(stderr).toContain(
      `${prefix}Invalid setting DEFAULT_COUNTRY: "XX" is not a region with a telephone numbering plan; set an ISO 3166-1 alpha-2 region code`,
    );
    expect(stderr).not.toMatch(/expected|received|NaN/);
  });
});
