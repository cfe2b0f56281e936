// http/: the HTTP edge the functions share — problem answers, body reading, caller access, SCIM answers.

import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { jsonTextExceedsDepth, maxJsonDepth } from "../core/jsonDepth.js";
import type { RuleIssue } from "../core/result.js";
import { DirectoryError } from "../directory/directoryError.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";

/** An error answer in Graph's shape (`{error:{code,message}}`), which the product's users already read. */
export function problem(
  status: number,
  code: string,
  message: string,
  details?: RuleIssue[],
): HttpResponseInit {
  return { status, jsonBody: { error: { code, message, ...(details ? { details } : {}) } } };
}

/** A raw request body, or the answer to give instead (413, 415). */
export type BodyRead = { ok: true; raw: Buffer } | { ok: false; response: HttpResponseInit };

/**
 * Reads the body once, as bytes (signatures are computed over the exact bytes), refusing what is too large
 * or of a content type the endpoint doesn't take. The body is pulled chunk by chunk and the read stops as soon
 * as it passes `maxBytes`, so a chunked request (no Content-Length) of any size costs at most the limit plus one
 * chunk of memory, never the whole body.
 */
export async function readBody(
  request: HttpRequest,
  options: { maxBytes: number; contentTypes: readonly string[] },
): Promise<BodyRead> {
  const contentType = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!options.contentTypes.includes(contentType)) {
    return {
      ok: false,
      response: problem(
        415,
        "unsupported_media_type",
        `Send the body as ${options.contentTypes.join(" or ")}.`,
      ),
    };
  }
  const tooLarge = { ok: false, response: tooLargeProblem(options.maxBytes) } as const;
  // A declared length over the limit is refused before a byte is read; a missing or false one is not trusted.
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > options.maxBytes) return tooLarge;
  const raw = await readAtMost(request.body, options.maxBytes);
  return raw === undefined ? tooLarge : { ok: true, raw };
}

/** The 413 answer for a body over `maxBytes`. */
export function tooLargeProblem(maxBytes: number): HttpResponseInit {
  return problem(413, "payload_too_large", `The body must be at most ${maxBytes} bytes.`);
}

/**
 * Reads a web stream to its end, or stops (cancelling it, so nothing more is pulled) once it has given more than
 * `maxBytes`: undefined then.
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Buffer | undefined> {
  if (body === null) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

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
export const bodyTooDeepMessage = `The body nests arrays or objects more than ${maxJsonDepth} levels deep; no valid request does.`;

/**
 * Maps a failure talking to Graph or storage to an answer that says whose problem it is: 503 with
 * Retry-After for throttling and outages (the caller may retry), 502 when Graph refused the app itself.
 * Never a bare 500: the helpdesk needs to know whether to retry or call an admin. The code is the failure's own
 * machine code (`directoryFailureOf`), the same an outcome row records for it.
 */
export function dependencyProblem(err: unknown): HttpResponseInit {
  if (!(err instanceof DirectoryError)) {
    return {
      ...problem(
        503,
        "dependency_unavailable",
        "A backing service (storage or Graph) failed; retry shortly.",
      ),
      headers: { "Retry-After": "5" },
    };
  }
  const failure = directoryFailureOf(err);
  const ids = [
    failure.requestId ? `request-id ${failure.requestId}` : undefined,
    failure.clientRequestId ? `client-request-id ${failure.clientRequestId}` : undefined,
  ].filter((id) => id !== undefined);
  const requestId = ids.length > 0 ? ` (Graph ${ids.join(", ")})` : "";
  switch (failure.category) {
    case "retryLater": {
      const retryAfter = Math.max(1, Math.ceil((failure.retryAfterMs ?? 5000) / 1000));
      return {
        ...problem(
          503,
          failure.code,
          `Microsoft Graph is busy or unavailable; retry in ${retryAfter} s${requestId}.`,
        ),
        headers: { "Retry-After": String(retryAfter) },
      };
    }
    case "credentials":
      return problem(
        502,
        failure.code,
        `Microsoft Graph refused this app's credentials or permissions${requestId}; an admin must check its Graph app roles.`,
      );
    case "ambiguous":
      return problem(409, failure.code, `${failure.reason}${requestId}.`);
    case "missingPermission":
      return problem(502, failure.code, `${failure.reason}${requestId}.`);
    default:
      return problem(
        502,
        failure.code,
        `Microsoft Graph rejected the request: ${failure.reason}${requestId}.`,
      );
  }
}
