import { afterAll, beforeAll } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { queueClient } from "../../shared/app/storageClients.js";
import { StorageEventQueue } from "../../shared/storage/storageEventQueue.js";
import { eventQueueContract } from "../contracts/eventQueueContract.js";
import { MemoryEventQueue } from "../doubles/memoryEventQueue.js";
import { useAzurite } from "../support/sharedAzurite.js";

let azurite: RunningAzurite | undefined;
let queues = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

eventQueueContract("MemoryEventQueue", () => {
  let now = Date.parse("2026-11-24T09:00:00.000Z");
  const queue = new MemoryEventQueue(() => new Date(now));
  return {
    queue,
    readBack: async () => queue.visible(),
    elapse: async (seconds) => {
      now += seconds * 1000;
    },
  };
});

eventQueueContract("StorageEventQueue on Azurite", () => {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  // A fresh queue per test (names: lower-case letters, digits and single hyphens).
  const client = queueClient(settings, `contract-${process.pid}-${++queues}`);
  return {
    queue: new StorageEventQueue(client),
    async readBack() {
      // Peek, so reading does not hide the messages; the adapter sends them base64-encoded JSON.
      if (!(await client.exists())) return [];
      const peeked = await client.peekMessages({ numberOfMessages: 32 });
      return peeked.peekedMessageItems.map((item) =>
        JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")),
      );
    },
    elapse: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
  };
});
