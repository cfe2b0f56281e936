import type { EmulatedOtherMethodKind, EmulatedUser } from "./EmulatedTenant.js";
import { badRequest, type EmulatorResponse } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";
import { pagedList } from "./pagedList.js";

const defaultPageSize = 1000;
const maxPageSize = 1000;

/** What each emulated method counts as in `methodsRegistered`, Graph's names. */
const methodNames = {
  mobile: "mobilePhone",
  alternateMobile: "alternateMobilePhone",
  office: "officePhone",
} as const;

/**
 * What each other kind counts as in `methodsRegistered` (the usage report's names: an Authenticator registered for
 * push, a device-bound passkey, a software one-time passcode, a Mac's Secure Enclave key).
 */
const otherMethodNames: Record<EmulatedOtherMethodKind, string> = {
  microsoftAuthenticator: "microsoftAuthenticatorPush",
  fido2: "passKeyDeviceBound",
  windowsHelloForBusiness: "windowsHelloForBusiness",
  softwareOath: "softwareOneTimePasscode",
  temporaryAccessPass: "temporaryAccessPass",
  platformCredential: "macOsSecureEnclaveKey",
};

/** The permission Graph's "List userRegistrationDetails" page names (application: no higher one). */
export const reportPermission = "AuditLog.Read.All";

/** The query options the list takes: the one its page documents, and the emulator's own paging token. */
const documentedOptions = new Set(["$filter", "$skiptoken"]);

/** `$filter` on the properties the page lists with `eq` (booleans) and `eq` / `startswith()` (names). */
const booleanFilter =
  /^(isMfaCapable|isMfaRegistered|isSsprEnabled|isSsprRegistered|isSsprCapable|isPasswordlessCapable) eq (true|false)$/;
const nameFilter =
  /^(?:(userPrincipalName|userDisplayName) eq '(.*)'|startswith\((userPrincipalName|userDisplayName),\s*'(.*)'\))$/;

/**
 * GET /reports/authenticationMethods/userRegistrationDetails (application permission AuditLog.Read.All, Entra ID
 * P1/P2): per user `methodsRegistered` from their registered authentication methods, SSPR and MFA verdicts,
 * `isAdmin` for active roles, `userType`; paging by `@odata.nextLink`. Disabled users are left out, as the API
 * documents. The route table refuses a caller without the permission and a tenant without the licence first.
 *
 * Query options, as the page documents them: `$filter` only ("This method supports the $filter OData query
 * parameter"), with `eq` on the flags and `eq` or `startswith()` on the names (case-insensitive). Assumed where the
 * page is silent: `$top` (1–1000) is taken unless the tenant says otherwise (`registrationReportTakesTop`), every
 * other option (`$select`, `$orderby`, `$count`, …) is refused with 400 so the app cannot come to depend on one,
 * and the page size without `$top` is 1000.
 *
 * How the verdicts are derived (a test overrides any of them per user with `sspr`): `isSsprEnabled` is the tenant's
 * `ssprEnabled`; `isSsprRegistered` holds when the user registered a method SSPR can use (mobile, office phone,
 * email): the page defines it as "registered the required number of authentication methods", so prepopulated
 * profile data (mobilePhone, otherMails) does not count, whatever SSPR lets such a user do. `isSsprCapable` =
 * enabled and registered. SSPR's default two-gate policy is beyond the emulator: one usable method counts.
 */
export function listRegistrationDetails(ctx: HandlerContext): EmulatorResponse {
  const takesTop = ctx.tenant.registrationReportTakesTop;
  const refused = [...ctx.query.keys()].find(
    (name) => !documentedOptions.has(name) && !(name === "$top" && takesTop),
  );
  if (refused) return badRequest(`Query option '${refused}' is not allowed on this resource.`);
  const filterText = ctx.query.get("$filter");
  const filter = filterText === null ? () => true : filterOf(filterText);
  if (!filter) return badRequest(`Invalid filter clause: ${filterText}`);
  const details = ctx.tenant
    .all()
    .filter((user) => user.accountEnabled)
    .map((user) => detailOf(ctx, user))
    .filter(filter);
  return pagedList(ctx, {
    items: details,
    size: takesTop ? { default: defaultPageSize, max: maxPageSize } : { fixed: defaultPageSize },
    context: `${ctx.baseUrl}/$metadata#reports/authenticationMethods/userRegistrationDetails`,
    path: "reports/authenticationMethods/userRegistrationDetails",
    carried: [filterText === null ? undefined : `$filter=${encodeURIComponent(filterText)}`],
    render: (detail) => detail,
  });
}

/** The documented `$filter` forms as a test on a detail; undefined for any other. */
function filterOf(text: string): ((detail: Record<string, unknown>) => boolean) | undefined {
  const flag = booleanFilter.exec(text.trim());
  if (flag) return (detail) => detail[flag[1] ?? ""] === (flag[2] === "true");
  const name = nameFilter.exec(text.trim());
  if (!name) return undefined;
  const property = name[1] ?? name[3] ?? "";
  const value = (name[2] ?? name[4] ?? "").replaceAll("''", "'").toLowerCase();
  const exact = name[1] !== undefined;
  return (detail) => {
    const actual = String(detail[property] ?? "").toLowerCase();
    return exact ? actual === value : actual.startsWith(value);
  };
}

function detailOf(ctx: HandlerContext, user: EmulatedUser): Record<string, unknown> {
  const methods = [
    ...(Object.keys(user.phoneMethods) as Array<keyof typeof methodNames>).map((type) => methodNames[type]),
    ...(user.emailMethod ? ["email"] : []),
    ...user.otherMethods.map((kind) => otherMethodNames[kind]),
  ];
  const ssprMethod = methods.some((m) => m === "mobilePhone" || m === "officePhone" || m === "email");
  const enabled = user.sspr.enabled ?? ctx.tenant.ssprEnabled;
  const registered = user.sspr.registered ?? ssprMethod;
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    userDisplayName: user.displayName,
    userType: user.userType === "Guest" ? "guest" : "member",
    isAdmin: ctx.tenant.activeRolesOf(user).length > 0,
    isSsprRegistered: registered,
    isSsprEnabled: enabled,
    isSsprCapable: user.sspr.capable ?? (enabled && registered),
    isMfaRegistered: methods.some((m) => m !== "email"),
    isMfaCapable: methods.some((m) => m !== "email"),
    isPasswordlessCapable: false,
    methodsRegistered: methods,
    defaultMfaMethod: methods.includes("mobilePhone") ? "mobilePhone" : "none",
    lastUpdatedDateTime: user.createdDateTime,
  };
}
