import type { EmulatedUser } from "./EmulatedTenant.js";
import { badRequest, type EmulatorResponse, graphError, json } from "./emulatorResponse.js";
import { decodeSkipToken, encodeSkipToken, type HandlerContext } from "./userHandlers.js";

const defaultPageSize = 1000;
const maxPageSize = 1000;

/** What each emulated method counts as in `methodsRegistered`, Graph's names. */
const methodNames = {
  mobile: "mobilePhone",
  alternateMobile: "alternateMobilePhone",
  office: "officePhone",
} as const;

/**
 * GET /reports/authenticationMethods/userRegistrationDetails (application permission AuditLog.Read.All, as Graph
 * documents; the emulated app doesn't hold it unless granted): per user `methodsRegistered` from their phone and
 * email methods, SSPR and MFA verdicts the way Entra derives them (two methods for SSPR's default two-gate policy is
 * beyond the emulator: one SSPR-usable method counts as registered), `isAdmin` for active roles; `$select`, `$top`
 * (1–1000) and paging by `@odata.nextLink`. Disabled users are left out, as the API documents.
 */
export function listRegistrationDetails(ctx: HandlerContext): EmulatorResponse {
  if (!ctx.tenant.hasPermission("AuditLog.Read.All")) {
    return graphError(
      403,
      "Authentication_RequestFromUnsupportedUserRole",
      "Insufficient privileges to complete the operation.",
    );
  }
  const topText = ctx.query.get("$top");
  const top = topText === null ? defaultPageSize : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > maxPageSize) {
    return badRequest(
      `Invalid page size specified: '${topText}'. Must be between 1 and ${maxPageSize} inclusive.`,
    );
  }
  const offset = decodeSkipToken(ctx.query.get("$skiptoken"));
  if (offset === undefined) return badRequest("Invalid $skiptoken value.");
  const select = ctx.query.get("$select");
  const selected = select === null ? undefined : new Set(select.split(",").map((f) => f.trim()));
  const users = ctx.tenant.all().filter((user) => user.accountEnabled);
  const page = users.slice(offset, offset + top).map((user) => {
    const detail = detailOf(ctx, user);
    return selected
      ? Object.fromEntries(Object.entries(detail).filter(([k]) => k === "id" || selected.has(k)))
      : detail;
  });
  const body: Record<string, unknown> = {
    "@odata.context": `${ctx.baseUrl}/$metadata#reports/authenticationMethods/userRegistrationDetails`,
    value: page,
  };
  if (offset + top < users.length) {
    const params = [
      select === null ? undefined : `$select=${select}`,
      `$top=${top}`,
      `$skiptoken=${encodeSkipToken(offset + top)}`,
    ];
    body["@odata.nextLink"] =
      `${ctx.baseUrl}/reports/authenticationMethods/userRegistrationDetails?${params.filter((p) => p !== undefined).join("&")}`;
  }
  return json(200, body);
}

function detailOf(ctx: HandlerContext, user: EmulatedUser): Record<string, unknown> {
  const methods = [
    ...(Object.keys(user.phoneMethods) as Array<keyof typeof methodNames>).map((type) => methodNames[type]),
    ...(user.emailMethod ? ["email"] : []),
  ];
  const registered = methods.length > 0;
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    userDisplayName: user.displayName,
    userType: "member",
    isAdmin: ctx.tenant.activeRolesOf(user).length > 0,
    isSsprRegistered: registered,
    isSsprEnabled: true,
    isSsprCapable: registered,
    isMfaRegistered: methods.some((m) => m !== "email"),
    isMfaCapable: methods.some((m) => m !== "email"),
    isPasswordlessCapable: false,
    methodsRegistered: methods,
    defaultMfaMethod: methods.includes("mobilePhone") ? "mobilePhone" : "none",
    lastUpdatedDateTime: user.createdDateTime,
  };
}
