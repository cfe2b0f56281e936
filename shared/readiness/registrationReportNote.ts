import { directoryFailureOf } from "../directory/directoryFailure.js";
import type { ReadinessNote } from "./readinessSummary.js";

/**
 * Why the tenant's registration report (GET /reports/authenticationMethods/userRegistrationDetails) could not be
 * read, as the report says it: the identity lacks AuditLog.Read.All (Graph's 403), the tenant has no Entra ID
 * P1/P2 (Graph's 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`), or another failure. Either way the
 * report falls back to profile data.
 */
export function registrationReportNote(err: unknown): ReadinessNote {
  const fallback =
    "showing the profile-only view (users with a usable mobile phone or alternate email on their profile can reset)";
  const failure = directoryFailureOf(err);
  const graph = failure.graph
    ? ` (Graph: ${failure.graph.statusCode} ${failure.graph.code ?? ""})`.replace(" )", ")")
    : "";
  if (failure.code === "not_licensed") {
    return {
      code: "registration_report_not_licensed",
      message: `The tenant's registration report is not available: the tenant has no Microsoft Entra ID P1 or P2 licence${graph}; ${fallback}.`,
    };
  }
  if (failure.code === "missing_permission") {
    const permission = failure.permission ?? "AuditLog.Read.All";
    return {
      code: "registration_report_permission_missing",
      message: `The tenant's registration report is not available: the identity running the report lacks ${permission}${graph} (signed in as an admin, the account also needs Reports Reader, Security Reader, Security Administrator or Global Reader); grant it to read the tenant's own SSPR verdicts. Meanwhile ${fallback}.`,
    };
  }
  return {
    code: "registration_report_failed",
    message: `The tenant's registration report could not be read: ${failure.reason}; ${fallback}.`,
  };
}
