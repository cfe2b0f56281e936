import { type EmulatorResponse, graphError } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";

/**
 * GET /directory/onPremisesSynchronization and GET /directory/onPremisesSynchronization/{id}, as Graph answers an
 * app: the page's permission table says "Application: Not supported" (delegated access by a Global Administrator
 * only), so an app-only token is refused whatever it holds, OnPremDirectorySynchronization.Read.All included. Every
 * token the emulator issues is app-only, so it always refuses. Assumed: the refusal is Graph's usual 403
 * Authorization_RequestDenied; the page does not show it.
 */
export function refuseDirSyncToApps(_ctx: HandlerContext): EmulatorResponse {
  return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}
