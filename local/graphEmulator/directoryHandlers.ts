import { emulatedTenantId } from "./EmulatorTokens.js";
import { type EmulatorResponse, graphError, json } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";

/**
 * GET /directory/onPremisesSynchronization: the tenant's one onPremisesDirectorySynchronization object, in a
 * collection (the route table says who may read it).
 */
export function listDirSyncSettings(ctx: HandlerContext): EmulatorResponse {
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#directory/onPremisesSynchronization`,
    value: [dirSyncObject(ctx)],
  });
}

/** GET /directory/onPremisesSynchronization/{id}: the same object by the tenant id. */
export function getDirSyncSettings(ctx: HandlerContext, id: string): EmulatorResponse {
  if (id.toLowerCase() !== emulatedTenantId) {
    return graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist.`);
  }
  return json(200, {
    "@odata.context": `${ctx.baseUrl}/$metadata#directory/onPremisesSynchronization/$entity`,
    ...dirSyncObject(ctx),
  });
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
