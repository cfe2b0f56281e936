import { createHmac } from "node:crypto";
import { HttpRequest, type HttpResponseInit, InvocationContext } from "@azure/functions";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hrBambooHr } from "../../functions/hrBambooHr.js";
import { hrEvents } from "../../functions/hrEvents.js";
import { hrScim } from "../../functions/hrScim.js";
import { appServices, buildServices, useAppServices } from "../../shared/app/appServices.js";
import { validateContactEvent } from "../../shared/contact/contactEvent.js";
import type { WebhookReceipts } from "../../shared/intake/webhookReceipts.js";
import type { EventQueue } from "../../shared/sync/eventQueue.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import {
  bambooHrHeaders,
  standardWebhookHeaders,
  testSecrets,
  webhookEnv,
} from "../support/webhookRequests.js";
import { bambooHrBody, bodyBytes, fuzzPii, garbage, hrEventsBody, scimBody } from "./support/arbitraries.js";
import { reportFigures, sizes } from "./support/scale.js";

const numRuns = sizes.fuzzRuns;
let env: TestEnvironment;
/** Every message the endpoints put on the queue, in order. */
const queued: unknown[] = [];
const started = performance.now();
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  env = await startTestEnvironment({ env: { ...webhookEnv, ORGANIZATION_DOMAINS: "contoso.example" } });
  // The queue and the receipts in memory: what is fuzzed is the endpoints, and every enqueue is seen here.
  const queue: EventQueue = {
    send: async (message) => {
      queued.push(message);
    },
  };
  const receipts = new Map<string, "pending" | "enqueued">();
  const webhookReceipts: WebhookReceipts = {
    claim: async (scope, eventId) => {
      if (receipts.get(`${scope} ${eventId}`) === "enqueued") return "duplicate";
      receipts.set(`${scope} ${eventId}`, "pending");
      return "new";
    },
    markEnqueued: async (scope, eventId) => {
      receipts.set(`${scope} ${eventId}`, "enqueued");
    },
  };
  useAppServices(buildServices(appServices().settings, { queue, webhookReceipts }));
});
afterAll(async () => env?.close());

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Half the deliveries carry a correct signature (`valid*`: for exactly the bytes sent), half carry none. */
function signings(valid: string[], invalid: string[]): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...valid), fc.constantFrom(...invalid));
}
const standardSigning = signings(
  ["valid", "validAmongOthers"],
  ["wrongKey", "tamperedBody", "stale", "future", "missingHeader", "garbage", "otherId"],
);
const bambooSigning = signings(
  ["valid", "validUpperCase", "validIsoTimestamp"],
  ["wrongKey", "tamperedBody", "stale", "missingHeader", "garbage", "timestampNotSigned"],
);
const scimSigning = signings(
  ["valid", "validLowerScheme"],
  ["wrongToken", "missingHeader", "garbage", "basic", "prefix"],
);
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8") },
  { weight: 2, arbitrary: fc.constantFrom("application/scim+json", "text/plain", "", "APPLICATION/JSON") },
);
// HTTP header values are bytes; the host hands them over as Latin-1 text, so that is what the fuzzer sends.
const headerValue = garbage.map((v) => v.replace(/[^\x20-\x7e\xa0-\xff]/g, "").slice(0, 80));
const headerNoise = fc.dictionary(
  fc.constantFrom(
    "x-forwarded-for",
    "user-agent",
    "webhook-id",
    "x-bamboohr-timestamp",
    "authorization",
    "content-length",
  ),
  headerValue,
  { maxKeys: 2 },
);

function flip(body: Buffer): Buffer {
  if (body.length === 0) return Buffer.from(" ");
  const copy = Buffer.from(body);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01;
  return copy;
}

/** The headers (and the bytes actually sent) for a Standard Webhooks delivery signed as `mode` says. */
function standardDelivery(
  body: Buffer,
  mode: string,
  noise: string,
): { headers: Record<string, string>; sent: Buffer } {
  const now = new Date();
  switch (mode) {
    case "valid":
      return { headers: standardWebhookHeaders(body), sent: body };
    case "validAmongOthers": {
      const headers = standardWebhookHeaders(body);
      const wrong = standardWebhookHeaders(body, { id: headers["webhook-id"], secret: testSecrets.rotated });
      headers["webhook-signature"] = `${wrong["webhook-signature"]} ${headers["webhook-signature"]}`;
      return { headers, sent: body };
    }
    case "wrongKey":
      return { headers: standardWebhookHeaders(body, { secret: testSecrets.rotated }), sent: body };
    case "tamperedBody":
      return { headers: standardWebhookHeaders(body), sent: flip(body) };
    case "stale":
      return {
        headers: standardWebhookHeaders(body, { timestamp: new Date(now.getTime() - 10 * 60_000) }),
        sent: body,
      };
    case "future":
      return {
        headers: standardWebhookHeaders(body, { timestamp: new Date(now.getTime() + 10 * 60_000) }),
        sent: body,
      };
    case "missingHeader": {
      const headers = standardWebhookHeaders(body);
      delete headers[
        ["webhook-id", "webhook-timestamp", "webhook-signature"][body.length % 3] ?? "webhook-id"
      ];
      return { headers, sent: body };
    }
    case "otherId": {
      // A valid signature, replayed under another webhook-id: the id is part of what is signed.
      const headers = standardWebhookHeaders(body);
      return { headers: { ...headers, "webhook-id": `${headers["webhook-id"]}x` }, sent: body };
    }
    default:
      return {
        headers: { "webhook-id": noise, "webhook-timestamp": noise, "webhook-signature": `v1,${noise}` },
        sent: body,
      };
  }
}

