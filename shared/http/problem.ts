// http/: the HTTP edge the functions share — problem answers, body reading, caller access, HR deliveries, SCIM answers.

import type { HttpResponseInit } from "@azure/functions";
import type { RuleIssue } from "../core/result.js";

/** An error answer in Graph's shape (`{error:{code,message}}`), which the product's users already read. */
export function problem(
  status: number,
  code: string,
  message: string,
  details?: RuleIssue[],
): HttpResponseInit {
  return { status, jsonBody: { error: { code, message, ...(details ? { details } : {}) } } };
}
