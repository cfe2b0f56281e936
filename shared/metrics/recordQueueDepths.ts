import type { Metrics } from "./metrics.js";

/** The approximate message counts of the onboarding queue and its poison queue. */
export interface QueueDepths {
  onboarding: number;
  poison: number;
}

/** Where the depths are read (the Storage queues in Azure; a double in tests). */
export interface QueueDepthSource {
  read(): Promise<QueueDepths>;
}

/** Reads both queues' depths and sets the `sspr.queue.depth` gauge for each; the depths are returned for the log. */
export async function recordQueueDepths(source: QueueDepthSource, metrics: Metrics): Promise<QueueDepths> {
  const depths = await source.read();
  metrics.set("queueDepth", depths.onboarding, { queue: "onboarding" });
  metrics.set("queueDepth", depths.poison, { queue: "poison" });
  return depths;
}
