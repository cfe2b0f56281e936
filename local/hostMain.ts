import { buildServices, useAppServices } from "../shared/app/appServices.js";
import { loadSettings } from "../shared/app/config.js";
import { onAppStart } from "../shared/app/onAppStart.js";
import { settingsProblem } from "../shared/app/settingsCheck.js";
import { loadFunctions } from "./loadFunctions.js";
import { startLocalHost } from "./localHost.js";
import { remoteStorageProblem } from "./remoteStorageProblem.js";
import { isAddressInUse, portInUse, refuseTakenPorts, StartProblem } from "./startProblem.js";

/**
 * The local host alone, for a process something else supervises (the crash test SIGKILLs it mid-run and
 * starts it again): every function of `functions/`, app settings from the environment, no emulators, no
 * samples. Prints `ready <url>` once it serves, then one line per log entry; SIGINT/SIGTERM stop it cleanly.
 *
 * Three local-only knobs, read here rather than in shared/app/config.ts because they are not app settings (in Azure
 * the Functions host fixes them): LOCAL_HOST_VISIBILITY_SECONDS (how long a received message stays invisible,
 * default 600), LOCAL_HOST_LEASE_SECONDS (the pipeline's per-event lease, default 300; keep it below the
 * visibility timeout) and LOCAL_HOST_MAX_POLLING_MS (host.json's maxPollingInterval by default).
 *
 * Refused in one line (exit code 2) before it touches storage, as `npm start`: storage off this machine, a taken PORT.
 */
async function main(): Promise<void> {
  // Invalid settings stop the host before it serves anything, as they stop `npm start`.
  const invalid = settingsProblem();
  if (invalid) throw invalid;
  const settings = loadSettings();
  const remote = remoteStorageProblem(settings);
  if (remote) throw remote;
  await refuseTakenPorts([{ port: settings.PORT, what: "the local Functions host", setting: "PORT" }]);
  const registrations = await loadFunctions();
  const leaseSeconds = positiveNumber("LOCAL_HOST_LEASE_SECONDS");
  // This process's services, with the local lease; the queue function reads them on every message.
  const services = buildServices(
    settings,
    leaseSeconds !== undefined ? { leaseMs: leaseSeconds * 1000 } : {},
  );
  useAppServices(services);
  // As the Functions host's appStart hook: publish the policy for the CLI.
  await onAppStart((line) => console.log(line));
  const visibilityTimeoutSeconds = positiveNumber("LOCAL_HOST_VISIBILITY_SECONDS");
  const maxPollingIntervalMs = positiveNumber("LOCAL_HOST_MAX_POLLING_MS");
  const host = await startLocalHost({
    registrations,
    settings: services.settings,
    ...(visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds } : {}),
    ...(maxPollingIntervalMs !== undefined ? { maxPollingIntervalMs } : {}),
    log: (line) => console.log(line),
  }).catch((err: unknown) => {
    // Taken in the moment since the check above: the same one line.
    throw isAddressInUse(err) ? portInUse(settings.PORT, "the local Functions host", "PORT") : err;
  });
  console.log(`ready ${host.url}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await host.close();
}

function positiveNumber(name: string): number | undefined {
  const text = process.env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, not ${text}`);
  return value;
}

main().catch((err: unknown) => {
  // A problem the admin can fix is its one line, as npm start's; anything else says the host failed.
  if (err instanceof StartProblem) {
    console.error(`local host: ${err.message}`);
    process.exitCode = err.exitCode;
    return;
  }
  console.error(`local host failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
