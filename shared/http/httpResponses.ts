// http/: the HTTP edge the functions share — problem answers, body reading, caller access, SCIM answers.

import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { RuleIssue } from "../core/result.js";
import { DirectoryError } from "../directory/directoryError.js";

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
 * or of a content type the endpoint doesn't take.
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
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = problem(413, "payload_too_large", `The body must be at most ${options.maxBytes} bytes.`);
  if (declared > options.maxBytes) return { ok: false, response: tooLarge };
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length > options.maxBytes) return { ok: false, response: tooLarge };
  return { ok: true, raw };
}

/** Parses JSON, or gives the 400 to answer. */
export function parseJson(
  raw: Buffer,
): { ok: true; value: unknown } | { ok: false; response: HttpResponseInit } {
  try {
    return { ok: true, value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return { ok: false, response: problem(400, "malformed_json", "The body is not valid JSON.") };
  }
}

/**
 * Maps a failure talking to Graph or storage to an answer that says whose problem it is: 503 with
 * Retry-After for throttling and outages (the caller may retry), 502 when Graph refused the app itself.
 * Never a bare 500: the helpdesk needs to know whether to retry or call an admin.
 */
export function dependencyProblem(err: unknown): HttpResponseInit {
  if (err instanceof DirectoryError) {
    const requestId = err.requestId ? ` (Graph request-id ${err.requestId})` : "";
    switch (err.kind) {
      case "throttled":
      case "transient": {
        const retryAfter = Math.max(1, Math.ceil((err.retryAfterMs ?? 5000) / 1000));
        return {
          ...problem(
            503,
            `graph_${err.kind}`,
            `Microsoft Graph is busy or unavailable; retry in ${retryAfter} s${requestId}.`,
          ),
          headers: { "Retry-After": String(retryAfter) },
        };
      }
      case "unauthorized":
      case "forbidden":
        return problem(
          502,
          `graph_${err.kind}`,
          `Microsoft Graph refused this app's credentials or permissions${requestId}; an admin must check its Graph app roles.`,
        );
      case "missingPermission":
        return problem(
          502,
          "graph_missing_permission",
          `Microsoft Graph refused this app: it is missing the permission ${err.permission ?? "(unnamed)"}${requestId}; an admin must grant it (infra/scripts/grant-graph-permissions.sh).`,
        );
      case "ambiguous":
        return problem(
          409,
          "user_ambiguous",
          `More than one user matches that employeeId${requestId}; use the UPN or object id.`,
        );
      default:
        return problem(502, `graph_${err.kind}`, `Microsoft Graph rejected the request${requestId}.`);
    }
  }
  return {
    ...problem(503, "dependency_unavailable", "A backing service (storage or Graph) failed; retry shortly."),
    headers: { "Retry-After": "5" },
  };
}
