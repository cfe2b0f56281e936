import type { StorageQueueFunctionOptions } from "@azure/functions";
import type { Settings } from "../shared/app/config.js";
import type { QueueHostSettings } from "../shared/app/hostJson.js";
import { queueClient } from "../shared/app/storageClients.js";
import { invocationContext } from "./invocationContext.js";
import { resolveBindingExpression } from "./resolveBindingExpression.js";

const minPollingIntervalMs = 100;

/** A queue trigger polling its queue; poke() polls now, stop() ends the loop once the batch in hand is done. */
export interface Poller {
  poke(): void;
  stop(): Promise<void>;
}

/** One queue-triggered function bound to its queue and poison queue, with the host settings it runs under. */
interface QueueTarget {
  name: string;
  handler: StorageQueueFunctionOptions["handler"];
  queueName: string;
  queue: ReturnType<typeof queueClient>;
  poison: ReturnType<typeof queueClient>;
  host: QueueHostSettings;
  /** How long a received message stays invisible while its function runs. */
  visibilityTimeoutSeconds: number;
  log: (line: string) => void;
}

/** A received queue message, as the Storage SDK hands it over. */
interface QueueMessage {
  messageId: string;
  popReceipt: string;
  messageText: string;
  dequeueCount: number;
  insertedOn: Date;
  expiresOn: Date;
  nextVisibleOn: Date;
}

/** What the poll loop and its poke/stop share. */
interface PollState {
  stopped: boolean;
  delayMs: number;
}

/**
 * Polls the queue of a queue-triggered function as the Functions host does: batches of host.json's batchSize,
 * backing off while the queue is empty, each message run by `runQueueMessage`.
 */
export function startQueuePoller(
  name: string,
  options: StorageQueueFunctionOptions,
  settings: Settings,
  host: QueueHostSettings,
  visibilityTimeoutSeconds: number,
  log: (line: string) => void,
): Poller {
  const queueName = resolveBindingExpression(options.queueName, settings);
  const target: QueueTarget = {
    name,
    handler: options.handler,
    queueName,
    queue: queueClient(settings, queueName),
    poison: queueClient(settings, `${queueName}-poison`),
    host,
    visibilityTimeoutSeconds,
    log,
  };
  const idle = wakeableSleep();
  const state: PollState = { stopped: false, delayMs: minPollingIntervalMs };
  const loop = pollUntilStopped(target, state, idle);
  return {
    poke: () => {
      state.delayMs = minPollingIntervalMs;
      idle.wake();
    },
    stop: async () => {
      state.stopped = true;
      idle.wake();
      await loop;
    },
  };
}

/** A sleep that `wake()` ends at once: how a poke or a stop reaches an idle poller. */
function wakeableSleep(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
    wake: () => wake?.(),
  };
}

async function pollUntilStopped(
  target: QueueTarget,
  state: PollState,
  idle: ReturnType<typeof wakeableSleep>,
): Promise<void> {
  const { queue, host } = target;
  let created = false;
  while (!state.stopped) {
    let received = 0;
    try {
      if (!created) created = Boolean(await queue.createIfNotExists());
      const batch = await queue.receiveMessages({
        numberOfMessages: Math.min(host.batchSize, 32),
        visibilityTimeout: target.visibilityTimeoutSeconds,
      });
      received = batch.receivedMessageItems.length;
      await Promise.all(batch.receivedMessageItems.map((message) => runQueueMessage(target, message)));
    } catch (err) {
      if (!state.stopped)
        target.log(`[${target.name}] queue poll failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Poll at once while there is work; otherwise back off exponentially up to maxPollingInterval.
    state.delayMs =
      received > 0
        ? 0
        : Math.min(Math.max(state.delayMs * 2, minPollingIntervalMs), host.maxPollingIntervalMs);
    if (!state.stopped && state.delayMs > 0) await idle.sleep(state.delayMs);
  }
}

/**
 * Runs the function on one message as the Functions host does: deleted on success; on failure visible again
 * after visibilityTimeout, or moved to the poison queue once maxDequeueCount attempts have failed.
 */
async function runQueueMessage(target: QueueTarget, message: QueueMessage): Promise<void> {
  const { queue, host } = target;
  if (message.dequeueCount > host.maxDequeueCount) {
    await moveToPoison(target, message);
    return;
  }
  const text =
    host.messageEncoding === "base64"
      ? Buffer.from(message.messageText, "base64").toString("utf8")
      : message.messageText;
  const context = queueTriggerContext(target, message, text);
  try {
    await target.handler(parseQueuePayload(text), context);
    await queue.deleteMessage(message.messageId, message.popReceipt);
  } catch (err) {
    target.log(
      `[${target.name}] attempt ${message.dequeueCount} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
    if (message.dequeueCount >= host.maxDequeueCount) {
      await moveToPoison(target, message);
    } else {
      await queue.updateMessage(
        message.messageId,
        message.popReceipt,
        undefined,
        host.visibilityTimeoutMs / 1000,
      );
    }
  }
}

/** The queue trigger's metadata, named as the Functions host names it. */
function queueTriggerContext(
  target: QueueTarget,
  message: QueueMessage,
  text: string,
): ReturnType<typeof invocationContext> {
  return invocationContext(
    target.name,
    "queueTrigger",
    {
      id: message.messageId,
      dequeueCount: message.dequeueCount,
      insertionTime: message.insertedOn.toISOString(),
      expirationTime: message.expiresOn.toISOString(),
      nextVisibleTime: message.nextVisibleOn.toISOString(),
      popReceipt: message.popReceipt,
      queueTrigger: text,
    },
    target.log,
  );
}

async function moveToPoison(
  target: QueueTarget,
  message: Pick<QueueMessage, "messageId" | "popReceipt" | "messageText">,
): Promise<void> {
  await target.poison.createIfNotExists();
  await target.poison.sendMessage(message.messageText);
  await target.queue.deleteMessage(message.messageId, message.popReceipt);
  target.log(
    `[${target.name}] message ${message.messageId} moved to ${target.queueName}-poison after ${target.host.maxDequeueCount} attempts`,
  );
}

/** The Functions host hands a queue function parsed JSON when the message is JSON, else the string. */
function parseQueuePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
