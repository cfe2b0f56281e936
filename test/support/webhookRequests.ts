import { createHmac, randomBytes } from "node:crypto";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { appServices } from "../../shared/app/appServices.js";
import { queueClient } from "../../shared/app/storageClients.js";
import { startTestEnvironment, type TestEnvironment } from "./testEnvironment.js";

/** Fresh secrets per test process; none of them is a real credential. */
export const testSecrets = {
  standard: `whsec_${randomBytes(32).toString("base64")}`,
  rotated: `whsec_${randomBytes(32).toString("base64")}`,
  bambooHr: randomBytes(24).toString("hex"),
  scim: randomBytes(24).toString("base64url"),
};

/** The env that configures all three HR endpoints with `testSecrets`. */
export const webhookEnv = {
  HR_WEBHOOK_SECRETS: testSecrets.standard,
  BAMBOOHR_WEBHOOK_KEY: testSecrets.bambooHr,
  SCIM_TOKEN: testSecrets.scim,
};

type Body = string | Buffer;

let sequence = 0;

/** A unique webhook-id per call, so tests never collide on receipts. */
export function aWebhookId(): string {
  sequence += 1;
  return `msg_${process.pid}_${Date.now()}_${sequence}`;
}

/**
 * Standard Webhooks headers for `body`, signed by the `standardwebhooks` package itself: an independent
 * implementation, so the verifier is checked against the reference signer, not against its own logic.
 */
export function standardWebhookHeaders(
  body: Body,
  options: { id?: string; timestamp?: Date; secret?: string } = {},
): Record<string, string> {
  const id = options.id ?? aWebhookId();
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(options.secret ?? testSecrets.standard).sign(
    id,
    timestamp,
    Buffer.from(body),
  );
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signature,
  };
}

/** BambooHR's signature headers: hex HMAC-SHA256 over body + timestamp, keyed with the private key. */
export function bambooHrHeaders(
  body: Body,
  options: { timestamp?: Date | string; key?: string } = {},
): Record<string, string> {
  const timestamp =
    typeof options.timestamp === "string"
      ? options.timestamp
      : String(Math.floor((options.timestamp ?? new Date()).getTime() / 1000));
  const signature = createHmac("sha256", options.key ?? testSecrets.bambooHr)
    .update(Buffer.from(body))
    .update(timestamp)
    .digest("hex");
  return { "x-bamboohr-timestamp": timestamp, "x-bamboohr-signature": signature };
}

/** A real Functions HttpRequest, as the host builds it. */
export function aPost(route: string, body: Body, headers: Record<string, string>): HttpRequest {
  return new HttpRequest({
    method: "POST",
    url: `http://127.0.0.1:7071/api/${route}`,
    body: typeof body === "string" ? { string: body } : { bytes: body },
    headers: { "content-type": "application/json", ...headers },
  });
}

/** An InvocationContext whose log lines land in `lines`. */
export function aContext(lines: string[] = []): InvocationContext {
  return new InvocationContext({
    functionName: "test",
    logHandler: (_level, ...args) => lines.push(args.map(String).join(" ")),
  });
}

/** Every message on the onboarding queue, decoded; each read empties the queue for the next test. */
export async function takeQueued(): Promise<Record<string, unknown>[]> {
  const queue = queueClient(appServices().settings, appServices().settings.ONBOARDING_QUEUE);
  if (!(await queue.exists())) return [];
  const messages: Record<string, unknown>[] = [];
  for (;;) {
    const batch = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (batch.receivedMessageItems.length === 0) return messages;
    for (const item of batch.receivedMessageItems) {
      messages.push(
        JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")) as Record<string, unknown>,
      );
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

/** The JSON a handler answered, whatever form it took. */
export function bodyOf(response: { jsonBody?: unknown; body?: unknown }): unknown {
  return response.jsonBody ?? response.body;
}

/**
 * Sets up a suite of webhook endpoint tests: emulators with the webhook secrets for the suite, fresh settings and an
 * empty queue before each test. Call inside `describe`; the returned getter gives the environment.
 */
export function useWebhookEnvironment(): () => TestEnvironment {
  let env: TestEnvironment | undefined;
  beforeAll(async () => {
    env = await startTestEnvironment({ env: webhookEnv });
  });
  afterAll(async () => env?.close());
  beforeEach(async () => {
    env?.configure();
    await takeQueued();
  });
  return () => {
    if (!env) throw new Error("the webhook test environment is not started");
    return env;
  };
}
