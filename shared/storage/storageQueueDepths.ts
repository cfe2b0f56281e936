import { type QueueClient, RestError } from "@azure/storage-queue";

/**
 * The approximate message counts of the onboarding queue and its poison queue, read from the queues themselves:
 * Azure Storage's own metric (QueueMessageCount) is one number for the whole account, once an hour. A queue that
 * does not exist yet holds nothing.
 */
export class StorageQueueDepths {
  constructor(
    private readonly onboarding: QueueClient,
    private readonly poison: QueueClient,
  ) {}

  async read(): Promise<{ onboarding: number; poison: number }> {
    const [onboarding, poison] = await Promise.all([
      approximateMessages(this.onboarding),
      approximateMessages(this.poison),
    ]);
    return { onboarding, poison };
  }
}

async function approximateMessages(queue: QueueClient): Promise<number> {
  try {
    return (await queue.getProperties()).approximateMessagesCount ?? 0;
  } catch (err) {
    if (err instanceof RestError && err.statusCode === 404) return 0;
    throw err;
  }
}
