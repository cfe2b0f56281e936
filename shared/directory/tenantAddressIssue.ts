import type { NormalizedContact } from "../contact/contactEvent.js";
import { organizationalEmailIssue } from "../contact/emailRule.js";
import type { RuleIssue } from "../core/result.js";
import type { Directory } from "./directory.js";

/**
 * Refuses an alternate email inside one of the tenant's verified domains (or a subdomain): mail there goes to
 * the organization's own mailboxes, which a locked-out user cannot open. The contact rules already refused the
 * ORGANIZATION_DOMAINS ones; this adds the tenant's own list, so the setting is only needed for domains the
 * tenant does not hold. Asks the directory only when there is an address (one read, kept by the adapter).
 */
export async function tenantAddressIssue(
  contact: NormalizedContact,
  directory: Pick<Directory, "verifiedDomains">,
): Promise<RuleIssue | undefined> {
  if (contact.alternateEmail === undefined) return undefined;
  return organizationalEmailIssue(contact.alternateEmail, await directory.verifiedDomains());
}
