import type { TableClient } from "@azure/data-tables";
import { isRecord } from "../core/isRecord.js";
import type { DoctorReport } from "../doctor/doctorReport.js";
import type { EasyAuthFinding, ProbeAnswer } from "../doctor/easyAuthCheck.js";
import { runDoctorChecks, type StorageProbe } from "../doctor/runDoctorChecks.js";
import type { StorageFinding } from "../doctor/storageChecks.js";
import { defaultReadOnlyShare, WriteLimiter } from "../graph/writeLimiter.js";
import { standardWebhookSecretProblem } from "../intake/standardWebhook.js";
import { probeQueue, probeTable, probeTableWrite } from "../storage/storageProbe.js";
import { writeBudgetTable } from "../storage/tableWriteBudget.js";
import type { Settings } from "./config.js";
import { graphDirectoryFromSettings } from "./graphDirectoryFromSettings.js";
import { queueClient, tableClient } from "./storageClients.js";

/** Where the doctor runs and what it may ask besides Graph and storage. */
export interface DoctorOptions {
  /**
   * The deployed app's base URL (`https://<app>.azurewebsites.net`, or the local host's): the doctor asks its
   * `/api/doctor` anonymously and reads from who answers whether Easy Auth stands in front of it.
   */
  appUrl?: string | undefined;
  /** `fetch` for that probe (tests). */
  fetch?: typeof fetch;
  /** How long each probe may take; default 15 s. */
  timeoutMs?: number;
}

/**
 * Runs every check of `sspr-prepop doctor` and `GET /api/doctor` (shared/doctor/runDoctorChecks.ts) against the
 * deployment these settings describe: Graph reached the way the app reaches it, the queue and tables on its
 * storage account, and Easy Auth as `options` lets it be seen. Reads only: nothing is written or created (the budget
 * table's write probe is a conditional merge of a row that isn't there, refused or answered 404 without a write).
 */
export async function runDoctor(settings: Settings, options: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return runDoctorChecks({
    settings,
    directory: () =>
      // The doctor writes nothing, so it paces its few reads on its own rather than leasing from the fleet's bucket.
      graphDirectoryFromSettings(
        settings,
        new WriteLimiter({
          budget: settings.GRAPH_WRITE_BUDGET,
          windowMs: settings.GRAPH_WRITE_WINDOW_SECONDS * 1000,
        }),
      ),
    storage: storageProbes(settings, timeoutMs),
    webhooks: {
      // intake/ decides what a Standard Webhooks secret must be; the doctor only words it.
      hrEvents: settings.HR_WEBHOOK_SECRETS.map(standardWebhookSecretProblem),
      bambooHrKey: settings.BAMBOOHR_WEBHOOK_KEY,
      scimToken: settings.SCIM_TOKEN,
    },
    easyAuth: () => easyAuthFinding(settings, options),
  });
}

/** The queue and tables the app uses, each with the read that reaches it. */
function storageProbes(settings: Settings, timeoutMs: number): StorageProbe[] {
  return [
    {
      check: "storageQueue",
      what: `queue ${settings.ONBOARDING_QUEUE}`,
      purpose: "ONBOARDING_QUEUE: HR events wait here",
      role: "Storage Queue Data Contributor",
      probe: () => probeQueue(queueClient(settings, settings.ONBOARDING_QUEUE), timeoutMs),
    },
    {
      check: "outcomeTable",
      what: `table ${settings.OUTCOMES_TABLE}`,
      purpose: "OUTCOMES_TABLE: what happened to each event",
      role: "Storage Table Data Contributor",
      probe: () => probeTable(tableClient(settings, settings.OUTCOMES_TABLE), timeoutMs),
    },
    {
      check: "budgetTable",
      what: `table ${writeBudgetTable}`,
      purpose: "the fleet's shared Graph write budget",
      role: "Storage Table Data Contributor",
      // App Service names the app it runs: there the doctor is the app's identity, elsewhere a person's sign-in.
      sharedByFleet: {
        runsAs: settings.WEBSITE_SITE_NAME?.trim() ? "app" : "signIn",
        readOnlyShare: defaultReadOnlyShare,
      },
      probe: () => probeBudgetTable(tableClient(settings, writeBudgetTable), timeoutMs),
    },
  ];
}

/**
 * The budget table: reachable, and when it is there, whether this identity may write it (a probe that writes
 * nothing: `probeTableWrite`).
 */
async function probeBudgetTable(table: TableClient, timeoutMs: number): Promise<StorageFinding> {
  const found = await probeTable(table, timeoutMs);
  if (found.state !== "exists") return found;
  const write = await probeTableWrite(table, timeoutMs);
  return write === "unknown" ? found : { state: "exists", writable: write === "writable" };
}

async function easyAuthFinding(settings: Settings, options: DoctorOptions): Promise<EasyAuthFinding> {
  if (options.appUrl !== undefined) {
    return { source: "probe", answer: await probeApp(options.appUrl, options) };
  }
  return settings.WEBSITE_AUTH_ENABLED
    ? { source: "platform", authConfigJson: settings.WEBSITE_AUTH_V2_CONFIG_JSON }
    : { source: "unknown" };
}

/**
 * Asks the app's `/api/doctor` with no credentials at all. Behind Easy Auth the platform turns it away before
 * the app runs; without it the app's own code answers (401 `authentication_required`, since it trusts no caller
 * then). The route takes no function key, so the Functions host can't be the one saying 401.
 */
async function probeApp(appUrl: string, options: DoctorOptions): Promise<ProbeAnswer> {
  const send = options.fetch ?? fetch;
  try {
    const response = await send(new URL("api/doctor", withSlash(appUrl)), {
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    return {
      status: response.status,
      appErrorCode: typeof error?.code === "string" ? error.code : undefined,
      report: isRecord(body) && Array.isArray(body.checks),
    };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
    return { unreachable: `${err instanceof Error ? err.message : String(err)}${cause}` };
  }
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
