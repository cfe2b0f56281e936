import { maskEmail, maskPhone } from "../contact/mask.js";
import { isRecord } from "../core/isRecord.js";
import {
  DirectoryError,
  type DirectoryErrorDetails,
  DirectoryErrorKind,
} from "../directory/directoryError.js";

/** Graph's message for properties mastered by on-premises AD (code is the generic Request_BadRequest). */
export const onPremisesMasteredMessage =
  "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.";

/**
 * Graph's texts for a property the cloud may not write because another authority masters it: on-premises AD for a
 * synced user, or an external service (Exchange, or a user that was once synced). Matched as phrases, not the
 * whole message, so a reworded sentence or an added detail still reads as what it is.
 */
const masteredElsewhere =
  /on-premises mastered|Directory Sync objects|originated within an external service/i;

export type GraphRequestErrorDetails = DirectoryErrorDetails;

/** A failed Graph request with its kind; the message is safe to log (contact values in it are masked). */
export class GraphRequestError extends DirectoryError {
  constructor(message: string, details: GraphRequestErrorDetails) {
    super(maskContactValues(message), details);
  }

  /** Builds the error for one HTTP answer (a plain response or one `$batch` item). */
  static fromResponse(
    operation: string,
    response: { status: number; headers: HeaderLookup; body: unknown },
    cause?: unknown,
  ): GraphRequestError {
    const { code, message, requestId, clientRequestId } = readErrorBody(response.body);
    const kind = kindOf(response.status, message, code);
    const retryAfterMs = retryAfterMsOf(response.headers);
    return new GraphRequestError(
      `${operation} failed: HTTP ${response.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`,
      {
        kind,
        statusCode: response.status,
        graphCode: code,
        requestId: requestId ?? headerOf(response.headers, "request-id"),
        clientRequestId: clientRequestId ?? headerOf(response.headers, "client-request-id"),
        retryAfterMs,
        cause,
      },
    );
  }

  /** Maps whatever the Graph SDK threw (GraphError, network or timeout error) to a GraphRequestError. */
  static fromThrown(operation: string, err: unknown): GraphRequestError {
    if (err instanceof GraphRequestError) return err;
    const sdk = asSdkGraphError(err);
    if (sdk && sdk.statusCode > 0) {
      return GraphRequestError.fromResponse(
        operation,
        { status: sdk.statusCode, headers: sdk.headers, body: sdkBody(sdk) },
        err,
      );
    }
    // No HTTP answer: fetch failed, the socket dropped, or our attempt timeout aborted it.
    const name = err instanceof Error ? err.name : typeof err;
    const timedOut = name === "TimeoutError" || name === "AbortError" || sdk?.code === "TimeoutError";
    return new GraphRequestError(
      `${operation} failed: ${timedOut ? "timed out" : `no response (${sdk?.code ?? name})`}`,
      { kind: DirectoryErrorKind.transient, statusCode: 0, graphCode: sdk?.code ?? undefined, cause: err },
    );
  }
}

/**
 * A 403 on an operation whose Graph permission is known means the app lacks it: the error becomes kind
 * `missingPermission` naming the permission. Anything else passes through unchanged.
 */
export function asMissingPermission(err: GraphRequestError, permission: string): GraphRequestError {
  if (err.kind !== DirectoryErrorKind.forbidden) return err;
  return new GraphRequestError(`missing permission ${permission}: ${err.message}`, {
    kind: DirectoryErrorKind.missingPermission,
    permission,
    statusCode: err.statusCode,
    graphCode: err.graphCode,
    requestId: err.requestId,
    clientRequestId: err.clientRequestId,
    cause: err,
  });
}

/** Headers as the SDK (fetch `Headers`) or a `$batch` item (plain object) carry them. */
export type HeaderLookup = Headers | Record<string, string> | undefined | null;

/**
 * Graph's answer to a licensed feature (the registration report) in a tenant without Entra ID P1/P2. The code is
 * the one public reports show; its message has been worded more than one way ("Neither tenant is B2C or tenant
 * doesn't have premium license", "Tenant is not a B2C tenant and doesn't have premium license"), so the phrase
 * about the licence counts too.
 */
const notLicensedCode = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";
const notLicensedText = /premium licen[cs]e/i;

/**
 * Codes of answers the app gives itself for writes it did not send (see GraphPacingMiddleware): lower-case with a
 * prefix, never one of Graph's codes, so they can't be confused with a real answer.
 */
