import { afterAll, beforeAll } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { deploymentPolicyKeys, TableDeploymentPolicy } from "../../shared/storage/tableDeploymentPolicy.js";
import { deploymentPolicyContract } from "../contracts/deploymentPolicyContract.js";
import { MemoryDeploymentPolicy } from "../doubles/memoryDeploymentPolicy.js";
import { useAzurite } from "../support/sharedAzurite.js";

let azurite: RunningAzurite | undefined;
let tables = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

deploymentPolicyContract("MemoryDeploymentPolicy", () => {
  const store = new MemoryDeploymentPolicy();
  return { store, plant: async (row) => store.plant(row) };
});

deploymentPolicyContract("TableDeploymentPolicy on Azurite", () => {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  // A fresh table per test (names: letters and digits, starting with a letter).
  const table = tableClient(settings, `Policy${process.pid}x${++tables}`);
  return {
    store: new TableDeploymentPolicy(table),
    async plant(row) {
      await table.createTable();
      await table.upsertEntity({ ...deploymentPolicyKeys, ...row }, "Replace");
    },
  };
});
