import { readFileSync } from "node:fs";
import { projectFile } from "./projectFile.js";

/** The queue-trigger settings from host.json that the code must honour (poison threshold, encoding). */
export interface QueueHostSettings {
  batchSize: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: "base64" | "none";
}

/**
 * Reads `extensions.queues` from host.json (the composition root does it once). host.json is the single source: the Functions host reads
 * it in Azure, the local host and the queue handler (which must know the last attempt) read it here.
 */
export function readQueueHostSettings(): QueueHostSettings {
  const hostJson = JSON.parse(readFileSync(projectFile("host.json"), "utf8"));
  const queues = hostJson?.extensions?.queues ?? {};
  return {
    batchSize: queues.batchSize ?? 16,
    maxDequeueCount: queues.maxDequeueCount ?? 5,
    visibilityTimeoutMs: toMilliseconds(queues.visibilityTimeout ?? "00:00:00"),
    maxPollingIntervalMs: toMilliseconds(queues.maxPollingInterval ?? "00:01:00"),
    messageEncoding: queues.messageEncoding === "none" ? "none" : "base64",
  };
}

/** Converts a host.json TimeSpan (`hh:mm:ss`) to milliseconds. */
export function toMilliseconds(timeSpan: string): number {
  const [h = 0, m = 0, s = 0] = timeSpan.split(":").map(Number);
  return ((h * 60 + m) * 60 + s) * 1000;
}
