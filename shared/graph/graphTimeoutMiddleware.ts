import type { Context, Middleware } from "@microsoft/microsoft-graph-client";

/**
 * Gives each attempt its own deadline. It sits after the RetryHandler because a signal set before it would be
 * shared by all retries, and the first timeout would then abort every later attempt at once.
 */
export class GraphTimeoutMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly timeoutMs: number) {}

  async execute(context: Context): Promise<void> {
    context.options ??= {};
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const callerSignal = context.options.signal ?? undefined;
    context.options.signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
    if (!this.next)
      throw new Error("GraphTimeoutMiddleware is the last middleware; the chain needs a fetch handler");
    try {
      await this.next.execute(context);
    } finally {
      // The next attempt gets a fresh deadline, not this (possibly fired) one.
      context.options.signal = callerSignal ?? null;
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
