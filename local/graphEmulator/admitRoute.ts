import type { EmulatedTenant } from "./EmulatedTenant.js";
import {
  type EmulatorResponse,
  insufficientPrivileges,
  nonPremiumTenant,
  premiumLicenseRequired,
} from "./emulatorResponse.js";
import type { GraphRoute, PermissionRule } from "./GraphRoute.js";

/**
 * The route table's refusals, before any handler runs: the permission first, then the edition (Graph's 403 without
 * the permission; the licence error on a P2 route without P2, the non-premium one on a P1 route without P1/P2).
 * Assumed order: the docs do not say which of the two Graph checks first.
 */
export function admitRoute(
  route: GraphRoute,
  tenant: EmulatedTenant,
  body: unknown,
): EmulatorResponse | undefined {
  if (!permits(route.permissions, tenant, body)) return route.denied?.() ?? insufficientPrivileges();
  if (route.edition === "P2" && !tenant.hasPim()) {
    return premiumLicenseRequired(tenant.pimRefusal.status, tenant.pimRefusal.wording);
  }
  if (route.edition === "P1" && !tenant.premiumLicense) return nonPremiumTenant();
  return undefined;
}

function permits(rule: PermissionRule, tenant: EmulatedTenant, body: unknown): boolean {
  const holdsAny = (permissions: readonly string[]) => permissions.some((p) => tenant.hasPermission(p));
  if ("anyOf" in rule) return holdsAny(rule.anyOf);
  if ("allOf" in rule) return rule.allOf.every((p) => tenant.hasPermission(p));
  if ("none" in rule) return true;
  // A body that is no object sets no property: the handler answers its 400.
  if (typeof body !== "object" || body === null || Array.isArray(body)) return true;
  return Object.keys(body).every((name) => {
    const needed = rule.perProperty[name];
    return needed === undefined || holdsAny(needed);
  });
}
