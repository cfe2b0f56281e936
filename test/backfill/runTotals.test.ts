import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBackfillCheckpoint } from "../../shared/backfill/backfillCheckpoint.js";
import { addRow, type CountedRow, emptyRunTotals } from "../../shared/backfill/runTotals.js";

const row = (status: CountedRow["outcome"]["status"], writes: number, recorded?: boolean): CountedRow => ({
  outcome: { status },
  writes,
  ...(recorded === undefined ? {} : { recorded }),
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sspr-totals-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("run totals", () => {
  it.each([
    ["an updated row whose outcome was recorded", row("updated", 2, true), { outcomesRecorded: 1 }],
    ["a failed row whose outcome could not be recorded", row("failed", 1, false), { outcomeErrors: 1 }],
    ["a dry-run row, recorded nowhere", row("unchanged", 0), {}],
  ])("count %s once, by status, with its writes", (_, counted, outcomes) => {
    const totals = emptyRunTotals();
    addRow(totals, counted);
    expect(totals).toEqual({
      rows: 1,
      writes: counted.writes,
      byStatus: { [counted.outcome.status]: 1 },
      outcomesRecorded: 0,
      outcomeErrors: 0,
      ...outcomes,
    });
  });

  it("carry on from a version 1 checkpoint written before them, whose byStatus names only the statuses met", async () => {
    const path = join(dir, ".sspr-checkpoint.export.csv.json");
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        input: { path: join(dir, "export.csv"), size: 1200, mtimeMs: 1_700_000_000_000 },
        options: { mode: "fillEmpty", target: '"profile"', syncedMobile: "skip" },
        doneThroughLine: 41,
        totals: {
          rows: 40,
          writes: 38,
          byStatus: { updated: 38, rejected: 2 },
          outcomesRecorded: 40,
          outcomeErrors: 0,
        },
        updatedAt: "2025-01-01T00:00:00.000Z",
      }),
    );
    const checkpoint = await readBackfillCheckpoint(path);
    if (!checkpoint) throw new Error("the checkpoint was not read");
    const totals = structuredClone(checkpoint.totals);
    addRow(totals, row("updated", 1, true));
    addRow(totals, row("partial", 2, false));
    expect(totals).toEqual({
      rows: 42,
      writes: 41,
      byStatus: { updated: 39, rejected: 2, partial: 1 },
      outcomesRecorded: 41,
      outcomeErrors: 1,
    });
  });
});
