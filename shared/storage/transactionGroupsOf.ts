import type { Outcome } from "../sync/outcome.js";
import { outcomeTableKeys } from "./outcomeTableKeys.js";
import { outcomeTableRows } from "./outcomeTableRows.js";

// A batch's outcome holds its event row, up to 3 index rows and its attempt row in the transaction: 5 entities, so
// 14 outcomes stay within the 100 entities a transaction may hold. (`record` writes one outcome at a time: with up
// to 3 index rows to drop, 8 entities.) 14 is also how many row keys one filter may name (Table storage allows 15
// comparisons in a $filter; the PartitionKey is the 15th).
export const maxOutcomesPerTransaction = 14;
// Well under the 4 MiB a transaction may carry, counting each outcome's JSON once per row that holds it.
const maxTransactionChars = 1_000_000;

/** One transaction's share of a batch: outcomes of one partition, by their place in the batch. */
export interface TransactionGroup {
  partition: string;
  indexes: number[];
}

/**
 * Splits a batch into rounds in which each event appears once (an entity may appear once per transaction);
 * the second outcome of an event goes in the second round, after the first is written, as one-by-one records would.
 */
function roundsOf(outcomes: readonly Outcome[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  outcomes.forEach((outcome, i) => {
    const n = seen.get(outcome.eventId) ?? 0;
    seen.set(outcome.eventId, n + 1);
    const round = rounds[n] ?? [];
    round.push(i);
    rounds[n] = round;
  });
  return rounds;
}

/** Groups a round's outcomes by partition, each group within one transaction's limits. */
function groupsOf(round: number[], outcomes: readonly Outcome[]): TransactionGroup[] {
  const open = new Map<string, TransactionGroup & { chars: number }>();
  const groups: Array<TransactionGroup & { chars: number }> = [];
  for (const i of round) {
    const outcome = outcomes[i] as Outcome;
    const partition = outcomeTableKeys.partitionOf(outcome.eventId);
    // The event row, each index row and the attempt row hold a copy of the outcome.
    const chars = JSON.stringify(outcome).length * outcomeTableRows.rowsPerOutcome(outcome);
    let group = open.get(partition);
    if (
      !group ||
      group.indexes.length >= maxOutcomesPerTransaction ||
      group.chars + chars > maxTransactionChars
    ) {
      group = { partition, indexes: [], chars: 0 };
      open.set(partition, group);
      groups.push(group);
    }
    group.indexes.push(i);
    group.chars += chars;
  }
  return groups.map(({ partition, indexes }) => ({ partition, indexes }));
}

/**
 * A batch's outcomes as rounds of transactions: the transactions of a round may run at once (distinct events),
 * and each round after the one before (it holds later outcomes of the same events, which must win).
 */
export function transactionGroupsOf(outcomes: readonly Outcome[]): TransactionGroup[][] {
  return roundsOf(outcomes).map((round) => groupsOf(round, outcomes));
}
