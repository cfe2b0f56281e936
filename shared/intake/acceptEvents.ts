// intake/: HR payloads in — signature checks, mapping to ContactEvents, and acceptance onto the queue.

import { type ContactRuleOptions, validateContactEvent } from "../contact/contactEvent.js";
import type { ContactEvent } from "../contact/contactEventSchema.js";
import { SsprError } from "../core/errors.js";
import { isRecord } from "../core/isRecord.js";
import type { RuleIssue } from "../core/result.js";
import { actorStampOf } from "../sync/actorStamp.js";
import type { EventQueue } from "../sync/eventQueue.js";
import type { IntakeRecord } from "./intakeRecord.js";
import type { WebhookReceipts } from "./webhookReceipts.js";
import { scopedEventId, senderActor, type WebhookSender } from "./webhookSender.js";

/** Most events one webhook request may carry; a larger batch is refused whole (413) before any work. */
export const maxEventsPerRequest = 500;

/** What the intake step talks to: passed in, so tests choose real storage or in-memory fakes. */
export interface AcceptDeps {
  queue: EventQueue;
  receipts: WebhookReceipts;
  rules: ContactRuleOptions;
  /** How many events are claimed and enqueued at once; 8 by default. */
  concurrency?: number;
  /**
   * The app's actor-stamp key (from APP_SIGNING_KEY): each queued event's `actor` is signed with it, so the queue
   * can tell the intake's stamp from one anybody with queue access wrote. Without it events go unsigned and the
   * queue records them as actor `queue`.
   */
  actorStampKey?: Uint8Array | undefined;
}

/** How a batch is taken in. */
export interface AcceptOptions {
  /** Who sent it, as verified: becomes each event's `actor` and scopes its event id and receipt. */
  sender: WebhookSender;
  /** Stop after this many rejected records (SCIM `failOnErrors`); later records are neither queued nor reported. */
  stopAfterRejections?: number;
}

/** An event now on the queue, or (`duplicate`) one an earlier delivery already put there. */
export interface AcceptedRecord {
  index: number;
  eventId: string;
  duplicate?: true;
  /** Masked notes such as a dropped extension; the event is still processed. */
  warnings?: RuleIssue[];
}

/** A record that broke the contact rules (or the adapter's): reported, never queued. */
export interface RejectedRecord {
  index: number;
  eventId?: string;
  errors: RuleIssue[];
}

/** The per-record answer to a webhook request; `index` is the record's position in the request. */
export interface AcceptanceReport {
  accepted: AcceptedRecord[];
  rejected: RejectedRecord[];
}

/** Storage refused a receipt or a queue message: the sender must redeliver (answer 503, never 202). */
export class IntakeUnavailableError extends SsprError {}

/** One record after checking: an event to queue, a repeat within the request, or a rejection. */
export type Checked =
  | { kind: "valid"; index: number; eventId: string; event: unknown; warnings: RuleIssue[] }
  | { kind: "repeat"; index: number; eventId: string; warnings: RuleIssue[] }
  | { kind: "rejected"; record: RejectedRecord };

/** A delivery's records checked against the contact rules, before anything is stored. */
export interface CheckedDelivery {
  readonly entries: readonly Checked[];
  /**
   * How many events it may queue: the valid ones, each event id once. An event an earlier delivery already queued
   * is in it too, since only storage knows those (a redelivery counts again).
   */
  readonly queueable: number;
}

/**
 * Stamps each record with the verified sender (its `actor`, whatever the body said, and an event id in the
 * sender's namespace — see `scopedEventId`) and validates it with the contact rules. Pure: nothing is stored, so a
 * limit can refuse the delivery whole on `queueable` before any of it is taken in (`enqueueChecked`).
 */
export function checkDelivery(
  records: readonly IntakeRecord[],
  deps: Pick<AcceptDeps, "rules" | "actorStampKey">,
  options: AcceptOptions,
): CheckedDelivery {
  const entries = check(records, deps, options);
  return { entries, queueable: entries.filter((entry) => entry.kind === "valid").length };
}

/**
 * Takes in the records of one webhook request: `checkDelivery`, then `enqueueChecked`.
 * Throws IntakeUnavailableError when storage fails (see `enqueueChecked`).
 */
export async function acceptEvents(
  records: readonly IntakeRecord[],
  deps: AcceptDeps,
  options: AcceptOptions,
): Promise<AcceptanceReport> {
  return enqueueChecked(checkDelivery(records, deps, options), deps, options);
}

/**
 * Takes in a checked delivery: skips events an earlier delivery from the same sender already queued, enqueues
 * every other valid event (one message each, the event as accepted — the queue function validates again and is
 * idempotent by eventId) and reports each record by index, under its scoped event id.
 * Throws IntakeUnavailableError when storage fails, after the events already queued are marked received,
 * so the sender's redelivery queues exactly what is missing.
 */
export async function enqueueChecked(
  delivery: CheckedDelivery,
  deps: AcceptDeps,
  options: AcceptOptions,
): Promise<AcceptanceReport> {
  const checked = delivery.entries;
  const results = new Map<number, AcceptedRecord>();
  const pending = checked.filter((entry) => entry.kind === "valid");
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (failure === undefined && next < pending.length) {
      const entry = pending[next++];
      if (!entry) break;
      try {
        results.set(entry.index, await acceptOne(entry, deps, senderActor(options.sender)));
      } catch (err) {
        failure ??= err;
      }
    }
  };
  const concurrency = Math.max(1, deps.concurrency ?? 8);
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
  if (failure !== undefined) {
    throw new IntakeUnavailableError(
      "Storage did not take the webhook's events; the sender should redeliver.",
      {
        cause: failure,
      },
    );
  }

  const report: AcceptanceReport = { accepted: [], rejected: [] };
  for (const entry of checked) {
    if (entry.kind === "rejected") report.rejected.push(entry.record);
    else if (entry.kind === "valid") {
      const result = results.get(entry.index);
      if (result) report.accepted.push(result);
    } else {
      // A second copy of an event earlier in the same request: acknowledged, queued once.
      report.accepted.push(
        withWarnings({ index: entry.index, eventId: entry.eventId, duplicate: true }, entry.warnings),
      );
    }
  }
  return report;
}

