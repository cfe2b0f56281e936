import { type EmulatorResponse, json } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";

/**
 * GET /organization: the tenant's one organization object, as a collection (`id`, `displayName`, `verifiedDomains`;
 * `$select` honoured for these).
 */
export function listOrganization(ctx: HandlerContext): EmulatorResponse {
  const organization: Record<string, unknown> = {
    id: "a0ee7d6c-5a7e-4c43-9d2f-0c9e1f0a7e11",
    displayName: ctx.tenant.displayName,
    verifiedDomains: ctx.tenant.domains
      .filter((domain) => domain.isVerified)
      .map((domain) => ({
        name: domain.id,
        isDefault: domain.isDefault ?? false,
        isInitial: domain.isInitial ?? false,
        type: "Managed",
      })),
  };
  const select = ctx.query.get("$select");
  const selected = select === null ? undefined : new Set(select.split(",").map((f) => f.trim()));
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#organization`,
    value: [
      selected
        ? Object.fromEntries(Object.entries(organization).filter(([k]) => k === "id" || selected.has(k)))
        : organization,
    ],
  });
}
