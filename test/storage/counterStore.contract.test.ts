import { afterAll, beforeAll } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { TableCounterStore } from "../../shared/storage/tableCounterStore.js";
import { counterStoreContract } from "../contracts/counterStoreContract.js";
import { MemoryCounterStore } from "../doubles/memoryCounterStore.js";
import { useAzurite } from "../support/sharedAzurite.js";

let azurite: RunningAzurite | undefined;
let tables = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

counterStoreContract("MemoryCounterStore", () => new MemoryCounterStore());

counterStoreContract("TableCounterStore on Azurite", () => {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  // A fresh table per test (names: letters and digits, starting with a letter).
  return new TableCounterStore(tableClient(settings, `Counters${process.pid}x${++tables}`));
});
