import { emulatedTenantId } from "./EmulatorTokens.js";
import { type EmulatorResponse, graphError, json } from "./emulatorResponse.js";
import type { HandlerContext } from "./userHandlers.js";

/** What reading the tenant's on-premises synchronization settings needs: any one of these permissions. */
const dirSyncPermissions = [
  "OnPremDirectorySynchronization.Read.All",
  "OnPremDirectorySynchronization.ReadWrite.All",
];

/**
 * GET /directory/onPremisesSynchronization: the tenant's one onPremisesDirectorySynchronization object, in a
 * collection. The emulator answers an app holding OnPremDirectorySynchronization.Read.All (Graph's v1.0 page lists
 * the permission for delegated access only; the emulator lets tests show both the read and its 403).
 */
export function listDirSyncSettings(ctx: HandlerContext): EmulatorResponse {
  const refused = refusal(ctx);
  if (refused) return refused;
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#directory/onPremisesSynchronization`,
    value: [dirSyncObject(ctx)],
  });
}

/** GET /directory/onPremisesSynchronization/{id}: the same object by the tenant id. */
export function getDirSyncSettings(ctx: HandlerContext, id: string): EmulatorResponse {
  const refused = refusal(ctx);
  if (refused) return refused;
  if (id.toLowerCase() !== emulatedTenantId) {
    return graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist.`);
  }
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#directory/onPremisesSynchronization/$entity`,
    ...dirSyncObject(ctx),
  });
}

function refusal(ctx: HandlerContext): EmulatorResponse | undefined {
  if (dirSyncPermissions.some((permission) => ctx.tenant.hasPermission(permission))) return undefined;
  return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

function dirSyncObject(ctx: HandlerContext): Record<string, unknown> {
  return {
    id: emulatedTenantId,
    configuration: {
      accidentalDeletionPrevention: { synchronizationPreventionType: "enabledForCount", alertThreshold: 500 },
    },
    features: {
      passwordSyncEnabled: false,
      passwordWritebackEnabled: false,
      blockSoftMatchEnabled: false,
      blockCloudObjectTakeoverThroughHardMatchEnabled: false,
      bypassDirSyncOverridesEnabled: ctx.tenant.bypassDirSyncOverridesEnabled,
    },
  };
}
