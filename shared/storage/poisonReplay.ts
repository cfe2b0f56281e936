import type { QueueClient } from "@azure/storage-queue";
import { isRecord } from "../core/isRecord.js";

/** One message of the poison queue, as a replay reports it: never its body, which holds contact data. */
export interface PoisonMessage {
  messageId: string;
  insertedOn: Date | undefined;
  /** The event id the body names, when the body is a JSON event (shown so an admin can find its outcome). */
  eventId: string | undefined;
  /** What `prepare` said of it (e.g. that its failed outcome was reopened). */
  note?: string | undefined;
}

export interface PoisonReplayResult {
  /** Messages put back on the main queue (or, in a dry run, that would be). */
  moved: PoisonMessage[];
  /** Messages that could not be moved, with why; they stay on the poison queue. */
  failed: Array<{ message: PoisonMessage; error: Error }>;
  /** The poison queue's approximate length when the replay began (a dry run lists at most 32 of them). */
  waiting: number;
}

// Storage hands out at most 32 messages per receive or peek.
const pageSize = 32;
// How long a message being moved stays invisible on the poison queue: long enough for the send and the delete.
const movingVisibilitySeconds = 60;

/**
 * Puts the messages of a poison queue back on the main queue, unchanged (same text, same encoding), after the
 * cause that poisoned them is fixed. Each is sent to the main queue first and deleted from the poison queue
 * second, so a replay that dies in between leaves a duplicate, never a loss: the pipeline processes an event once
 * whatever the number of its messages. A dry run only peeks, moving nothing.
 */
export async function replayPoisonMessages(
  poison: QueueClient,
  main: QueueClient,
  options: {
    dryRun: boolean;
    max: number;
    /**
     * Called for each message before it is sent (in a dry run, to describe it only); a throw leaves the message
     * on the poison queue. Returns a note for the report.
     */
    prepare?: (message: PoisonMessage, dryRun: boolean) => Promise<string | undefined>;
  },
): Promise<PoisonReplayResult> {
  const result: PoisonReplayResult = { moved: [], failed: [], waiting: 0 };
  if (!(await poison.exists())) return result;
  result.waiting = (await poison.getProperties()).approximateMessagesCount ?? 0;
  if (options.dryRun) {
    const peeked = await poison.peekMessages({ numberOfMessages: Math.min(pageSize, options.max) });
    for (const item of peeked.peekedMessageItems) {
      const message = describe(item.messageId, item.insertedOn, item.messageText);
      message.note = await options.prepare?.(message, true);
      result.moved.push(message);
    }
    return result;
  }
  await main.createIfNotExists();
  while (result.moved.length + result.failed.length < options.max) {
    const want = Math.min(pageSize, options.max - result.moved.length - result.failed.length);
    const page = await poison.receiveMessages({
      numberOfMessages: want,
      visibilityTimeout: movingVisibilitySeconds,
    });
    if (page.receivedMessageItems.length === 0) break;
    for (const item of page.receivedMessageItems) {
      const message = describe(item.messageId, item.insertedOn, item.messageText);
      try {
        message.note = await options.prepare?.(message, false);
        // Never expires, as the app's own messages: a new hire's event must not vanish while it waits.
        await main.sendMessage(item.messageText, { messageTimeToLive: -1 });
        await poison.deleteMessage(item.messageId, item.popReceipt);
        result.moved.push(message);
      } catch (err) {
        result.failed.push({ message, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
  }
  return result;
}

function describe(messageId: string, insertedOn: Date | undefined, text: string): PoisonMessage {
  return { messageId, insertedOn, eventId: eventIdOf(text) };
}

/** The `eventId` of a base64 or plain JSON body, as the pipeline reads it (a string of 1 to 128 characters). */
function eventIdOf(text: string): string | undefined {
  for (const candidate of [Buffer.from(text, "base64").toString("utf8"), text]) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      const eventId = isRecord(parsed) ? parsed.eventId : undefined;
      if (typeof eventId === "string" && eventId.length >= 1 && eventId.length <= 128) return eventId;
    } catch {
      // Not JSON in this encoding: try the next.
    }
  }
  return undefined;
}