export const localRefusalCode = {
  privilegedTarget: "sspr_privileged_target",
  notSent: "sspr_not_sent",
  privilegeUnknown: "sspr_privilege_unknown",
  notById: "sspr_write_not_by_id",
} as const;

function kindOf(status: number, message: string | undefined, code?: string): DirectoryErrorKind {
  if (code === localRefusalCode.privilegedTarget) return DirectoryErrorKind.privilegedTarget;
  if (code === localRefusalCode.notSent) return DirectoryErrorKind.notSent;
  // The picture could not be read right before the write: the check before planning reads it again next time.
  if (code === localRefusalCode.privilegeUnknown) return DirectoryErrorKind.transient;
  if (code === localRefusalCode.notById) return DirectoryErrorKind.invalidRequest;
  if (status === 401) return DirectoryErrorKind.unauthorized;
  if (status === 403 && (code === notLicensedCode || notLicensedText.test(message ?? ""))) {
    return DirectoryErrorKind.notLicensed;
  }
  if (status === 403) return DirectoryErrorKind.forbidden;
  if (status === 404) return DirectoryErrorKind.notFound;
  if (status === 429) return DirectoryErrorKind.throttled;
  if (status >= 500 || status === 408) return DirectoryErrorKind.transient;
  // Graph gives this case only the generic Request_BadRequest code, so its text is the signal.
  if (status === 400 && masteredElsewhere.test(message ?? "")) return DirectoryErrorKind.onPremisesMastered;
  if (status >= 400) return DirectoryErrorKind.invalidRequest;
  return DirectoryErrorKind.transient;
}

/** Reads `Retry-After` (seconds or an HTTP date) in ms. */
export function retryAfterMsOf(headers: HeaderLookup, now: number = Date.now()): number | undefined {
  const value = headerOf(headers, "retry-after");
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Case-insensitive header read from either header shape. */
export function headerOf(headers: HeaderLookup, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string>)) {
    if (key.toLowerCase() === wanted) return String(value);
  }
  return undefined;
}

function readErrorBody(body: unknown): {
  code?: string;
  message?: string;
  requestId?: string;
  clientRequestId?: string;
} {
  const parsed = typeof body === "string" ? tryJson(body) : body;
  if (!isRecord(parsed)) return {};
  // Graph nests under `error`; the SDK's GraphError.body is that inner object already serialized.
  const error = isRecord(parsed.error) ? parsed.error : parsed;
  const inner = isRecord(error.innerError) ? error.innerError : undefined;
  return {
    code: typeof error.code === "string" ? error.code : undefined,
    message: typeof error.message === "string" ? error.message : undefined,
    requestId: typeof inner?.["request-id"] === "string" ? inner["request-id"] : undefined,
    clientRequestId:
      typeof inner?.["client-request-id"] === "string" ? inner["client-request-id"] : undefined,
  };
}

interface SdkGraphErrorShape {
  statusCode: number;
  code: string | null;
  body: unknown;
  headers?: Headers;
  message: string;
}

function asSdkGraphError(err: unknown): SdkGraphErrorShape | undefined {
  if (!isRecord(err) || typeof err.statusCode !== "number") return undefined;
  return err as unknown as SdkGraphErrorShape;
}

function sdkBody(sdk: SdkGraphErrorShape): unknown {
  const body = typeof sdk.body === "string" ? tryJson(sdk.body) : sdk.body;
  if (isRecord(body)) return body;
  // Non-JSON error bodies (a gateway's HTML page) still carry a status; keep the SDK's code for context.
  return { error: { code: sdk.code ?? undefined } };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const guidText = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const emailPattern = String.raw`[^\s'"<>()@,;:]+@[^\s'"<>()@,;:]+`;
const phonePattern = String.raw`\+?\(?\d[\d\s().-]{5,}\d(?:\s*(?:x|ext\.?)\s*\d+)?`;
const sensitive = new RegExp(`(${guidText})|(${emailPattern})|(${phonePattern})`, "gi");

/** Masks emails and phone numbers in text that may quote them (Graph echoes UPNs in 404 messages). */
export function maskContactValues(text: string): string {
  // GUIDs (user and request ids) are matched first so their digit runs are not taken for phone numbers.
  return text.replace(sensitive, (match, guid: string | undefined, email: string | undefined) => {
    if (guid) return match;
    if (email) return maskEmail(match);
    return maskPhone(match);
  });
}
