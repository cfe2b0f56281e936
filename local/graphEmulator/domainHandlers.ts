import { type EmulatorResponse, graphError, json } from "./emulatorResponse.js";
import type { HandlerContext } from "./userHandlers.js";

/** What listing domains needs: any one of these application permissions (Graph's "List domains" page). */
const domainPermissions = ["Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All"];

/**
 * GET /domains: every domain of the tenant with `id`, `isVerified`, `isDefault`, `isInitial` and the
 * `authenticationType` Graph always returns; one page (a tenant has a handful). Without the permission the app
 * gets Graph's 403.
 */
export function listDomains(ctx: HandlerContext): EmulatorResponse {
  if (!domainPermissions.some((permission) => ctx.tenant.hasPermission(permission))) {
    return graphError(
      403,
      "Authorization_RequestDenied",
      "Insufficient privileges to complete the operation.",
    );
  }
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#domains`,
    value: ctx.tenant.domains.map((domain) => ({
      authenticationType: "Managed",
      id: domain.id,
      isDefault: domain.isDefault ?? false,
      isInitial: domain.isInitial ?? false,
      isVerified: domain.isVerified,
    })),
  });
}
