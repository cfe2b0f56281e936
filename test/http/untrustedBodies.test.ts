import { HttpRequest, type HttpRequestInit, type HttpResponseInit } from "@azure/functions";
import { beforeEach, describe, expect, it } from "vitest";
import { fixContactInfo } from "../../functions/fixContactInfo.js";
import { hrBambooHr } from "../../functions/hrBambooHr.js";
import { hrEvents } from "../../functions/hrEvents.js";
import { hrScim } from "../../functions/hrScim.js";
import { maxJsonDepth } from "../../shared/core/jsonDepth.js";
import { readBody } from "../../shared/http/readBody.js";
import { scimSchemas } from "../../shared/intake/fromScim.js";
import { callers, easyAuthOn } from "../support/helpdeskRequests.js";
import {
  aContext,
  aPost,
  bambooHrHeaders,
  bodyOf,
  standardWebhookHeaders,
  takeQueued,
  testSecrets,
  useWebhookEnvironment,
} from "../support/webhookRequests.js";

const MiB = 1024 * 1024;
const chunkBytes = 64 * 1024;

/**
 * A request whose body is a stream of `totalBytes` JSON whitespace, sent chunked (no Content-Length), as the
 * Functions host hands over a streamed request. `pulled()` says how many bytes the handler made the stream produce.
 */
