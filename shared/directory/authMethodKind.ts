/**
 * The kinds of authentication method a user can register, named after Graph's resource types
 * (`#microsoft.graph.fido2AuthenticationMethod` → `fido2`), and how the registration report's names map onto them.
 * Any kind counts as the user's own; only the password does not (every account has one, nobody registers it).
 */
export const knownMethodKinds = [
  "phone",
  "email",
  "microsoftAuthenticator",
  "fido2",
  "windowsHelloForBusiness",
  "softwareOath",
  "hardwareOath",
  "temporaryAccessPass",
  "platformCredential",
  "securityQuestion",
  "password",
] as const;
export type KnownMethodKind = (typeof knownMethodKinds)[number];

const odataPrefix = "#microsoft.graph.";
const odataSuffix = "AuthenticationMethod";

/**
 * The kind an item of `GET …/authentication/methods` is, from its `@odata.type` ("List methods": a collection of
 * types derived from authenticationMethod). A type this table does not know keeps its own name, and an item without
 * one is `unknown`: either still counts as the user's own, so a method Graph adds later is never written beside.
 */
export function methodKindOfODataType(odataType: unknown): string {
  if (typeof odataType !== "string" || !odataType.startsWith(odataPrefix)) return "unknown";
  const name = odataType.slice(odataPrefix.length);
  const kind = name.endsWith(odataSuffix) ? name.slice(0, -odataSuffix.length) : name;
  return kind === "" ? "unknown" : kind;
}

/**
 * Graph's names in `userRegistrationDetails.methodsRegistered` (the List userRegistrationDetails page names
 * `mobilePhone`, `email`, `fido2`, …; the usage report's enum lists the rest), as the kinds above. A name not here
 * is kept as it is: it counts as the user's own too.
 */
const kindOfRegisteredName: Readonly<Record<string, KnownMethodKind>> = {
  mobilePhone: "phone",
  alternateMobilePhone: "phone",
  officePhone: "phone",
  email: "email",
  microsoftAuthenticatorPush: "microsoftAuthenticator",
  microsoftAuthenticatorPasswordless: "microsoftAuthenticator",
  fido2: "fido2",
  fido2SecurityKey: "fido2",
  passKeyDeviceBound: "fido2",
  passKeyDeviceBoundAuthenticator: "fido2",
  passKeySynced: "fido2",
  windowsHelloForBusiness: "windowsHelloForBusiness",
  passKeyDeviceBoundWindowsHello: "windowsHelloForBusiness",
  softwareOneTimePasscode: "softwareOath",
  hardwareOneTimePasscode: "hardwareOath",
  temporaryAccessPass: "temporaryAccessPass",
  macOsSecureEnclaveKey: "platformCredential",
  securityQuestion: "securityQuestion",
};

/** The kind a registration-report name stands for (see `kindOfRegisteredName`). */
export function methodKindOfRegisteredName(name: string): string {
  return kindOfRegisteredName[name] ?? name;
}

/** True for every kind a user registers: all but the password. */
export function isUserRegisteredKind(kind: string): boolean {
  return kind !== "password";
}
