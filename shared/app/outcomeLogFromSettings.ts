import { TableOutcomeLog } from "../storage/tableOutcomeLog.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import type { Settings } from "./config.js";
import { tableClient } from "./storageClients.js";

/** The outcome log in OUTCOMES_TABLE on the `AzureWebJobsStorage` account. */
export function outcomeLogFromSettings(settings: Settings): OutcomeLog {
  return new TableOutcomeLog(tableClient(settings, settings.OUTCOMES_TABLE));
}
