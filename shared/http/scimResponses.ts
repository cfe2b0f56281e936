import type { HttpResponseInit } from "@azure/functions";
import type { RuleIssue } from "../core/result.js";
import type { AcceptanceReport } from "../intake/acceptEvents.js";
import { type ScimPayload, scimSchemas } from "../intake/fromScim.js";

/** A SCIM Error resource (RFC 7644 §3.12). */
export interface ScimErrorBody {
  schemas: [typeof scimSchemas.error];
  status: string;
  scimType?: string;
  detail?: string;
}

/** One entry of a BulkResponse's Operations. */
export interface ScimOperationResult {
  method: string;
  bulkId?: string;
  status: "202" | "400";
  response?: ScimErrorBody;
}

const scimContentType = { "Content-Type": "application/scim+json" };

/**
 * A `problem()` answer (400, 413, 415, 429) re-told as a SCIM error: the same status, as detail its message and
 * `[code]`, as for issues, and its `Retry-After`, if any (RFC 7644 §3.12: a client backs off on 429).
 */
export function problemAsScimError(
  response: HttpResponseInit,
  options: { scimType?: string } = {},
): HttpResponseInit {
  const error = (response.jsonBody as { error?: { code?: string; message?: string } } | undefined)?.error;
  const detail =
    error?.message === undefined
      ? undefined
      : error.code === undefined
        ? error.message
        : `${error.message} [${error.code}]`;
  const retryAfter = (response.headers as Record<string, string> | undefined)?.["Retry-After"];
  return scimError(response.status ?? 400, detail, {
    ...options,
    ...(retryAfter === undefined ? {} : { headers: { "Retry-After": retryAfter } }),
  });
}

/** A SCIM error answer; without `detail` it says nothing beyond the status (as for a bad token). */
export function scimError(
  status: number,
  detail?: string,
  options: { scimType?: string; headers?: Record<string, string> } = {},
): HttpResponseInit {
  return {
    status,
    headers: { ...scimContentType, ...options.headers },
    jsonBody: scimErrorBody(status, detail, options.scimType),
  };
}

/**
 * The answer to a body that is no SCIM User or BulkRequest (`fromScim`'s refusal): 400 `invalidSyntax`, or 501
 * for a PatchOp — RFC 7644 §3.12: 501 Not Implemented answers an operation the service provider does not support.
 */
export function scimPayloadError(issues: readonly RuleIssue[]): HttpResponseInit {
  const detail = issues.map((issue) => issue.message).join(" ");
  if (issues.some((issue) => issue.code === "scim_patch_not_supported")) return scimError(501, detail);
  return scimError(400, detail, { scimType: "invalidSyntax" });
}

/**
 * Answers a SCIM request from the intake report: a BulkResponse with one result per operation processed
 * (202 accepted or already received, 400 with a SCIM Error naming the issues), or for a single User its one
 * result with 202 — or 400 and the SCIM Error when it was rejected, as a SCIM client expects.
 */
export function toScimResponse(payload: ScimPayload, report: AcceptanceReport): HttpResponseInit {
  const accepted = new Set(report.accepted.map((record) => record.index));
  const rejected = new Map(report.rejected.map((record) => [record.index, record.errors]));
  const results: ScimOperationResult[] = [];
  payload.operations.forEach((operation, index) => {
    const echo = {
      method: operation.method,
      ...(operation.bulkId === undefined ? {} : { bulkId: operation.bulkId }),
    };
    const errors = rejected.get(index);
    if (errors) results.push({ ...echo, status: "400", response: errorFromIssues(errors) });
    else if (accepted.has(index)) results.push({ ...echo, status: "202" });
    // Neither: left unprocessed after failOnErrors was reached, so not reported (RFC 7644 §3.7.3).
  });
  if (payload.kind === "user") {
    const [result] = results;
    if (result?.response) return { status: 400, headers: scimContentType, jsonBody: result.response };
    return { status: 202, headers: scimContentType, jsonBody: result };
  }
  return {
    status: 202,
    headers: scimContentType,
    jsonBody: { schemas: [scimSchemas.bulkResponse], Operations: results },
  };
}

function errorFromIssues(issues: readonly RuleIssue[]): ScimErrorBody {
  const structural = issues.some((issue) => issue.code.startsWith("scim_"));
  // Issue messages are masked by the rules, so they can go back to the sender as they are.
  const detail = issues.map((issue) => `${issue.field}: ${issue.message} [${issue.code}]`).join(" ");
  return scimErrorBody(400, detail, structural ? "invalidSyntax" : "invalidValue");
}

function scimErrorBody(status: number, detail?: string, scimType?: string): ScimErrorBody {
  return {
    schemas: [scimSchemas.error],
    status: String(status),
    ...(scimType === undefined ? {} : { scimType }),
    ...(detail === undefined ? {} : { detail }),
  };
}
