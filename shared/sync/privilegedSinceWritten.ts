import type { Privilege } from "../directory/directory.js";
import type { PrivilegePicture } from "../directory/privilegePicture.js";
import { type FieldOutcome, writingActions } from "./outcome.js";
import { maxListTop, type OutcomeLog } from "./outcomeLog.js";

/** A user this app wrote who is privileged now, with what was written and when (masked values only). */
export interface PrivilegedSinceWritten {
  userId: string;
  privilege: Extract<Privilege, { privileged: true }>;
  writes: Array<{
    eventId: string;
    at: string;
    actor: string;
    field: FieldOutcome["field"];
    target: FieldOutcome["target"];
    after?: string;
  }>;
}

/**
 * Users who became privileged after this app wrote their contact data: each privileged user of the picture is
 * looked up in the outcome log (one query each; admins are few), keeping the events that wrote a field. Such a
 * phone or email was set while the user was not an admin, and now guards an admin's reset: an operator should ask
 * the user to re-register it (https://aka.ms/mysecurityinfo) or remove it. The guard cannot stop this by itself:
 * it checks at the moment of writing, and the role came later.
 */
export async function privilegedSinceWritten(
  picture: PrivilegePicture,
  outcomes: Pick<OutcomeLog, "listByUser">,
): Promise<PrivilegedSinceWritten[]> {
  const found: PrivilegedSinceWritten[] = [];
  for (const [userId, privilege] of picture.privileged) {
    const history = await outcomes.listByUser({ kind: "id", value: userId }, maxListTop);
    const writes = history.flatMap((outcome) =>
      outcome.dryRun
        ? []
        : outcome.fields
            .filter((field) => writingActions.has(field.action))
            .map((field) => ({
              eventId: outcome.eventId,
              at: outcome.updatedAt,
              actor: outcome.actor,
              field: field.field,
              target: field.target,
              ...(field.after !== undefined ? { after: field.after } : {}),
            })),
    );
    if (writes.length > 0) found.push({ userId, privilege, writes });
  }
  return found;
}
