import type { QueueClient } from "@azure/storage-queue";
import type { EventQueue } from "../sync/eventQueue.js";

/**
 * A Storage queue holding JSON messages, base64-encoded because host.json's `messageEncoding` is base64:
 * the queue trigger would reject a plain-text message.
 */
export class StorageEventQueue implements EventQueue {
  #ready: Promise<unknown> | undefined;

  constructor(private readonly queue: QueueClient) {}

  async send(message: unknown, options: { delaySeconds?: number } = {}): Promise<void> {
    this.#ready ??= this.queue.createIfNotExists().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    await this.#ready;
    const body = Buffer.from(JSON.stringify(message), "utf8").toString("base64");
    // -1 = never expire: a new hire's event must not vanish after the default 7 days while it waits.
    await this.queue.sendMessage(body, {
      messageTimeToLive: -1,
      ...(options.delaySeconds ? { visibilityTimeout: Math.ceil(options.delaySeconds) } : {}),
    });
  }
}
