/** One request as the emulator core sees it, whether it came over HTTP or inside a `$batch`. */
export interface EmulatorRequest {
  method: string;
  /** Path and query after the origin, e.g. `/v1.0/users/abc?$select=id`. */
  url: string;
  headers: Record<string, string | undefined>;
  /** Raw body text ("" when none). */
  body: string;
}

/** An answer before it is written to the wire (or into a `$batch` response). */
export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body; absent for 204. */
  body?: unknown;
}

/** Graph's JSON content type. */
export const jsonContentType =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, headers: { "Content-Type": jsonContentType, ...headers }, body };
}

/** 204 No Content. */
export function noContent(): EmulatorResponse {
  return { status: 204, headers: {} };
}

/**
 * A Graph error answer: `{"error":{"code","message","innerError":{…}}}`. The core fills `innerError` with the
 * date and request ids when the answer leaves, so handlers need not know them.
 */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return json(status, { error: { code, message, innerError: {} } }, headers);
}

/** Fills `innerError` the way Graph does (date without milliseconds, request-id, client-request-id). */
export function stampError(
  response: EmulatorResponse,
  requestId: string,
  clientRequestId: string,
): EmulatorResponse {
  const error = (response.body as { error?: { innerError?: Record<string, string> } } | undefined)?.error;
  if (error) {
    error.innerError = {
      date: new Date().toISOString().replace(/\.\d{3}Z$/, ""),
      "request-id": requestId,
      "client-request-id": clientRequestId,
    };
  }
  return response;
}

/** The usual 404 text Graph gives for a user (id or UPN) or a group it cannot find. */
export function resourceNotFound(key: string): EmulatorResponse {
  return graphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/** 400 for a malformed or unsupported request. */
export function badRequest(message: string, code = "BadRequest"): EmulatorResponse {
  return graphError(400, code, message);
}

/**
 * Graph's refusal of a PIM request in a tenant without Microsoft Entra ID P2 (or Governance): code
 * AadPremiumLicenseRequired, with the current text or the older one, as 400 (usual) or 403. Both texts are the
 * ones public reports of this error show; Microsoft's API pages only say PIM needs the licence.
 */
export function premiumLicenseRequired(status: 400 | 403, wording: "current" | "legacy"): EmulatorResponse {
  return graphError(
    status,
    "AadPremiumLicenseRequired",
    wording === "legacy"
      ? "The tenant needs an AAD Premium 2 license."
      : "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
  );
}

/** Graph's 403 for a call the app's permissions don't cover (and for a write to a protected target). */
export function insufficientPrivileges(): EmulatorResponse {
  return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

/**
 * Graph's refusal of a P1 feature (the registration report) in a tenant without Microsoft Entra ID P1/P2, with the
 * text public reports of this error show.
 */
export function nonPremiumTenant(): EmulatorResponse {
  return graphError(
    403,
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
  );
}

/** The answer of a route a test made fail (`failRoute`), with the error code Graph uses for that status. */
export function routeFailureAnswer(status: number, retryAfterSeconds: number | undefined): EmulatorResponse {
  const headers: Record<string, string> =
    retryAfterSeconds === undefined ? {} : { "Retry-After": String(retryAfterSeconds) };
  if (status === 403) return insufficientPrivileges();
  if (status === 503) {
    return graphError(503, "serviceNotAvailable", "The service is temporarily unavailable.", headers);
  }
  if (status >= 500) {
    return graphError(status, "InternalServerError", "An internal server error occurred.", headers);
  }
  return graphError(status, "BadRequest", "The request failed.", headers);
}
