import type { EmulatedOtherMethodKind, EmulatedUser } from "./EmulatedTenant.js";
import type { EmulatorResponse } from "./emulatorResponse.js";
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

/** SSPR's form for a phone number: `+CC NUMBER`, one space ("Prepopulate user authentication contact information"). */
const ssprPhoneForm = /^\+\d{1,3} \d+$/;

/**
 * GET /reports/authenticationMethods/userRegistrationDetails (application permission AuditLog.Read.All, Entra ID
 * P1/P2): per user `methodsRegistered` from their phone and email methods, SSPR and MFA verdicts, `isAdmin` for
 * active roles, `userType`; `$select`, `$top` (1–1000) and paging by `@odata.nextLink`. Disabled users are left
 * out, as the API documents. The route table refuses a caller without the permission and a tenant without the
 * licence first.
 *
 * How the verdicts are derived (a test overrides any of them per user with `sspr`): `isSsprEnabled` is the tenant's
 * `ssprEnabled`; `isSsprRegistered` holds when the user has a method SSPR can use (mobile, office phone, email)
 * or prepopulated contact data in SSPR's form (profile mobile or office phone `+CC NUMBER`, an alternate email):
 * Microsoft Learn says users with prepopulated data can reset "even if they haven't previously registered". The
 * real report's treatment of profile data is not documented; here it counts. `isSsprCapable` = enabled and
 * registered. SSPR's default two-gate policy is beyond the emulator: one usable method or value counts.
 */
export function listRegistrationDetails(ctx: HandlerContext): EmulatorResponse {
  const select = ctx.query.get("$select");
  const selected = select === null ? undefined : new Set(select.split(",").map((f) => f.trim()));
  return pagedList(ctx, {
    items: ctx.tenant.all().filter((user) => user.accountEnabled),
    size: { default: defaultPageSize, max: maxPageSize },
    context: `${ctx.baseUrl}/$metadata#reports/authenticationMethods/userRegistrationDetails`,
    path: "reports/authenticationMethods/userRegistrationDetails",
    carried: [select === null ? undefined : `$select=${select}`],
    render: (user) => {
      const detail = detailOf(ctx, user);
      return selected
        ? Object.fromEntries(Object.entries(detail).filter(([k]) => k === "id" || selected.has(k)))
        : detail;
    },
  });
}

function detailOf(ctx: HandlerContext, user: EmulatedUser): Record<string, unknown> {
  const methods = [
    ...(Object.keys(user.phoneMethods) as Array<keyof typeof methodNames>).map((type) => methodNames[type]),
    ...(user.emailMethod ? ["email"] : []),
    ...user.otherMethods.map((kind) => otherMethodNames[kind]),
  ];
  const ssprMethod = methods.some((m) => m === "mobilePhone" || m === "officePhone" || m === "email");
  const prepopulated =
    ssprPhoneForm.test(user.mobilePhone ?? "") ||
    ssprPhoneForm.test(user.businessPhones[0] ?? "") ||
    (user.otherMails[0] ?? "") !== "";
  const enabled = user.sspr.enabled ?? ctx.tenant.ssprEnabled;
  const registered = user.sspr.registered ?? (ssprMethod || prepopulated);
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
