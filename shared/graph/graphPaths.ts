/**
 * The user properties the pipeline reads, in one `$select` (otherMails, onPremisesSyncEnabled, employeeId and
 * createdDateTime are not in Graph's default set).
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
].join(",");

/**
 * Path of one user by object id or UPN, percent-encoded: guest UPNs hold `#EXT#` (a fragment marker if left
 * raw) and UPNs may hold `'`, `+` or `/`. Graph documents that a UPN starting with `$` must use the key form
 * `/users('$…')`, with single quotes doubled inside.
 */
export function userPath(key: string): string {
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
