import { DirectoryErrorKind } from "../directory/directoryError.js";
import { GraphRequestError } from "./graphRequestError.js";

const guidKey = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The user properties the pipeline reads, in one `$select` (otherMails, onPremisesSyncEnabled, employeeId,
 * createdDateTime and userType are not in Graph's default set; userType tells a guest, never written).
 */
export const contactSelect = [
  "id",
  "userPrincipalName",
  "mail",
  "mobilePhone",
  "businessPhones",
  "otherMails",
  "onPremisesSyncEnabled",
  "employeeId",
  "createdDateTime",
  "userType",
].join(",");

/**
 * What the readiness report reads of each user besides the contact state: who can sign in, guests, and the
 * department and country it groups by. Same cost as the contact listing (a `$select` either way), more bytes.
 */
export const reportUserSelect = [
  contactSelect,
  "accountEnabled",
  "department",
  "country",
  "usageLocation",
].join(",");

/**
 * Path of one user by object id or UPN, percent-encoded: guest UPNs hold `#EXT#` (a fragment marker if left
 * raw) and UPNs may hold `'`, `+` or `/`. Graph documents that a UPN starting with `$` must use the key form
 * `/users('$…')`, with single quotes doubled inside.
 */
export function userPath(key: string): string {
  // Graph keys a user by object id (a GUID) or UPN (always has `@`). Anything else — `..`, `me`, `delta` — would
  // make the path name another resource, so it is refused here as well as by the ContactEvent rules.
  if (!guidKey.test(key) && !key.includes("@")) {
    throw new GraphRequestError("the user key is neither an object id (GUID) nor a userPrincipalName", {
      kind: DirectoryErrorKind.invalidRequest,
      statusCode: 0,
    });
  }
  if (key.startsWith("$")) return `/users('${encodeSegment(key.replaceAll("'", "''"))}')`;
  return `/users/${encodeSegment(key)}`;
}

/** An OData `eq` filter on a string property, ready for a query string (quotes doubled, then percent-encoded). */
export function filterEq(property: string, value: string): string {
  return encodeURIComponent(`${property} eq '${value.replaceAll("'", "''")}'`);
}

/** Percent-encodes a path segment, including `'`, which encodeURIComponent leaves alone. */
export function encodeSegment(value: string): string {
  return encodeURIComponent(value).replaceAll("'", "%27");
}

/** Active directory role assignments (PIM-activated ones included). Needs RoleManagement.Read.Directory. */
export const roleAssignmentsPath = "/roleManagement/directory/roleAssignments";

/** Directory role definitions (names of roles by id). Needs RoleManagement.Read.Directory. */
export const roleDefinitionsPath = "/roleManagement/directory/roleDefinitions";

/** PIM role eligibilities in effect. Needs RoleEligibilitySchedule.Read.Directory or RoleManagement.Read.Directory. */
export const roleEligibilitiesPath = "/roleManagement/directory/roleEligibilityScheduleInstances";

/**
 * PIM for Groups eligibility instances (eligible members and owners). Graph requires a `$filter` on `groupId` or
 * `principalId`. Needs PrivilegedEligibilitySchedule.Read.AzureADGroup and Entra ID P2 or ID Governance.
 */
export const pimGroupEligibilitiesPath =
  "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances";
