import { SsprError } from "../core/errors.js";

/** What went wrong with a directory call, in the terms the pipeline acts on (the Graph adapter maps HTTP to these). */
export const DirectoryErrorKind = {
  /** 404: the user or method does not exist. */
  notFound: "notFound",
  /** 400 for AD-mastered properties of a synced user: skip with guidance, never retry. */
  onPremisesMastered: "onPremisesMastered",
  /**
   * 403 Authorization_RequestDenied on a profile write: Graph protects a privileged (admin) user's phone and mail
   * properties. A missing write permission answers the same: when the identity's grants are known the adapter
   * tells the two apart (`missingPermission`, or this kind with `permissionsConfirmed`); otherwise the message
   * names both.
   */
  forbidden: "forbidden",
  /**
   * 403 on an operation whose permission the adapter knows (role and membership reads, method writes): the app
   * lacks that Graph permission; `permission` names it. Never retried: an admin must grant it.
   */
  missingPermission: "missingPermission",
  /**
   * 403 because the tenant lacks the licence a feature needs: Graph's registration report answers
   * `Authentication_RequestFromNonPremiumTenantOrB2CTenant` without Microsoft Entra ID P1/P2, whatever the
   * permissions. No grant helps, so it is never reported as a missing permission.
   */
  notLicensed: "notLicensed",
  /** 429 that survived the retries; `retryAfterMs` says when to come back. */
  throttled: "throttled",
  /** 5xx, network failure or timeout: retry later. */
  transient: "transient",
  /** Any other 4xx: the request itself is wrong. */
  invalidRequest: "invalidRequest",
  /** 401: the token is missing, expired or for the wrong audience. */
  unauthorized: "unauthorized",
  /** An employeeId matched more than one user, so the event cannot be applied safely. */
  ambiguous: "ambiguous",
  /**
   * A write the app did not send: at the moment of writing (after its wait for budget) the target was found
   * privileged. Never retried; the field is skipped as a privileged account's.
   */
  privilegedTarget: "privilegedTarget",
  /** A write the app did not send because the run was stopping (Ctrl-C while it waited for budget): run again. */
  notSent: "notSent",
} as const;
export type DirectoryErrorKind = (typeof DirectoryErrorKind)[keyof typeof DirectoryErrorKind];

export interface DirectoryErrorDetails {
  kind: DirectoryErrorKind;
  /** HTTP status; 0 when no response arrived (network, timeout) or for a client-side condition. */
  statusCode: number;
  /** The service's own error code (Graph's `error.code`), for people and support tickets. */
  graphCode?: string | undefined;
  /** The service's request id, so Microsoft support can find the call. */
  requestId?: string | undefined;
  /** The id the app sent with the call (`client-request-id`), which the service keeps beside its own. */
  clientRequestId?: string | undefined;
  retryAfterMs?: number | undefined;
  /** For `missingPermission`: the Graph application permission the operation needs, e.g. `RoleManagement.Read.Directory`. */
  permission?: string | undefined;
  /**
   * For `forbidden`: the identity's token shows it holds every permission the call needs, so Graph refused because
   * of the target (a privileged account), not for want of a grant.
   */
  permissionsConfirmed?: boolean | undefined;
  cause?: unknown;
}

/**
 * A failed directory call with its kind. The pipeline, the HTTP edge and the CLI act on `kind` only; the message
 * is safe to log (the adapter masks contact values in it).
 */
export class DirectoryError extends SsprError {
  readonly kind: DirectoryErrorKind;
  readonly statusCode: number;
  readonly graphCode: string | undefined;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly permission: string | undefined;
  readonly permissionsConfirmed: boolean;

  constructor(message: string, details: DirectoryErrorDetails) {
    super(message, { cause: details.cause });
    this.kind = details.kind;
    this.statusCode = details.statusCode;
    this.graphCode = details.graphCode;
    this.requestId = details.requestId;
    this.clientRequestId = details.clientRequestId;
    this.retryAfterMs = details.retryAfterMs;
    this.permission = details.permission;
    this.permissionsConfirmed = details.permissionsConfirmed === true;
  }

  /** True for kinds worth retrying later (throttled, transient). */
  get retryable(): boolean {
    return this.kind === DirectoryErrorKind.throttled || this.kind === DirectoryErrorKind.transient;
  }
}

/** The kind of a directory failure, or undefined for anything that isn't one (a bug, a storage error). */
export function directoryErrorKindOf(err: unknown): DirectoryErrorKind | undefined {
  return err instanceof DirectoryError ? err.kind : undefined;
}
