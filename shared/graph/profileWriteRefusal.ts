import { isGranted, profilePatchNeeds } from "../directory/appPermissions.js";
import type { ProfilePatch } from "../directory/directory.js";
import { DirectoryErrorKind } from "../directory/directoryError.js";
import { asMissingPermission, GraphRequestError } from "./graphRequestError.js";
import type { GrantedPermissions } from "./tokenGrants.js";

/**
 * What a 403 on a profile PATCH means, told by the identity's grants. Graph gives the same 403
 * Authorization_RequestDenied for a privileged target and for a write permission the app lacks, so a fresh install
 * with a forgotten grant would otherwise report every user as privileged:
 * - the grants lack a permission the patch needs → `missingPermission` naming it (e.g. User-Phone.ReadWrite.All);
 * - the grants hold them all → `forbidden` with `permissionsConfirmed`: the target is protected;
 * - the grants are unknown (an opaque token) → unchanged: the reason names both possibilities.
 * Anything but a 403 passes through.
 */
export function explainProfileRefusal(
  err: GraphRequestError,
  patch: ProfilePatch,
  grants: GrantedPermissions | undefined,
): GraphRequestError {
  if (err.kind !== DirectoryErrorKind.forbidden || !grants?.known) return err;
  const missing = profilePatchNeeds(patch).find((need) => !isGranted(need, grants.permissions));
  if (missing) return asMissingPermission(err, missing.permission);
  return new GraphRequestError(err.message, {
    kind: DirectoryErrorKind.forbidden,
    statusCode: err.statusCode,
    graphCode: err.graphCode,
    requestId: err.requestId,
    clientRequestId: err.clientRequestId,
    permissionsConfirmed: true,
    cause: err,
  });
}
