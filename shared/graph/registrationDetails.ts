import type { RegistrationDetail } from "../directory/directory.js";
import { DirectoryError } from "../directory/directoryError.js";

/** The registration report's permission (application), named when Graph answers 403. */
export const registrationPermission = "AuditLog.Read.All";

/**
 * The report's collection. Microsoft's page ("List userRegistrationDetails") documents one query option, `$filter`,
 * and no page size; it lists `$select` nowhere, so the app reads every property the page lists (a few hundred bytes
 * a user) rather than select them.
 */
export const registrationDetailsBasePath = "/reports/authenticationMethods/userRegistrationDetails";

/**
 * The first page asked for: with `$top=1000`, which the page neither documents nor refuses. The reports budget is
 * 5 requests per 10 s, so the page size decides how long a large tenant's report takes; a Graph that refuses it
 * (400) is read again without it (`registrationDetailPages`).
 */
export const registrationDetailsPath = `${registrationDetailsBasePath}?$top=1000`;

/**
 * The registration report a page at a time, `pagesOf` reading a path and each `@odata.nextLink` after it. A 400 to
 * the first page (Graph refusing `$top`, an option its page does not document) is read once more without any query
 * option, at Graph's own page size, and `onFallback` is told so in a sentence the report shows; any other failure,
 * or a 400 on a later page, is thrown.
 */
export async function* registrationDetailPages(
  pagesOf: (path: string) => AsyncIterable<unknown[]>,
  onFallback?: (note: string) => void,
): AsyncGenerator<RegistrationDetail[]> {
  let firstPage = true;
  try {
    for await (const page of pagesOf(registrationDetailsPath)) {
      firstPage = false;
      yield detailsOf(page);
    }
    return;
  } catch (err) {
    if (!firstPage || !(err instanceof DirectoryError) || err.statusCode !== 400) throw err;
    onFallback?.(
      `Graph refused the query option $top on the registration report (400${err.graphCode ? ` ${err.graphCode}` : ""}); it was read again without it, at Graph's own page size, which may take more requests.`,
    );
  }
  for await (const page of pagesOf(registrationDetailsBasePath)) yield detailsOf(page);
}

function detailsOf(page: readonly unknown[]): RegistrationDetail[] {
  return page.flatMap((item) => toRegistrationDetail(item) ?? []);
}

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
