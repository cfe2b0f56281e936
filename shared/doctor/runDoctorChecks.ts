import { appPermissions, isGranted } from "../directory/appPermissions.js";
import type { UserContactState } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import type { PrivilegePicture } from "../directory/privilegePicture.js";
import { type DoctorCheck, type DoctorCheckName, type DoctorReport, toDoctorReport } from "./doctorReport.js";
import { type EasyAuthFinding, easyAuthCheck } from "./easyAuthCheck.js";
import {
  type DirSyncFinding,
  dirSyncCheck,
  privilegeReadCheck,
  tokenCheck,
  userReadCheck,
} from "./graphChecks.js";
import { overGrantChecks } from "./overGrantChecks.js";
import { type GrantsView, permissionChecks, requiredPermissions } from "./permissionChecks.js";
import { plainErrorText } from "./plainErrorText.js";
import { type DoctorSettings, settingsChecks, unreadableSettingsCheck } from "./settingsChecks.js";
import { type StorageFinding, type StorageTarget, storageCheck } from "./storageChecks.js";
import { type WebhookSecretsFinding, webhookChecks } from "./webhookChecks.js";

/** The reads the doctor makes of the tenant, as the Graph adapter offers them. */
export interface DoctorDirectory {
  grantedPermissions(): Promise<GrantsView>;
  listUsers(pageSize: number): AsyncGenerator<UserContactState[]>;
  privilegePicture(): Promise<PrivilegePicture>;
  dirSyncFeatures(): Promise<{ bypassDirSyncOverridesEnabled: boolean | undefined }>;
}

/** One queue or table to reach, and the read that reaches it. */
export interface StorageProbe extends StorageTarget {
  probe(): Promise<StorageFinding>;
}

/** What the doctor looks at, built by the composition root from the settings it checks. */
export interface DoctorProbes {
  settings: DoctorSettings;
  /** The Graph client the way the app builds one; throws when the settings can't build it. */
  directory(): DoctorDirectory;
  storage: readonly StorageProbe[];
  /** How the HR endpoints' secrets are set (read from the settings; no I/O). */
  webhooks: WebhookSecretsFinding;
  /** Whether App Service authentication stands in front of the helpdesk routes. */
  easyAuth(): Promise<EasyAuthFinding>;
}

/**
 * Runs every check of `sspr-prepop doctor` and `GET /api/doctor`: the settings themselves, a Graph token and the
 * permissions it carries (missing ones, and ones granted beyond the settings' needs), a read of one user and of
 * the role data the privileged-account guard needs, the queue and tables, Easy Auth, and (with
 * SYNCED_MOBILE=override) the tenant's DirSyncOverrides behaviour. Reads only.
 * Every check ends in a finding; none throws.
 */
export async function runDoctorChecks(doctor: DoctorProbes): Promise<DoctorReport> {
  const [graph, storage, easyAuth] = await Promise.all([
    guarded("graphToken", () => graphFindings(doctor)),
    guarded("storageQueue", () => storageFindings(doctor.storage)),
    guarded("easyAuth", async () => [easyAuthCheck(await doctor.easyAuth())]),
  ]);
  return toDoctorReport([
    ...settingsChecks(doctor.settings),
    ...graph,
    ...storage,
    ...webhookChecks(doctor.webhooks),
    ...easyAuth,
  ]);
}

/**
 * Runs one group of checks so that an error nobody expected is one finding naming the check and the error's
 * kind, never a stack in the admin's terminal or a report that doesn't come.
 */
async function guarded(check: DoctorCheckName, run: () => Promise<DoctorCheck[]>): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (error) {
    return [
      {
        check,
        status: "fail",
        code: "check_failed",
        detail: `the ${check} check could not finish: ${plainErrorText(error)}`,
        fix: "run doctor again; if this repeats, report it with this line",
      },
    ];
  }
}

/** The report when the settings can't be read: that one failure, since nothing else can be checked. */
export function unreadableSettingsReport(err: Error): DoctorReport {
  return toDoctorReport([unreadableSettingsCheck(err.message)]);
}

async function graphFindings(doctor: DoctorProbes): Promise<DoctorCheck[]> {
  const { settings } = doctor;
  let directory: DoctorDirectory;
  let grants: GrantsView;
  try {
    directory = doctor.directory();
    grants = await directory.grantedPermissions();
  } catch (error) {
    return [tokenCheck({ ok: false, error })];
  }
  const required = requiredPermissions(settings);
  const checks = [
    tokenCheck({ ok: true, grants }),
    ...permissionChecks(required, grants),
    // Grants beyond what the settings need: the app works, but a compromise of it would reach further.
    ...overGrantChecks(required, grants),
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

async function dirSyncFinding(directory: DoctorDirectory, grants: GrantsView): Promise<DirSyncFinding> {
  const needed = appPermissions.readDirSyncFeatures;
  // Known not to be granted: the read would only be refused.
  if (grants.known && !isGranted(needed, grants.permissions)) {
    return { read: false, missingPermission: needed.permission };
  }
  try {
    return { read: true, ...(await directory.dirSyncFeatures()) };
  } catch (error) {
    const failure = directoryFailureOf(error);
    // Graph's page serves this read to delegated callers only: a 403 is expected even with the grant held.
    if (failure.category === "missingPermission") {
      return { read: false, refusedToApp: failure.permission ?? needed.permission, held: grants.known };
    }
    return { read: false, error };
  }
}

async function storageFindings(targets: readonly StorageProbe[]): Promise<DoctorCheck[]> {
  return Promise.all(
    targets.map(async (target) => {
      let found: StorageFinding;
      try {
        found = await target.probe();
      } catch (err) {
        // Building the client throws for settings only (none at all, or a connection string the SDK refuses).
        found = { state: "notConfigured", reason: plainErrorText(err) };
      }
      return storageCheck(target, found);
    }),
  );
}
