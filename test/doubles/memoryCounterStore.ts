import type { CounterKey, CounterReading, CounterRow, CounterStore } from "../../shared/sync/counterStore.js";

/**
 * An in-memory CounterStore that behaves as TableCounterStore does (see test/contracts/counterStoreContract.ts):
 * one row per subject and window length, a new version at each save, and a save on a stale version (or a create
 * where a row now exists) is a conflict. `failing` makes every call throw, as an unreachable table does.
 */
export class MemoryCounterStore implements CounterStore {
  readonly #rows = new Map<string, { row: CounterRow; version: string }>();
  #versions = 0;
  /** When set, every load and save throws it (the table unreachable). */
  failing: Error | undefined;

  async load(key: CounterKey): Promise<CounterReading> {
    this.#throwIfFailing();
    const stored = this.#rows.get(keyOf(key));
    return stored
      ? { row: { ...stored.row }, version: stored.version }
      : { row: undefined, version: undefined };
  }

  async save(key: CounterKey, row: CounterRow, version: string | undefined): Promise<"saved" | "conflict"> {
    this.#throwIfFailing();
    const stored = this.#rows.get(keyOf(key));
    if (stored?.version !== version) return "conflict";
    this.#rows.set(keyOf(key), { row: { ...row }, version: `v${++this.#versions}` });
    return "saved";
  }

  /** Puts `row` in place, as another writer (a hand edit with the storage role) might. */
  plant(key: CounterKey, row: CounterRow): void {
    this.#rows.set(keyOf(key), { row: { ...row }, version: `v${++this.#versions}` });
  }

  #throwIfFailing(): void {
    if (this.failing) throw this.failing;
  }
}

function keyOf(key: CounterKey): string {
  return JSON.stringify([key.subject, key.windowSeconds]);
}
