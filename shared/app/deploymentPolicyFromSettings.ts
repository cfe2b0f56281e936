import { deploymentPolicyTable, TableDeploymentPolicy } from "../storage/tableDeploymentPolicy.js";
import type { DeploymentPolicyStore } from "../sync/deploymentPolicy.js";
import type { Settings } from "./config.js";
import { tableClient } from "./storageClients.js";

/** Where the deployment publishes its policy: table DeploymentPolicy on the `AzureWebJobsStorage` account. */
export function deploymentPolicyFromSettings(settings: Settings): DeploymentPolicyStore {
  return new TableDeploymentPolicy(tableClient(settings, deploymentPolicyTable));
}
