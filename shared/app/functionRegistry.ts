import type {
  HttpFunctionOptions,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from "@azure/functions";
// The package is a bundled CommonJS module whose named exports Node's ESM loader cannot see: use the default.
import functions from "@azure/functions";
import { flushAppMetrics } from "./appServices.js";
import { onAppStart } from "./onAppStart.js";
import { logSettingsProblemOnce, settingsProblem, whileSettingsValid } from "./settingsCheck.js";

const { app } = functions;

/** One function definition exactly as handed to `app.*`; the local host serves these same objects. */
export type Registration =
  | { kind: "http"; name: string; options: HttpFunctionOptions }
  | { kind: "storageQueue"; name: string; options: StorageQueueFunctionOptions }
  | { kind: "timer"; name: string; options: TimerFunctionOptions };

/** Every function registered so far, in registration order. */
export const registrations: Registration[] = [];

/**
 * Set by the local host and tests: outside the Functions host `app.*` only prints "test mode" warnings, so
 * skip it there and keep the definition for the local host to run.
 */
const outsideFunctionsHost = () => process.env.SSPR_LOCAL_HOST === "1";

/**
 * Registers functions with the Functions host and records them, so routes and queues have one source of truth.
 *
 * Invalid settings never turn into failed invocations (docs/reliability.md, "When a setting is wrong"):
 * - an HTTP function answers 503 naming the bad setting and the fix (logged once), not a 500 with an empty body;
 * - the queue and timer triggers are not registered at all, as if disabled: the host then leaves the queue
 *   alone, so no message's dequeue count moves and none goes to the poison queue for a fault no retry can cure.
 *   The messages wait (they never expire); fixing the setting restarts the app and they are processed.
 */
export const register = {
  http(name: string, options: HttpFunctionOptions): void {
    const guarded = { ...options, handler: whileSettingsValid(options.handler) };
    registrations.push({ kind: "http", name, options: guarded });
    if (!outsideFunctionsHost()) app.http(name, guarded);
  },
  storageQueue(name: string, options: StorageQueueFunctionOptions): void {
    if (notStartedForSettings(name, "its messages wait on the queue")) return;
    registrations.push({ kind: "storageQueue", name, options });
    if (!outsideFunctionsHost()) app.storageQueue(name, options);
  },
  timer(name: string, options: TimerFunctionOptions): void {
    if (notStartedForSettings(name, "it runs again once they are fixed")) return;
    registrations.push({ kind: "timer", name, options });
    if (!outsideFunctionsHost()) app.timer(name, options);
  },
};

// The app's start: publish the protection policy it runs with, for the CLI (the local hosts call onAppStart too).
if (!outsideFunctionsHost()) app.hook.appStart(async () => void (await onAppStart()));
// The host's graceful shutdown (scale-in, a deployment): send the metrics counted since the last periodic export.
if (!outsideFunctionsHost()) app.hook.appTerminate(() => flushAppMetrics());

/** True (and logged once) when the settings are invalid, so the trigger `name` must not start. */
function notStartedForSettings(name: string, meanwhile: string): boolean {
  const found = settingsProblem();
  if (!found) return false;
  logSettingsProblemOnce(found, (line) => console.error(line));
  console.error(`${name} is not started while the settings are invalid; ${meanwhile}.`);
  return true;
}
