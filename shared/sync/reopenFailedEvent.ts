import { buildOutcome } from "./buildOutcome.js";
import type { OutcomeLog } from "./outcomeLog.js";

/** What a replay finds for an event, and what it does about it. */
export type ReplayState =
  /** No record: the message is processed as if new. */
  | { state: "new" }
  /** Its last attempt gave up (`failed`): reopened, so the replayed message is processed again. */
  | { state: "reopened" }
  /** Finished otherwise: the replayed message is a duplicate and writes nothing. */
  | { state: "finished"; status: string }
  /** Not finished (deferred, in progress): the replayed message joins the delivery that has it. */
  | { state: "pending"; status: string };

/**
 * Makes an event whose last attempt gave up (`failed`, final) processable again when an admin replays its
 * poisoned message after a fix: a `deferred` attempt is recorded over it (`recordMany`: the failure stays as the
 * earlier attempt), so the queue's claim succeeds instead of answering "duplicate". Any other finished event is
 * left alone: its replayed message is a duplicate. A dry run only reads.
 */
export async function reopenFailedEvent(
  log: OutcomeLog,
  eventId: string,
  options: { now: Date; dryRun: boolean },
): Promise<ReplayState> {
  const current = await log.get(eventId);
  if (!current) return { state: "new" };
  if (current.status === "deferred") return { state: "pending", status: current.status };
  if (current.status !== "failed") return { state: "finished", status: current.status };
  if (options.dryRun) return { state: "reopened" };
  const [failure] = await log.recordMany([
    buildOutcome({
      eventId,
      status: "deferred",
      source: current.source,
      actor: "replay-poison",
      now: options.now,
      occurredAt: current.occurredAt,
      user: {
        userId: current.userId,
        userPrincipalName: current.userPrincipalName,
        employeeId: current.employeeId,
      },
      attempts: current.attempts,
      message: `replayed from the poison queue after a fix; the attempt that gave up (${current.updatedAt}) stays as an earlier attempt`,
    }),
  ]);
  if (failure) throw failure;
  return { state: "reopened" };
}
