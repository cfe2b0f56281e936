import { type EmulatorResponse, json } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";

/**
 * GET /domains: every domain of the tenant with `id`, `isVerified`, `isDefault`, `isInitial` and the
 * `authenticationType` Graph always returns; one page (a tenant has a handful).
 */
export function listDomains(ctx: HandlerContext): EmulatorResponse {
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