function bambooDelivery(
  body: Buffer,
  mode: string,
  noise: string,
): { headers: Record<string, string>; sent: Buffer } {
  const now = new Date();
  switch (mode) {
    case "valid":
      return { headers: bambooHrHeaders(body), sent: body };
    case "validUpperCase": {
      const headers = bambooHrHeaders(body);
      return {
        headers: { ...headers, "x-bamboohr-signature": headers["x-bamboohr-signature"]?.toUpperCase() ?? "" },
        sent: body,
      };
    }
    case "validIsoTimestamp":
      return {
        headers: bambooHrHeaders(body, { timestamp: new Date(now.getTime() - 1000).toISOString() }),
        sent: body,
      };
    case "wrongKey":
      return { headers: bambooHrHeaders(body, { key: "not-the-key" }), sent: body };
    case "tamperedBody":
      return { headers: bambooHrHeaders(body), sent: flip(body) };
    case "stale":
      return {
        headers: bambooHrHeaders(body, { timestamp: new Date(now.getTime() - 10 * 60_000) }),
        sent: body,
      };
    case "missingHeader": {
      const headers = bambooHrHeaders(body);
      delete headers[body.length % 2 === 0 ? "x-bamboohr-signature" : "x-bamboohr-timestamp"];
      return { headers, sent: body };
    }
    case "timestampNotSigned": {
      // Signed without the timestamp (the HMAC covers body + timestamp): must not verify.
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const signature = createHmac("sha256", testSecrets.bambooHr).update(body).digest("hex");
      return {
        headers: { "x-bamboohr-timestamp": timestamp, "x-bamboohr-signature": signature },
        sent: body,
      };
    }
    default:
      return { headers: { "x-bamboohr-timestamp": noise, "x-bamboohr-signature": noise }, sent: body };
  }
}

function scimDelivery(
  body: Buffer,
  mode: string,
  noise: string,
): { headers: Record<string, string>; sent: Buffer } {
  const token = testSecrets.scim;
  const authorization: Record<string, string | undefined> = {
    valid: `Bearer ${token}`,
    validLowerScheme: `bearer ${token}`,
    wrongToken: `Bearer ${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`,
    missingHeader: undefined,
    garbage: noise,
    basic: `Basic ${Buffer.from(`scim:${token}`).toString("base64")}`,
    prefix: `Bearer ${token.slice(0, 8)}`,
  };
  const value = authorization[mode];
  return { headers: value === undefined ? {} : { authorization: value }, sent: body };
}

const endpoints = [
  {
    name: "hr/events",
    handler: hrEvents as Handler,
    body: hrEventsBody,
    signing: standardSigning,
    deliver: standardDelivery,
  },
  {
    name: "hr/bamboohr",
    handler: hrBambooHr as Handler,
    body: bambooHrBody,
    signing: bambooSigning,
    deliver: bambooDelivery,
  },
  {
    name: "hr/scim",
    handler: hrScim as Handler,
    body: scimBody,
    signing: scimSigning,
    deliver: scimDelivery,
  },
];

describe(`fuzzing the HR webhook endpoints (${numRuns.toLocaleString("en-US")} cases each)`, () => {
  it.each(endpoints)(
    "POST /api/$name never answers 5xx or throws, never queues without a valid signature, never echoes PII",
    async ({ name, handler, body, signing, deliver }) => {
      const statuses: Record<string, number> = {};
      let signedAndQueued = 0;
      await fc.assert(
        fc.asyncProperty(
          bodyBytes(body),
          signing,
          contentType,
          headerNoise,
          headerValue,
          async (bytes, mode, type, noise, noiseValue) => {
            const { headers, sent } = deliver(bytes, mode, noiseValue);
            const request = new HttpRequest({
              method: "POST",
              url: `http://127.0.0.1:7071/api/${name}`,
              body: { bytes: sent },
              headers: { ...noise, ...headers, "content-type": type },
            });
            const logs: string[] = [];
            const context = new InvocationContext({
              functionName: name,
              logHandler: (_level, ...args) => logs.push(args.map(String).join(" ")),
            });
            const before = queued.length;
            const response = await handler(request, context);
            const status = response.status ?? 200;
            statuses[status] = (statuses[status] ?? 0) + 1;
            expect(status).toBeLessThan(500);
            const added = queued.slice(before);
            if (!mode.startsWith("valid")) {
              expect(added).toEqual([]);
              expect([401, 413, 415]).toContain(status);
            }
            if (added.length > 0) signedAndQueued += 1;
            for (const message of added) {
              expect(validateContactEvent(message, appServices().rules).ok).toBe(true);
            }
            const answer = JSON.stringify(response.jsonBody ?? response.body ?? null);
            expect(fuzzPii.findIn(`${answer}\n${logs.join("\n")}`)).toEqual([]);
          },
        ),
        { numRuns },
      );
      figures[name] = {
        cases: numRuns,
        "answers by status": statuses,
        "cases that queued events": signedAndQueued,
      };
      // The fuzzer did reach the inside: valid deliveries were taken in, not only refused at the door.
      expect(signedAndQueued).toBeGreaterThan(numRuns / 100);
    },
  );

  it("reports its figures", () => {
    reportFigures("fuzz-webhooks", {
      ...figures,
      "messages queued (all from validly signed deliveries)": queued.length,
      "duration s": (performance.now() - started) / 1000,
    });
  });
});
