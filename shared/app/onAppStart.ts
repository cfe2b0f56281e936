import { ensureErrorType } from "../core/errors.js";
import type { PublishedPolicy } from "../sync/deploymentPolicy.js";
import { appServices } from "./appServices.js";
import { protectionPolicyFrom } from "./protectionPolicyFrom.js";
import { settingsProblem } from "./settingsCheck.js";

/**
 * What the app does once when it starts (the Functions host's appStart hook; the local hosts call it the same
 * way): publish the protection policy it runs with, so the CLI applies it too (docs/security.md). One Table
 * write per start, never per event. Never throws: a failure is logged and the app serves anyway — the CLI then
 * finds the previous start's row, or none and refuses to write.
 */
export async function onAppStart(
  log: (line: string) => void = (line) => console.log(line),
): Promise<PublishedPolicy | undefined> {
  // Invalid settings are logged where the triggers are skipped; there is no policy to publish.
  if (settingsProblem()) return undefined;
  try {
    const services = appServices();
    const published = await services.deploymentPolicy.publish(protectionPolicyFrom(services.settings));
    log(`published the deployment policy for the CLI at ${published.publishedAt}`);
    return published;
  } catch (err) {
    const error = ensureErrorType(err);
    log(
      `could not publish the deployment policy (${error.name}: ${(error.message.split("\n")[0] ?? "").slice(0, 160)}); sspr-prepop backfill refuses to write until the app publishes it (restart the app once storage is reachable)`,
    );
    return undefined;
  }
}
