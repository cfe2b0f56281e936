import { type PoisonReplayResult, replayPoisonMessages } from "../storage/poisonReplay.js";
import type { Settings } from "./config.js";
import { poisonQueueName, queueClient } from "./storageClients.js";

/** Replays the onboarding queue's poison queue (ONBOARDING_QUEUE + `-poison`) onto ONBOARDING_QUEUE. */
export function replayPoisonFromSettings(
  settings: Settings,
  options: { dryRun: boolean; max: number },
): Promise<PoisonReplayResult> {
  const main = settings.ONBOARDING_QUEUE;
  return replayPoisonMessages(
    queueClient(settings, poisonQueueName(main)),
    queueClient(settings, main),
    options,
  );
}