function aChunkedRequest(
  route: string,
  totalBytes: number,
  headers: Record<string, string> = {},
  params: Record<string, string> = {},
): { request: HttpRequest; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(chunkBytes).fill(0x20);
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= totalBytes) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  const nativeRequest = new Request(`http://127.0.0.1:7071/api/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    duplex: "half",
  } as RequestInit);
  // `nativeRequest` is how the library's own streaming path builds an HttpRequest around the host's request.
  const request = new HttpRequest({ nativeRequest, params } as unknown as HttpRequestInit);
  return { request, pulled: () => pulled };
}

const scimHeaders = { authorization: `Bearer ${testSecrets.scim}`, "content-type": "application/scim+json" };

/** `[[[[…]]]]` nested `depth` deep: valid JSON that overflows anything recursive. */
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
/** A ContactEvent-shaped object whose contact value nests `depth` levels in all. */
const deepEvent = (depth: number) =>
  `{"eventId":"deep","source":"x","occurredAt":"2026-11-24T09:00:00Z","user":{"employeeId":"E1"},"contact":{"mobilePhone":${nested(depth - 2)}}}`;

type Endpoint = {
  name: string;
  send: (body: string) => Promise<HttpResponseInit>;
  chunked: (totalBytes: number) => { request: HttpRequest; pulled: () => number };
  call: (request: HttpRequest) => Promise<HttpResponseInit>;
  limit: number;
  /** The deepest `[[[…]]]` the endpoint's size limit lets through, so it is the depth that is refused. */
  depth: number;
};

const endpoints: Endpoint[] = [
  {
    name: "hr/events",
    send: (body) => hrEvents(aPost("hr/events", body, standardWebhookHeaders(body)), aContext()),
    chunked: (total) => aChunkedRequest("hr/events", total, standardWebhookHeaders("{}")),
    call: (request) => hrEvents(request, aContext()),
    limit: MiB,
    depth: 100_000,
  },
  {
    name: "hr/bamboohr",
    send: (body) => hrBambooHr(aPost("hr/bamboohr", body, bambooHrHeaders(body)), aContext()),
    chunked: (total) => aChunkedRequest("hr/bamboohr", total, bambooHrHeaders("{}")),
    call: (request) => hrBambooHr(request, aContext()),
    limit: MiB,
    depth: 100_000,
  },
  {
    name: "hr/scim",
    send: (body) => hrScim(aPost("hr/scim", body, scimHeaders), aContext()),
    chunked: (total) => aChunkedRequest("hr/scim", total, scimHeaders),
    call: (request) => hrScim(request, aContext()),
    limit: MiB,
    depth: 100_000,
  },
  {
    name: "users/{user}/contact-info",
    send: (body) =>
      fixContactInfo(
        new HttpRequest({
          method: "PATCH",
          url: "http://127.0.0.1:7071/api/users/new.hire@contoso.example/contact-info",
          params: { user: "new.hire@contoso.example" },
          headers: { "content-type": "application/json", ...callers.admin },
          body: { string: body },
        }),
        aContext(),
      ),
    chunked: (total) =>
      aChunkedRequest("users/new.hire@contoso.example/contact-info", total, callers.admin, {
        user: "new.hire@contoso.example",
      }),
    call: (request) => fixContactInfo(request, aContext()),
    limit: 16 * 1024,
    depth: 8_000,
  },
];

describe("reading a body with a size limit", () => {
  it("stops pulling a chunked body of 100 MiB shortly after the limit, and answers 413", async () => {
    const { request, pulled } = aChunkedRequest("hr/events", 100 * MiB);
    const read = await readBody(request, { maxBytes: MiB, contentTypes: ["application/json"] });
    expect(read.ok).toBe(false);
    expect(read.ok ? undefined : read.response).toMatchObject({
      status: 413,
      jsonBody: { error: { code: "payload_too_large" } },
    });
    // The limit plus what the stream had buffered ahead: a few chunks, never the 100 MiB.
    expect(pulled()).toBeGreaterThan(MiB);
    expect(pulled()).toBeLessThan(MiB + 4 * chunkBytes);
  });

  it("reads a chunked body at the limit whole", async () => {
    const { request } = aChunkedRequest("hr/events", 16 * chunkBytes);
    const read = await readBody(request, { maxBytes: 16 * chunkBytes, contentTypes: ["application/json"] });
    expect(read.ok ? read.raw.length : read.response).toBe(16 * chunkBytes);
  });

  it("refuses a declared Content-Length over the limit before reading a byte", async () => {
    const { request, pulled } = aChunkedRequest("hr/events", 100 * MiB, {
      "content-length": String(2 * MiB),
    });
    const read = await readBody(request, { maxBytes: MiB, contentTypes: ["application/json"] });
    expect(read.ok ? undefined : read.response.status).toBe(413);
    expect(pulled()).toBeLessThanOrEqual(chunkBytes);
  });

  it("reads a request without a body as empty", async () => {
    const request = new HttpRequest({
      method: "POST",
      url: "http://127.0.0.1/api/x",
      headers: { "content-type": "application/json" },
    });
    const read = await readBody(request, { maxBytes: 10, contentTypes: ["application/json"] });
    expect(read.ok ? read.raw.length : read.response).toBe(0);
  });
});

describe("untrusted bodies at every endpoint that takes one", () => {
  const env = useWebhookEnvironment();
  // The fix endpoint sits behind Easy Auth; its caller here is a signed-in admin, so the body limits are reached.
  beforeEach(() => {
    env().configure(easyAuthOn);
  });

  it.each(endpoints)(
    "$name answers a chunked 100 MiB body with 413 without buffering it",
    async (endpoint) => {
      const { request, pulled } = endpoint.chunked(100 * MiB);
      const rssBefore = process.memoryUsage().rss;
      const response = await endpoint.call(request);
      expect(response.status).toBe(413);
      expect(pulled()).toBeLessThan(endpoint.limit + 4 * chunkBytes);
      // Before the fix one such request grew the process by ~390 MB.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * MiB);
      expect(await takeQueued()).toEqual([]);
    },
  );

  it.each(endpoints)(
    "$name answers JSON nested $depth deep with 400 body_too_deep, not a 500",
    async (endpoint) => {
      const response = await endpoint.send(nested(endpoint.depth));
      expect(response.status).toBe(400);
      if (endpoint.name === "hr/scim") {
        expect(bodyOf(response)).toEqual({
          schemas: [scimSchemas.error],
          status: "400",
          scimType: "invalidSyntax",
          detail: expect.stringContaining("[body_too_deep]"),
        });
      } else {
        expect(bodyOf(response)).toMatchObject({ error: { code: "body_too_deep" } });
      }
      expect(await takeQueued()).toEqual([]);
    },
  );

  it.each(endpoints)(`$name refuses a body one level deeper than ${maxJsonDepth}`, async (endpoint) => {
    const response = await endpoint.send(deepEvent(maxJsonDepth + 1));
    expect(response.status).toBe(400);
    expect(JSON.stringify(bodyOf(response))).toContain("body_too_deep");
  });

  it(`lets an hr/events body ${maxJsonDepth} levels deep through to the contact rules`, async () => {
    const response = await endpoints[0]?.send(deepEvent(maxJsonDepth));
    expect(response?.status).toBe(202);
    expect(bodyOf(response ?? {})).toMatchObject({
      rejected: [{ errors: [expect.objectContaining({ field: "contact.mobilePhone" })] }],
    });
  });
});
