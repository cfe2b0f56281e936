import type { HttpResponseInit } from "@azure/functions";
import { jsonTextExceedsDepth, maxJsonDepth } from "../core/jsonDepth.js";
import { problem } from "./problem.js";

/**
 * Parses JSON, or gives the 400 to answer: `body_too_deep` for nesting past `maxJsonDepth` (checked on the
 * text first, since what handles the parsed value afterwards recurses), `malformed_json` for anything else.
 */
export function parseJson(
  raw: Buffer,
): { ok: true; value: unknown } | { ok: false; response: HttpResponseInit } {
  const text = raw.toString("utf8");
  if (jsonTextExceedsDepth(text, maxJsonDepth)) {
    return { ok: false, response: problem(400, "body_too_deep", bodyTooDeepMessage) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, response: problem(400, "malformed_json", "The body is not valid JSON.") };
  }
}

/** Why a body nested too deep is refused, the same words on every endpoint. */
const bodyTooDeepMessage = `The body nests arrays or objects more than ${maxJsonDepth} levels deep; no valid request does.`;
