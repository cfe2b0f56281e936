import { odata } from "@azure/data-tables";
import { outcomeTableKeys } from "./outcomeTableKeys.js";

/** One row of the table, named: tests and tools read the layout through this, never by its key formats. */
export type OutcomeTableRow =
  | { kind: "event"; eventId: string }
  | { kind: "index"; eventId: string; user: string }
  | { kind: "attempt"; eventId: string }
  | { kind: "state" }
  | { kind: "legacy" };

/** A $filter that selects the event rows of the outcome table (one per event, any status). */
export const outcomeEventRowsFilter = odata`RowKey ge ${"e."} and RowKey lt ${"e/"}`;

/** Says what a row of the outcome table is (`user` is `<kind>:<value in lower case>`). */
export function outcomeTableRowOf(partitionKey: string, rowKey: string): OutcomeTableRow {
  const { buckets, fromKey, stateRow } = outcomeTableKeys;
  if (partitionKey.startsWith("s_") && rowKey === stateRow) return { kind: "state" };
  if (!buckets.includes(partitionKey)) return { kind: "legacy" };
  if (rowKey.startsWith("e.")) return { kind: "event", eventId: fromKey(rowKey.slice(2)) };
  if (rowKey.startsWith("a.")) return { kind: "attempt", eventId: fromKey(rowKey.split(".")[1] ?? "") };
  const [, user = "", , event = ""] = rowKey.split(".");
  return { kind: "index", eventId: fromKey(event), user: fromKey(user) };
}
