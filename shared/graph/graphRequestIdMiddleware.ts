import { randomUUID } from "node:crypto";
import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import { requestHeader, setRequestHeader } from "./graphAuthMiddleware.js";

/**
 * Puts a `client-request-id` (a fresh GUID, as Graph documents the header) on every request that has none, the
 * `$batch` envelope included. Graph echoes it back and keeps it with its own `request-id`, so a failure the app
 * reports can be found by Microsoft support from either id. Retries of one request keep its id: they are
 * attempts at the same call.
 */
export class GraphRequestIdMiddleware implements Middleware {
  private next: Middleware | undefined;

  async execute(context: Context): Promise<void> {
    if (requestHeader(context, "client-request-id") === undefined) {
      setRequestHeader(context, "client-request-id", randomUUID());
    }
    if (!this.next) throw new Error("GraphRequestIdMiddleware needs a next middleware");
    await this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
