/**
 * Which webhook events have already been received, so a sender's redelivery is acknowledged without being
 * queued again. Two steps, because a receipt written before a failed enqueue must not turn the sender's retry
 * into a "duplicate" that is never processed.
 */
export interface WebhookReceipts {
  /** Notes that the event arrived; `duplicate` only when an earlier delivery of it was enqueued. */
  claim(eventId: string): Promise<"new" | "duplicate">;
  /** Notes that the event is on the queue, so later deliveries are duplicates. */
  markEnqueued(eventId: string): Promise<void>;
}
