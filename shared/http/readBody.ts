import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { problem } from "./problem.js";
import { tooLargeProblem } from "./tooLargeProblem.js";

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

/**
 * Reads a web stream to its end, or stops (cancelling it, so nothing more is pulled) once it has given more than
 * `maxBytes`: undefined then.
 */
async function readAtMost(
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
