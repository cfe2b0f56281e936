import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { WebhookRejection } from "../intake/standardWebhook.js";
import { webhookBodyBytes } from "./bodyLimits.js";
import { parseJson } from "./parseJson.js";
import { problem } from "./problem.js";
import { readBody } from "./readBody.js";

/**
 * The intake every signed HR webhook shares: read the raw bytes (413/415), verify the signature on exactly
 * those bytes before anything parses them (401 without detail), then parse the JSON (400).
 */
export async function readSignedJson<V extends { ok: true }>(
  request: HttpRequest,
  context: InvocationContext,
  endpoint: string,
  verify: (raw: Buffer) => V | { ok: false; reason: WebhookRejection },
): Promise<{ ok: true; verdict: V; value: unknown } | { ok: false; response: HttpResponseInit }> {
  const body = await readBody(request, { maxBytes: webhookBodyBytes, contentTypes: ["application/json"] });
  if (!body.ok) return body;
  const verdict = verify(body.raw);
  if (!verdict.ok) {
    context.warn(`${endpoint}: delivery refused (${verdict.reason})`);
    return { ok: false, response: problem(401, "unauthorized", "Unauthorized.") };
  }
  const json = parseJson(body.raw);
  if (!json.ok) return json;
  return { ok: true, verdict, value: json.value };
}
