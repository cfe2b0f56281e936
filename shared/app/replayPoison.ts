import { type PoisonReplayResult, replayPoisonMessages } from "../storage/poisonReplay.js";
import { reopenFailedEvent } from "../sync/reopenFailedEvent.js";
import type { AppServices } from "./appServices.js";
import { poisonQueueName, queueClient } from "./storageClients.js";

/**
 * Replays the onboarding queue's poison queue (ONBOARDING_QUEUE + `-poison`) onto ONBOARDING_QUEUE. An event
 * whose last attempt gave up is reopened in the outcome log first, so its replayed message is processed again
 * rather than answered as a duplicate of that failure.
 */
export function replayPoison(
  services: Pick<AppServices, "settings" | "outcomes">,
  options: { dryRun: boolean; max: number; now?: () => Date },
): Promise<PoisonReplayResult> {
  const { settings, outcomes } = services;
  const main = settings.ONBOARDING_QUEUE;
  return replayPoisonMessages(queueClient(settings, poisonQueueName(main)), queueClient(settings, main), {
    ...options,
    prepare: async (message, dryRun) => {
      if (message.eventId === undefined) return "not an event the pipeline can name: it will be rejected";
      const found = await reopenFailedEvent(outcomes, message.eventId, {
        now: options.now?.() ?? new Date(),
        dryRun,
      });
      switch (found.state) {
        case "new":
          return "no outcome yet: processed as new";
        case "reopened":
          return dryRun
            ? "its last attempt gave up: would be reopened and processed again"
            : "its last attempt gave up: reopened, processed again";
        case "finished":
          return `already ${found.status}: a duplicate, nothing is written`;
        case "pending":
          return `${found.status}: joins the delivery that has it`;
      }
    },
  });
}
