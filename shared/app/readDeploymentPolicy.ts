import { ensureErrorType } from "../core/errors.js";
import type { DeploymentPolicyStore, PolicyReading } from "../sync/deploymentPolicy.js";
import type { Settings } from "./config.js";
import { deploymentPolicyFromSettings } from "./deploymentPolicyFromSettings.js";

/**
 * The deployment's published policy, as the CLI finds it through its storage settings (or `store`, a test's
 * double). Never throws: no storage configured and storage failing are answers too, each with its code, so the
 * caller decides whether it may go on without the policy.
 */
export async function readDeploymentPolicy(
  settings: Settings,
  store?: DeploymentPolicyStore,
): Promise<PolicyReading> {
  if (!store && !settings.AzureWebJobsStorage && !settings.AzureWebJobsStorage__tableServiceUri) {
    return {
      known: false,
      code: "storage_not_configured",
      reason: "AzureWebJobsStorage (or AzureWebJobsStorage__tableServiceUri) is not set",
    };
  }
  try {
    return await (store ?? deploymentPolicyFromSettings(settings)).read();
  } catch (err) {
    const error = ensureErrorType(err);
    const status = (error as { statusCode?: unknown }).statusCode;
    // The first line only, and no value of a setting: a storage error's text can run long.
    const first = (error.message.split("\n")[0] ?? "").slice(0, 160);
    return {
      known: false,
      code: "storage_unreadable",
      reason: `the storage account could not be read (${error.name}${typeof status === "number" ? ` ${status}` : ""}: ${first})`,
    };
  }
}
