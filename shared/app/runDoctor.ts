import { isRecord } from "../core/isRecord.js";
import { appPermissions, isGranted } from "../directory/appPermissions.js";
import { DirectoryError } from "../directory/directoryError.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { type DoctorCheck, type DoctorReport, toDoctorReport } from "../doctor/doctorReport.js";
import { type EasyAuthFinding, easyAuthCheck, type ProbeAnswer } from "../doctor/easyAuthCheck.js";
import {
  type DirSyncFinding,
  dirSyncCheck,
  privilegeReadCheck,
  tokenCheck,
  userReadCheck,
} from "../doctor/graphChecks.js";
import { type GrantsView, permissionChecks, requiredPermissions } from "../doctor/permissionChecks.js";
import { settingsChecks, unreadableSettingsCheck } from "../doctor/settingsChecks.js";
import { type StorageFinding, type StorageTarget, storageCheck } from "../doctor/storageChecks.js";
import type { GraphDirectory } from "../graph/graphDirectory.js";
import { WriteLimiter } from "../graph/writeLimiter.js";
import { probeQueue, probeTable } from "../storage/storageProbe.js";
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
 * Runs every check of `sspr-prepop doctor` and `GET /api/doctor` against the deployment these settings
 * describe: the settings themselves, a Graph token obtained the way the app gets one and the permissions it
 * carries, a read of one user and of the role data the privileged-account guard needs, the queue and tables, Easy
 * Auth, and (with SYNCED_MOBILE=override) the tenant's DirSyncOverrides behaviour. Reads only: nothing is written
 * or created. Every check ends in a finding; none throws.
 */
export async function runDoctor(settings: Settings, options: DoctorOptions = {}): Promise<DoctorReport> {
  const [graph, storage, easyAuth] = await Promise.all([
    graphFindings(settings),
    storageFindings(settings, options.timeoutMs ?? 15_000),
    easyAuthFinding(settings, options),
  ]);
  return toDoctorReport([...settingsChecks(settings), ...graph, ...storage, easyAuthCheck(easyAuth)]);
}

/** The report when the settings can't be read: that one failure, since nothing else can be checked. */
export function unreadableSettingsReport(err: Error): DoctorReport {
  return toDoctorReport([unreadableSettingsCheck(err.message)]);
}

async function graphFindings(settings: Settings): Promise<DoctorCheck[]> {
  let directory: GraphDirectory;
  let grants: GrantsView;
  try {
    // The doctor writes nothing, so it paces its few reads on its own rather than leasing from the fleet's bucket.
    directory = graphDirectoryFromSettings(
      settings,
      new WriteLimiter({
        budget: settings.GRAPH_WRITE_BUDGET,
        windowMs: settings.GRAPH_WRITE_WINDOW_SECONDS * 1000,
      }),
    );
    grants = await directory.grantedPermissions();
  } catch (error) {
    return [tokenCheck({ ok: false, error })];
  }
  const checks = [
    tokenCheck({ ok: true, grants }),
    ...permissionChecks(requiredPermissions(settings), grants),
  ];

  try {
    const pages = directory.listUsers(1);
    const page = (await pages.next()).value ?? [];
    await pages.return(undefined);
    checks.push(userReadCheck({ ok: true, users: page.length }));
  } catch (error) {
    checks.push(userReadCheck({ ok: false, error }));
  }
  // The privilege picture the guard checks every write against: read whether or not the tenant has users.
  checks.push(
    ...privilegeReadCheck(
      await directory.privilegePicture().then(
        (picture) => ({
          ok: true as const,
          pim: picture.pim,
          privilegedUsers: picture.privileged.size,
          ...(picture.gap ? { gap: picture.gap } : {}),
        }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ),
  );
  if (settings.SYNCED_MOBILE === "override")
    checks.push(dirSyncCheck(await dirSyncFinding(directory, grants)));
  return checks;
}

async function dirSyncFinding(directory: GraphDirectory, grants: GrantsView): Promise<DirSyncFinding> {
  const needed = appPermissions.readDirSyncFeatures;
  // Known not to be granted: the read would only be refused.
  if (grants.known && !isGranted(needed, grants.permissions)) {
    return { read: false, missingPermission: needed.permission };
  }
  try {
    return { read: true, ...(await directory.dirSyncFeatures()) };
  } catch (error) {
    if (error instanceof DirectoryError && directoryFailureOf(error).category === "missingPermission") {
      return { read: false, missingPermission: error.permission ?? needed.permission };
    }
    return { read: false, error };
  }
}

async function storageFindings(settings: Settings, timeoutMs: number): Promise<DoctorCheck[]> {
  const targets: Array<StorageTarget & { probe: () => Promise<StorageFinding> }> = [
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
      probe: () => probeTable(tableClient(settings, writeBudgetTable), timeoutMs),
    },
  ];
  return Promise.all(
    targets.map(async (target) => {
      let found: StorageFinding;
      try {
        found = await target.probe();
      } catch (err) {
        // Building the client throws only for settings (no storage configured at all).
        found = { state: "notConfigured", reason: err instanceof Error ? err.message : String(err) };
      }
      return storageCheck(target, found);
    }),
  );
}

async function easyAuthFinding(settings: Settings, options: DoctorOptions): Promise<EasyAuthFinding> {
  if (options.appUrl !== undefined) {
    return { source: "probe", answer: await probeApp(options.appUrl, options) };
  }
  return settings.WEBSITE_AUTH_ENABLED ? { source: "platform" } : { source: "unknown" };
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
