/** Where events wait to be processed. */
export interface EventQueue {
  /** Enqueues one message; `delaySeconds` keeps it invisible that long (deferral). */
  send(message: unknown, options?: { delaySeconds?: number }): Promise<void>;
}
