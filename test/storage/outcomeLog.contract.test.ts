import { afterAll, beforeAll } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import { outcomeLogContract } from "../contracts/outcomeLogContract.js";
import { MemoryOutcomeLog } from "../doubles/memoryOutcomeLog.js";
import { useAzurite } from "../support/sharedAzurite.js";

let azurite: RunningAzurite | undefined;
let tables = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

outcomeLogContract("MemoryOutcomeLog", () => new MemoryOutcomeLog());

outcomeLogContract("TableOutcomeLog on Azurite", () => {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  // A fresh table per test (names: letters and digits, starting with a letter).
  return new TableOutcomeLog(tableClient(settings, `Outcomes${process.pid}x${++tables}`));
});
