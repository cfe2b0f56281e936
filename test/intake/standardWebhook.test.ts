import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  tryStandardWebhookKeys,
  verifyStandardWebhook,
  webhookKeyId,
} from "../../shared/intake/standardWebhook.js";

// The test vector published with the Standard Webhooks spec.
const vector = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: "1614265330",
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const vectorTime = new Date(Number(vector.timestamp) * 1000);
const vectorKeys = tryStandardWebhookKeys([vector.secret]) ?? [];

function headers(values: Record<string, string | undefined>) {
  const map = new Map(Object.entries(values).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name: string) => map.get(name.toLowerCase()) ?? null };
}

const vectorHeaders = (overrides: Record<string, string | undefined> = {}) =>
  headers({
    "webhook-id": vector.id,
    "webhook-timestamp": vector.timestamp,
    "webhook-signature": vector.signature,
    ...overrides,
  });

const verifyVector = (
  body: string | Buffer,
  overrides: Record<string, string | undefined> = {},
  now = vectorTime,
) => verifyStandardWebhook(Buffer.from(body), vectorHeaders(overrides), vectorKeys, { now });

const aSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

describe("verifying a Standard Webhooks delivery", () => {
  it("accepts the spec's test vector at its own timestamp", () => {
    expect(verifyVector(vector.body)).toEqual({
      ok: true,
      id: vector.id,
      timestamp: vectorTime,
      keyId: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
  });

  it("computes the same signature as the standardwebhooks reference signer", () => {
    const secret = aSecret();
    const now = new Date("2026-11-24T16:00:00Z");
    const body = JSON.stringify([{ eventId: "e-1" }]);
    const signature = new Webhook(secret).sign("msg_1", now, body);
    const verdict = verifyStandardWebhook(
      Buffer.from(body),
      headers({
        "webhook-id": "msg_1",
        "webhook-timestamp": String(now.getTime() / 1000),
        "webhook-signature": signature,
      }),
      tryStandardWebhookKeys([secret]) ?? [],
      { now },
    );
    expect(verdict.ok).toBe(true);
  });

  it.each([
    ["a changed body", '{"test": 2432232315}', {}],
    ["extra whitespace in the body", '{"test":  2432232314}', {}],
    ["another webhook-id", vector.body, { "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJeK" }],
    ["another timestamp within the window", vector.body, { "webhook-timestamp": "1614265331" }],
    [
      "a changed signature",
      vector.body,
      { "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=" },
    ],
    [
      "the right signature under another version",
      vector.body,
      { "webhook-signature": vector.signature.replace("v1,", "v2,") },
    ],
    ["a truncated signature", vector.body, { "webhook-signature": vector.signature.slice(0, 30) }],
    ["a signature that is not base64", vector.body, { "webhook-signature": "v1,not base64!" }],
    ["a signature without a version", vector.body, { "webhook-signature": vector.signature.slice(3) }],
  ])("refuses %s", (_case, body, overrides) => {
    expect(verifyVector(body, overrides)).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it("refuses a signature made with another secret", () => {
    const verdict = verifyStandardWebhook(
      Buffer.from(vector.body),
      vectorHeaders(),
      tryStandardWebhookKeys([aSecret()]) ?? [],
      { now: vectorTime },
    );
    expect(verdict).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])(
    "refuses a delivery without %s",
    (name) => {
      expect(verifyVector(vector.body, { [name]: undefined })).toEqual({
        ok: false,
        reason: "missing_headers",
      });
    },
  );

  it.each([
    ["5 minutes old", -300, true],
    ["5 minutes and 1 second old (stale)", -301, "timestamp_too_old"],
    ["an hour old (a replay)", -3600, "timestamp_too_old"],
    ["5 minutes ahead", 300, true],
    ["5 minutes and 1 second ahead (future)", 301, "timestamp_too_new"],
  ])("judges a timestamp %s by the injected clock", (_case, offsetSeconds, expected) => {
    // The clock moves, not the signed timestamp: the vector's signature stays valid throughout.
    const now = new Date(vectorTime.getTime() - offsetSeconds * 1000);
    const verdict = verifyVector(vector.body, {}, now);
    expect(verdict.ok ? true : verdict.reason).toBe(expected);
  });

  it.each(["1614265330abc", "-1614265330", "1614265330.5", "", "2021-02-25T15:02:10Z"])(
    "refuses the malformed timestamp %j",
    (timestamp) => {
      const verdict = verifyVector(vector.body, { "webhook-timestamp": timestamp });
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(["invalid_timestamp", "missing_headers"]).toContain(verdict.reason);
    },
  );

  it("verifies the exact bytes, even ones that are not valid UTF-8", () => {
    const secret = aSecret();
    const body = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const key = tryStandardWebhookKeys([secret])?.[0] ?? Buffer.alloc(0);
    const ts = "1764000000";
    const signature = createHmac("sha256", key)
      .update(Buffer.concat([Buffer.from(`msg_1.${ts}.`), body]))
      .digest("base64");
    const verdict = verifyStandardWebhook(
      body,
      headers({ "webhook-id": "msg_1", "webhook-timestamp": ts, "webhook-signature": `v1,${signature}` }),
      [key],
      { now: new Date(Number(ts) * 1000) },
    );
    expect(verdict.ok).toBe(true);
  });
});

describe("rotating Standard Webhooks secrets", () => {
  const previous = aSecret();
  const next = aSecret();
  const keys = tryStandardWebhookKeys([previous, next]) ?? [];
  const now = new Date("2026-11-24T16:00:00Z");
  const body = '{"eventId":"rotation"}';
  const signedWith = (secret: string) => new Webhook(secret).sign("msg_rot", now, body);
  const verify = (signature: string) =>
    verifyStandardWebhook(
      Buffer.from(body),
      headers({
        "webhook-id": "msg_rot",
        "webhook-timestamp": String(now.getTime() / 1000),
        "webhook-signature": signature,
      }),
      keys,
      { now },
    );

  it.each([
    ["the previous secret", () => signedWith(previous)],
    ["the next secret", () => signedWith(next)],
    ["both secrets in one header", () => `${signedWith(previous)} ${signedWith(next)}`],
    [
      "a header whose first signature is stale junk",
      () => `v1,${randomBytes(32).toString("base64")} ${signedWith(next)}`,
    ],
    ["a v2 entry before a v1 one", () => `v2,abc ${signedWith(previous)}`],
  ])("accepts a delivery signed with %s", (_case, signature) => {
    expect(verify(signature()).ok).toBe(true);
  });

  it("names the key that verified the delivery, stably and without revealing it", () => {
    const [previousKey, nextKey] = keys as [Buffer, Buffer];
    const previousId = webhookKeyId(previousKey);
    expect(verify(signedWith(previous))).toMatchObject({ ok: true, keyId: previousId });
    expect(verify(signedWith(next))).toMatchObject({ ok: true, keyId: webhookKeyId(nextKey) });
    expect(previousId).not.toBe(webhookKeyId(nextKey));
    // The same key has the same id whatever its position in HR_WEBHOOK_SECRETS, so rotation keeps it.
    expect(webhookKeyId((tryStandardWebhookKeys([next, previous]) ?? [])[1] as Buffer)).toBe(previousId);
    expect(previous).not.toContain(previousId);
  });

  it("refuses a header whose signatures match neither secret", () => {
    expect(
      verify(`${new Webhook(aSecret()).sign("msg_rot", now, body)} v1,${randomBytes(32).toString("base64")}`),
    ).toEqual({
      ok: false,
      reason: "invalid_signature",
    });
  });

  it("stops looking after ten v1 signatures, so a padded header cannot make it compare at will", () => {
    const junk = Array.from({ length: 10 }, () => `v1,${randomBytes(32).toString("base64")}`).join(" ");
    expect(verify(`${junk} ${signedWith(next)}`).ok).toBe(false);
  });

  it("counts only v1 signatures toward the ten: a sender listing its other schemes first is still verified", () => {
    const others = Array.from({ length: 12 }, () => `v1a,${randomBytes(64).toString("base64")}`).join(" ");
    expect(verify(`${others} ${signedWith(next)}`).ok).toBe(true);
  });
});

describe("reading the secrets setting", () => {
  it("decodes whsec_ secrets to their key bytes", () => {
    expect(tryStandardWebhookKeys([vector.secret])?.[0]).toEqual(
      Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64"),
    );
  });

  it.each([
    ["no secret at all", []],
    ["a secret without the whsec_ prefix", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]],
    ["a secret that is not base64", ["whsec_not-base64!"]],
    ["a secret too short to be a key", ["whsec_c2hvcnQ="]],
    ["one good and one malformed secret", [vector.secret, "whsec_"]],
  ])("treats %s as not configured", (_case, secrets) => {
    expect(tryStandardWebhookKeys(secrets)).toBeUndefined();
  });
});
