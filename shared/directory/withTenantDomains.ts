import type { ContactRuleOptions } from "../contact/contactEvent.js";
import type { Directory } from "./directory.js";

/**
 * The contact rules with the tenant's verified domains added to ORGANIZATION_DOMAINS: what the bulk paths
 * (backfill, readiness) validate with, reading the domains once for the whole run.
 */
export async function withTenantDomains(
  rules: ContactRuleOptions,
  directory: Pick<Directory, "verifiedDomains">,
): Promise<ContactRuleOptions> {
  const tenant = await directory.verifiedDomains();
  const known = new Set(rules.organizationDomains.map((domain) => domain.toLowerCase()));
  const added = tenant.filter((domain) => !known.has(domain));
  return added.length === 0
    ? rules
    : { ...rules, organizationDomains: [...rules.organizationDomains, ...added] };
}
