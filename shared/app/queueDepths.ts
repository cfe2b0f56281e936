import { RestError } from "@azure/storage-queue";
import type { Metrics } from "../metrics/metrics.js";
import type { Settings } from "./config.js";
import { queueClient } from "./storageClients.js";

/** The approximate message counts of the onboarding queue and its poison queue. */
export interface QueueDepths {
  onboarding: number;
  poison: number;
}

/**
 * Reads how many messages wait on the onboarding queue and on `<queue>-poison`, and sets the `sspr.queue.depth`
 * gauge for each. Azure Storage's own queue metric (QueueMessageCount) is one number for the whole account, once
 * an hour, so the app measures its own queues. A queue that does not exist yet holds nothing.
 */
export async function recordQueueDepths(settings: Settings, metrics: Metrics): Promise<QueueDepths> {
  const [onboarding, poison] = await Promise.all([
    approximateMessages(settings, settings.ONBOARDING_QUEUE),
    approximateMessages(settings, `${settings.ONBOARDING_QUEUE}-poison`),
  ]);
  metrics.set("queueDepth", onboarding, { queue: "onboarding" });
  metrics.set("queueDepth", poison, { queue: "poison" });
  return { onboarding, poison };
}

async function approximateMessages(settings: Settings, name: string): Promise<number> {
  try {
    const properties = await queueClient(settings, name).getProperties();
    return properties.approximateMessagesCount ?? 0;
  } catch (err) {
    if (err instanceof RestError && err.statusCode === 404) return 0;
    throw err;
  }
}
