import { isDeepStrictEqual } from "node:util";
import type { TableClient } from "@azure/data-tables";
import type { EmulatedTenant } from "../../../local/graphEmulator/EmulatedTenant.js";
import type { EmulatorStats } from "../../../local/graphEmulator/EmulatorStats.js";
import { tryStandardWebhookKeys, webhookKeyId } from "../../../shared/intake/standardWebhook.js";
import { scopedEventId, senderActor, type WebhookSender } from "../../../shared/intake/webhookSender.js";
import { outcomeTableRowOf } from "../../../shared/storage/outcomeTableRowOf.js";
import { isFinalStatus, type Outcome } from "../../../shared/sync/outcome.js";
import { testSecrets } from "../../support/webhookRequests.js";
import { expectationFor, type Scenario, type ScenarioCase, snapshotOf } from "./scenario.js";

/** What the outcome table and the tenant say about a finished run. */
export interface RunReport {
  outcomesByStatus: Record<string, number>;
  /** Fields recorded as written by an earlier attempt whose answer was lost. */
  confirmedOnRetry: number;
  /** The most times any one property of any one user was written (each user has exactly one event). */
  maxWritesPerField: number;
  writesApplied: number;
  /** Every difference from what must hold; empty when the run is sound. */
  problems: string[];
  /** Every entity of the outcome table, as JSON, for the PII scan. */
  records: string[];
}

/** Reads every entity of a table. */
export async function readAll(table: TableClient): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const row of table.listEntities<Record<string, unknown>>()) rows.push(row);
  return rows;
}

/**
 * Checks a finished run against the oracle: each event has exactly one final record (and exactly one index row
 * under each of its user keys), that record says what the plan says field by field, the user's contact data is
 * what the plan says, and every property the plan writes was written exactly once (others never).
 */
export async function verifyRun(
  scenario: Scenario,
  table: TableClient,
  tenant: EmulatedTenant,
  stats: EmulatorStats,
): Promise<RunReport> {
  const rows = await readAll(table);
  const events = new Map<string, { status: unknown; pending: unknown; outcome: Outcome | undefined }>();
  const indexRows = new Map<string, number>();
  for (const row of rows) {
    const named = outcomeTableRowOf(String(row.partitionKey), String(row.rowKey));
    if (named.kind === "event") {
      const outcome = typeof row.outcome === "string" ? (JSON.parse(row.outcome) as Outcome) : undefined;
      events.set(named.eventId, { status: row.status, pending: row.pending, outcome });
    } else if (named.kind === "index") {
      const key = `${named.eventId} ${named.user.split(":")[0]}`;
      indexRows.set(key, (indexRows.get(key) ?? 0) + 1);
    }
  }

  const problems: string[] = [];
  const outcomesByStatus: Record<string, number> = {};
  let confirmedOnRetry = 0;
  for (const testCase of scenario.cases) {
    const eventId = recordedEventId(testCase);
    const expected = expectationFor(testCase);
    const entry = events.get(eventId);
    const outcome = entry?.outcome;
    if (!outcome || !isFinalStatus(outcome.status)) {
      problems.push(`${eventId} (${testCase.kind}): no final outcome (row status ${String(entry?.status)})`);
      continue;
    }
    outcomesByStatus[outcome.status] = (outcomesByStatus[outcome.status] ?? 0) + 1;
    confirmedOnRetry += outcome.fields.filter((f) => f.reason.includes("confirmed on retry")).length;
    if (entry.pending !== undefined) problems.push(`${eventId}: final record still holds pending writes`);
    const fields = outcome.fields.map((f) => `${f.field}/${f.target} ${f.action}`);
    if (outcome.status !== expected.status || fields.join("; ") !== expected.fields.join("; ")) {
      problems.push(
        `${eventId} (${testCase.kind}): recorded ${outcome.status} [${fields.join("; ")}], plan says ${expected.status} [${expected.fields.join("; ")}]`,
      );
    }
    const keys = [
      outcome.userId ? "id" : undefined,
      outcome.userPrincipalName ? "upn" : undefined,
      outcome.employeeId ? "employeeId" : undefined,
    ].filter((k): k is string => k !== undefined);
    for (const kind of keys) {
      const count = indexRows.get(`${eventId} ${kind}`) ?? 0;
      if (count !== 1) problems.push(`${eventId}: ${count} index rows under its ${kind} (must be 1)`);
    }

    const live = tenant.user(testCase.user.id);
    const actual = live ? snapshotOf(live) : undefined;
    if (!isDeepStrictEqual(actual, expected.state)) {
      problems.push(`${eventId} (${testCase.kind}): tenant state differs from the plan`);
    }
    const written = stats.writes[testCase.user.id.toLowerCase()] ?? {};
    for (const property of new Set([...Object.keys(written), ...Object.keys(expected.writes)])) {
      const count = written[property] ?? 0;
      if (count !== (expected.writes[property] ?? 0)) {
        problems.push(
          `${eventId} (${testCase.kind}): ${property} written ${count}×, plan says ${expected.writes[property] ?? 0}×`,
        );
      }
    }
  }

  let maxWritesPerField = 0;
  let writesApplied = 0;
  for (const perUser of Object.values(stats.writes)) {
    for (const count of Object.values(perUser)) {
      maxWritesPerField = Math.max(maxWritesPerField, count);
      writesApplied += count;
    }
  }
  return {
    outcomesByStatus,
    confirmedOnRetry,
    maxWritesPerField,
    writesApplied,
    problems,
    records: rows.map((row) => JSON.stringify(row)),
  };
}

/** The hr/events sender of the soak's webhook deliveries (signed with the standard test secret). */
function soakSender(): WebhookSender {
  const [key] = tryStandardWebhookKeys([testSecrets.standard]) ?? [];
  if (!key) throw new Error("the test secret is not a whsec_ secret");
  return { endpoint: "hr/events", keyId: webhookKeyId(key) };
}

/** The id a case's outcome is recorded under: hr/events puts a delivery's events in its sender's namespace. */
export function recordedEventId(testCase: ScenarioCase): string {
  const eventId = String(testCase.event.eventId);
  return testCase.route === "webhook" ? scopedEventId(soakSender(), eventId) : eventId;
}

/** A case's event as it stands on the queue: what hr/events enqueued (scoped id, stamped actor), or as sent. */
export function queuedEvent(testCase: ScenarioCase): Record<string, unknown> {
  if (testCase.route !== "webhook") return testCase.event;
  return { ...testCase.event, eventId: recordedEventId(testCase), actor: senderActor(soakSender()) };
}
