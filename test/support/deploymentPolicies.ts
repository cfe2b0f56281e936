import { loadSettings } from "../../shared/app/config.js";
import { deploymentPolicyFromSettings } from "../../shared/app/deploymentPolicyFromSettings.js";
import { protectionPolicyFrom } from "../../shared/app/protectionPolicyFrom.js";
import type { DeploymentPolicyStore, PublishedPolicy } from "../../shared/sync/deploymentPolicy.js";
import { MemoryDeploymentPolicy } from "../doubles/memoryDeploymentPolicy.js";

/**
 * App settings that narrow nothing: a deployment writing every target, overwriting, synced mobiles included,
 * protecting no group beyond the roles. Tests that are not about the policy publish it, so the CLI's own
 * settings and flags decide, as before the CLI read the deployment's policy.
 */
export const anyWriteDeployment = {
  CONTACT_TARGET: "both",
  CONTACT_MODE: "overwrite",
  SYNCED_MOBILE: "override",
} as const;

/**
 * Publishes what a deployed app with `appSettings` publishes at its start, into the DeploymentPolicy table of the
 * storage account `connectionString` names (Azurite), as shared/app/onAppStart.ts does.
 */
export function publishDeploymentPolicy(
  connectionString: string,
  appSettings: Record<string, string> = {},
): Promise<PublishedPolicy> {
  const settings = loadSettings({ ...appSettings, AzureWebJobsStorage: connectionString });
  return deploymentPolicyFromSettings(settings).publish(protectionPolicyFrom(settings));
}

/** An in-memory store holding what a deployed app with `appSettings` published (for in-process commands). */
export async function aPublishedPolicy(
  appSettings: Record<string, string> = anyWriteDeployment,
): Promise<DeploymentPolicyStore> {
  const store = new MemoryDeploymentPolicy();
  await store.publish(protectionPolicyFrom(loadSettings(appSettings)));
  return store;
}
