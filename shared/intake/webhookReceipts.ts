/**
 * Which webhook events have already been received, so a sender's redelivery is acknowledged without being
 * queued again. Two steps, because a receipt written before a failed enqueue must not turn the sender's retry
 * into a "duplicate" that is never processed.
 *
 * Receipts are kept per sender (`scope`: the verified actor, e.g. `webhook:hr/events#1a2b3c4d`), so one sender
 * can never make another's event look already received, whatever event ids it sends.
 */
export interface WebhookReceipts {
  /** Notes that the event arrived; `duplicate` only when an earlier delivery of it by the same sender was enqueued. */
  claim(scope: string, eventId: string): Promise<"new" | "duplicate">;
  /** Notes that the event is on the queue, so later deliveries by the same sender are duplicates. */
  markEnqueued(scope: string, eventId: string): Promise<void>;
}
