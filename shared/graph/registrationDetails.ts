import type { RegistrationDetail } from "../directory/directory.js";

/** The registration report's permission (application), named when Graph answers 403. */
export const registrationPermission = "AuditLog.Read.All";

const registrationSelect = [
  "id",
  "userPrincipalName",
  "methodsRegistered",
  "isSsprEnabled",
  "isSsprRegistered",
  "isSsprCapable",
  "isMfaRegistered",
  "isAdmin",
  "lastUpdatedDateTime",
].join(",");

/** The report's first page: `$select` of what the app reads, and Graph's largest page. */
export const registrationDetailsPath = `/reports/authenticationMethods/userRegistrationDetails?$select=${registrationSelect}&$top=1000`;

/** One item of the registration report; undefined when it names no user. */
export function toRegistrationDetail(raw: unknown): RegistrationDetail | undefined {
  const item = (raw ?? {}) as Record<string, unknown>;
  if (typeof item.id !== "string") return undefined;
  const flag = (name: string) => item[name] === true;
  return {
    userId: item.id.toLowerCase(),
    userPrincipalName: typeof item.userPrincipalName === "string" ? item.userPrincipalName : null,
    methodsRegistered: Array.isArray(item.methodsRegistered)
      ? item.methodsRegistered.filter((m): m is string => typeof m === "string")
      : [],
    isSsprEnabled: flag("isSsprEnabled"),
    isSsprRegistered: flag("isSsprRegistered"),
    isSsprCapable: flag("isSsprCapable"),
    isMfaRegistered: flag("isMfaRegistered"),
    isAdmin: flag("isAdmin"),
    lastUpdatedDateTime: typeof item.lastUpdatedDateTime === "string" ? item.lastUpdatedDateTime : null,
  };
}