/** One log line for a report: counts, event ids of rejects and their issue codes, never a contact value. */
export function summarizeAcceptance(report: AcceptanceReport): string {
  const duplicates = report.accepted.filter((record) => record.duplicate).length;
  const shown = report.rejected.slice(0, 10).map((record) => {
    const codes = [...new Set(record.errors.map((issue) => issue.code))].join("+");
    return `#${record.index}${record.eventId ? ` ${record.eventId}` : ""} ${codes}`;
  });
  const more = report.rejected.length > shown.length ? `, ${report.rejected.length - shown.length} more` : "";
  return `${report.accepted.length} accepted (${duplicates} duplicate), ${report.rejected.length} rejected${
    shown.length > 0 ? `: ${shown.join(", ")}${more}` : ""
  }`;
}

/** Why intake failed, for the log: the error and its cause, names and messages only (storage errors carry no event data). */
export function describeIntakeFailure(err: unknown): string {
  const chain: string[] = [];
  for (
    let current = err, depth = 0;
    current instanceof Error && depth < 3;
    current = current.cause, depth += 1
  ) {
    chain.push(`${current.name}: ${current.message.split("\n")[0]}`);
  }
  return chain.length > 0 ? chain.join(" <- ") : String(err);
}

function check(
  records: readonly IntakeRecord[],
  deps: Pick<AcceptDeps, "rules" | "actorStampKey">,
  options: AcceptOptions,
): Checked[] {
  const stopAfter = options.stopAfterRejections;
  const checked: Checked[] = [];
  const seen = new Set<string>();
  let rejections = 0;
  for (const [index, record] of records.entries()) {
    if (stopAfter !== undefined && rejections >= stopAfter) break;
    if (!record.ok) {
      rejections += 1;
      checked.push({
        kind: "rejected",
        record: {
          index,
          ...eventIdField(record.eventId ? scopedEventId(options.sender, record.eventId) : undefined),
          errors: record.issues,
        },
      });
      continue;
    }
    const event = stamped(record.event, options.sender);
    const result = validateContactEvent(event, deps.rules);
    if (!result.ok) {
      rejections += 1;
      checked.push({
        kind: "rejected",
        record: { index, ...eventIdField(eventIdOf(event)), errors: result.issues },
      });
      continue;
    }
    const { eventId } = result.value.event;
    if (seen.has(eventId)) {
      checked.push({ kind: "repeat", index, eventId, warnings: result.warnings });
      continue;
    }
    seen.add(eventId);
    // The event as the schema accepted it, not the normalized values: the queue function re-validates.
    checked.push({
      kind: "valid",
      index,
      eventId,
      event: signed(result.value.event, deps.actorStampKey),
      warnings: result.warnings,
    });
  }
  return checked;
}

async function acceptOne(
  entry: Extract<Checked, { kind: "valid" }>,
  deps: AcceptDeps,
  scope: string,
): Promise<AcceptedRecord> {
  const base = { index: entry.index, eventId: entry.eventId };
  if ((await deps.receipts.claim(scope, entry.eventId)) === "duplicate") {
    return withWarnings({ ...base, duplicate: true }, entry.warnings);
  }
  await deps.queue.send(entry.event);
  await deps.receipts.markEnqueued(scope, entry.eventId);
  return withWarnings(base, entry.warnings);
}

/**
 * The record as the sender's event: `actor` is the verified sender (an `actor` in the body is overwritten, never
 * trusted, and an `actorStamp` in it dropped: only `signed` writes one) and a usable event id is moved into the
 * sender's namespace. Anything but an object is left for validation to report.
 */
function stamped(event: unknown, sender: WebhookSender): unknown {
  if (!isRecord(event)) return event;
  const eventId = Object.hasOwn(event, "eventId") ? event.eventId : undefined;
  const { actorStamp: _dropped, ...body } = event;
  return {
    ...body,
    ...(typeof eventId === "string" && eventId.length > 0 ? { eventId: scopedEventId(sender, eventId) } : {}),
    actor: senderActor(sender),
  };
}

/** The accepted event as queued: with the app's stamp over its actor and content, when the app has the key. */
function signed(event: ContactEvent, key: Uint8Array | undefined): ContactEvent {
  if (key === undefined || event.actor === undefined) return event;
  return { ...event, actorStamp: actorStampOf(key, event.actor, event) };
}

function withWarnings(record: AcceptedRecord, warnings: RuleIssue[]): AcceptedRecord {
  return warnings.length > 0 ? { ...record, warnings } : record;
}

function eventIdField(eventId: string | undefined): { eventId?: string } {
  return eventId === undefined ? {} : { eventId };
}

/** A rejected event's id, when it has a usable one, so the sender can match the report to its records. */
function eventIdOf(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null || !Object.hasOwn(event, "eventId")) return undefined;
  const value = (event as { eventId?: unknown }).eventId;
  return typeof value === "string" && value.length > 0 && value.length <= 128 ? value : undefined;
}
