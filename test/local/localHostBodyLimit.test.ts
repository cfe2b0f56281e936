import { request as httpRequest } from "node:http";
import type { HttpRequest } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import type { AppServices } from "../../shared/app/appServices.js";
import { loadSettings } from "../../shared/app/config.js";
import { hostBodyLimitBytes, webhookBodyBytes } from "../../shared/http/bodyLimits.js";

// The host itself, over HTTP, not a handler: in Azure the Functions host buffers a body before any handler's own
// stream limit runs, so the limit must hold in front of the handlers. Nothing here needs storage or Graph.

const MiB = 1024 * 1024;
const chunkBytes = 64 * 1024;

/** Every body a handler was given, by size: a refused body must never show up here. */
const handled: number[] = [];
let host: LocalHost;

beforeAll(async () => {
  const settings = loadSettings({});
  host = await startLocalHost({
    registrations: [
      {
        kind: "http",
        name: "sink",
        options: {
          route: "sink",
          methods: ["POST"],
          authLevel: "anonymous",
          handler: async (request: HttpRequest) => {
            handled.push((await request.arrayBuffer()).byteLength);
            return { status: 204 };
          },
        },
      },
    ],
    settings,
    port: 0,
    easyAuth: false,
    app: {
      appServices: () => ({ settings }) as AppServices,
      withAppServices: (_services, run) => run(),
    },
    log: () => undefined,
  });
});
afterAll(async () => {
  await host?.close();
});

/** What the client saw of one POST: the status (if an answer came) and how many body bytes it got to send. */
interface Sent {
  status: number | undefined;
  sentBytes: number;
}

/**
 * POSTs `totalBytes` in 64 KiB chunks, chunked (no Content-Length) unless `declared` says otherwise, writing only
 * as fast as the host reads, and stopping at the host's answer or when the host closes the connection.
 */
function post(totalBytes: number, declared?: number): Promise<Sent> {
  const url = new URL("/api/sink", host.url);
  return new Promise((resolve) => {
    let sentBytes = 0;
    let status: number | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      req.destroy();
      resolve({ status, sentBytes });
    };
    const req = httpRequest(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(declared === undefined ? {} : { "content-length": String(declared) }),
      },
    });
    req.on("response", (res) => {
      status = res.statusCode;
      res.resume();
      res.on("end", finish);
    });
    req.on("error", finish);
    req.on("close", () => setTimeout(finish, 50));
    const chunk = Buffer.alloc(chunkBytes, 0x20);
    const pump = () => {
      while (!finished && status === undefined && sentBytes < totalBytes) {
        const piece = chunk.subarray(0, Math.min(chunkBytes, totalBytes - sentBytes));
        sentBytes += piece.length;
        if (!req.write(piece)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!finished && sentBytes >= totalBytes) req.end();
    };
    pump();
  });
}

describe("the local host's request body limit, before any handler runs", () => {
  it("is the app's own largest accepted body (the webhooks' 1 MiB), as the Bicep sets the Functions host's", () => {
    expect(hostBodyLimitBytes).toBe(webhookBodyBytes);
    expect(hostBodyLimitBytes).toBe(MiB);
  });

  it("passes a chunked body of exactly the limit to the handler, whole", async () => {
    handled.length = 0;
    const sent = await post(hostBodyLimitBytes);
    expect(sent.status).toBe(204);
    expect(handled).toEqual([hostBodyLimitBytes]);
  });

  it("answers a chunked 100 MiB body with 413 soon after the limit, never reading it or calling the handler", async () => {
    handled.length = 0;
    const before = process.memoryUsage();
    const sent = await post(100 * MiB);
    const after = process.memoryUsage();
    expect(sent.status).toBe(413);
    expect(handled).toEqual([]);
    // The client could send only the limit plus what the loopback socket buffers hold before the host stopped it.
    expect(sent.sentBytes).toBeLessThan(hostBodyLimitBytes + 16 * MiB);
    // Nor did the host keep the body: the process holds nowhere near the 100 MiB it was offered.
    expect(after.rss + after.arrayBuffers - (before.rss + before.arrayBuffers)).toBeLessThan(48 * MiB);
  });

  it("answers 413 at once to a declared Content-Length over the limit, before a byte of the body is read", async () => {
    handled.length = 0;
    const sent = await post(8 * MiB, 100 * MiB);
    expect(sent.status).toBe(413);
    expect(handled).toEqual([]);
    expect(sent.sentBytes).toBeLessThan(hostBodyLimitBytes + 16 * MiB);
  });

  it("still serves the next request after refusing one", async () => {
    handled.length = 0;
    expect((await post(1024)).status).toBe(204);
    expect(handled).toEqual([1024]);
  });
});
