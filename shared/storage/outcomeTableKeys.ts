import { createHash } from "node:crypto";
import type { Outcome } from "../sync/outcome.js";
import { type UserKey, userKeysOf } from "../sync/outcomeLog.js";

/*
 * The outcome table's layout, and why.
 *
 * A backfill records its outcomes 20 at a time, and each outcome used to cost four writes in four partitions (its
 * event row, then one index row per user key), so Azure Table, not Graph, set a backfill's pace (issue 14). Table
 * storage writes up to 100 entities of ONE partition in one entity-group transaction: one request, all or nothing.
 * So every row of an event lives in one partition, one of `bucketCount` buckets picked by a hash of the event id:
 *
 *   PartitionKey `o.<bucket>`
 *     RowKey `e.<event>`                          the event: status, lease, outcome, pending writes, and `index`,
 *                                                 the RowKeys of its index rows (so they can be dropped with it)
 *     RowKey `u.<user key>.<newest first>.<event>` one per user key the outcome has, holding a copy of the outcome
 *     RowKey `a.<event>.<newest first>.<digest>`   one per record of the event (an attempt), holding a copy of it
 *   PartitionKey `s_<user id>`, RowKey `state`    the user's last-applied time, in its own partition as before
 *
 * - Recording an outcome — the event row, its index rows, its attempt row, and dropping the index rows of keys it no
 *   longer has — is one transaction: one request instead of four, and never an event half indexed after a crash.
 * - `recordMany` (the backfill's attempts) groups a chunk's outcomes by bucket: 20 outcomes land in about 7.5 of
 *   the 8 buckets, so about 0.4 requests per row (issue 14 asks ≤ 1). It upserts without reading: the event row
 *   takes the latest attempt, and an earlier attempt's index rows (another `firstSeenAt`, so other row keys) and
 *   attempt row stay — that is the history, and a rerun costs what the first run did.
 * - `get` is one point read; `claim`, `notePending` and `release` touch the event row only, with its ETag, as
 *   before. The queue path's `record` reads the event row (its lease token and index) and then writes one
 *   transaction conditioned on the token: 2 requests instead of 4.
 * - `listByUser` reads one key range in each bucket (8 small range queries in parallel) and merges them: a
 *   helpdesk read, rare next to writes.
 * Why 8 buckets: fewer means bigger batches but busier partitions (Azure's target is 2,000 entities/s per
 * partition, far above Graph's 20 writes/s budget either way); more means more range queries per listing. The
 * count is part of the layout: changing it would lose every record already written.
 *
 * Records written by the first layout (an `e_<event>` partition per event, a `u_<user key>` partition per user)
 * are not read any more; retention still deletes them once they are older than the cutoff.
 */
const bucketCount = 8;
// Row keys sort ascending; subtracting from a far-future epoch makes the newest record come first.
const farFuture = 9_999_999_999_999;

/** Table keys may not hold `/ \ # ?` or control characters: base64url keeps any id safe and reversible. */
function toKey(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

function fromKey(key: string): string {
  return Buffer.from(key, "base64url").toString("utf8");
}

/** Newest first by `at`: row keys sort ascending, so the time counts down from a far-future epoch. */
function newestFirst(at: string): string {
  return String(farFuture - Date.parse(at)).padStart(13, "0");
}

function partitionOf(eventId: string): string {
  return `o.${createHash("sha256").update(eventId, "utf8").digest().readUInt8(0) % bucketCount}`;
}

function eventRow(eventId: string): string {
  return `e.${toKey(eventId)}`;
}

/** Every kind of key looks the user up without regard to case. base64url has no `.`, so it ends the key. */
function userRowPrefix(user: UserKey): string {
  return `u.${toKey(`${user.kind}:${user.value.toLowerCase()}`)}.`;
}

/** The index row keys: firstSeenAt orders them, so a deferred event's final record replaces its rows in place. */
function indexRows(outcome: Outcome): string[] {
  const seen = newestFirst(outcome.firstSeenAt);
  return userKeysOf(outcome).map((user) => `${userRowPrefix(user)}${seen}.${toKey(outcome.eventId)}`);
}

function attemptRowPrefix(eventId: string): string {
  return `a.${toKey(eventId)}.`;
}

/**
 * An attempt's row key: newest `updatedAt` first, then a digest of the record, so writing the same record twice
 * (a retry whose answer was lost) keeps one row and two records of the same millisecond keep two.
 */
function attemptRow(outcome: Outcome, json: string): string {
  const digest = createHash("sha256").update(json, "utf8").digest("base64url").slice(0, 11);
  return `${attemptRowPrefix(outcome.eventId)}${newestFirst(outcome.updatedAt)}.${digest}`;
}

/** The event row that an index row (`u.<user>.<seen>.<event>`) or an attempt row (`a.<event>.…`) belongs to. */
function eventRowOf(rowKey: string): string {
  const parts = rowKey.split(".");
  return `e.${(rowKey.startsWith("a.") ? parts[1] : parts[3]) ?? ""}`;
}

/** The end of a prefix's key range, exclusive: the prefix with its closing `.` raised to `/` (the next character). */
function rangeEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}/`;
}

function statePartition(userId: string): string {
  return `s_${toKey(userId.toLowerCase())}`;
}

/** How the outcome table names its partitions and rows (the layout above). */
export const outcomeTableKeys = {
  buckets: Array.from({ length: bucketCount }, (_, n) => `o.${n}`),
  partitionOf,
  eventRow,
  indexRows,
  userRowPrefix,
  attemptRow,
  attemptRowPrefix,
  eventRowOf,
  rangeEnd,
  statePartition,
  stateRow: "state",
  fromKey,
} as const;
