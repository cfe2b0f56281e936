import type { Privilege } from "../directory/directory.js";
import { DirectoryErrorKind } from "../directory/directoryError.js";
import { GraphRequestError } from "./graphRequestError.js";

const guidKey = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The moment-of-writing check the pacing middleware runs after a write's wait for budget, right before it is
 * sent: each target user is looked up with `privilegeOfMany` (a picture no older than the adapter's bound).
 * Returns, per user that must not be written, why: kind `privilegedTarget` (privileged now), the picture's error
 * (unknown), or `notSent` once the stop signal fired. Targets not named by object id are refused (the picture
 * knows ids).
 */
export async function refusedWritesOf(
  userKeys: readonly string[],
  stopSignal: AbortSignal | undefined,
  privilegeOfMany: (userIds: readonly string[]) => Promise<Array<Privilege | Error>>,
): Promise<Map<string, GraphRequestError>> {
  const refused = new Map<string, GraphRequestError>();
  if (userKeys.length === 0) return refused;
  if (stopSignal?.aborted) {
    for (const key of userKeys) refused.set(key, notSent());
    return refused;
  }
  const answers = await privilegeOfMany(userKeys);
  userKeys.forEach((key, k) => {
    const answer = answers[k];
    if (!guidKey.test(key)) refused.set(key, notById());
    else if (answer instanceof Error)
      refused.set(key, GraphRequestError.fromThrown("privilegeOf (before writing)", answer));
    else if (answer?.privileged) refused.set(key, privilegedTarget(answer));
  });
  return refused;
}

function privilegedTarget(privilege: Extract<Privilege, { privileged: true }>): GraphRequestError {
  return new GraphRequestError(
    `write not sent: the user is privileged (${privilege.via}: ${privilege.detail})`,
    {
      kind: DirectoryErrorKind.privilegedTarget,
      statusCode: 0,
    },
  );
}

function notSent(): GraphRequestError {
  return new GraphRequestError(
    "write not sent: the run was stopped while it waited for Graph's write budget",
    {
      kind: DirectoryErrorKind.notSent,
      statusCode: 0,
    },
  );
}

function notById(): GraphRequestError {
  return new GraphRequestError(
    "write not sent: a write must name its user by object id, which the privilege check knows",
    {
      kind: DirectoryErrorKind.invalidRequest,
      statusCode: 0,
    },
  );
}
