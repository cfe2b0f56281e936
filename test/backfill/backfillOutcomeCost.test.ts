import type { PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { policyFrom } from "../../shared/app/ruleOptions.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { runBackfill } from "../../shared/backfill/backfill.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import { aTenant, directoryFor } from "../support/graphEmulatorFixtures.js";
import { useAzurite } from "../support/sharedAzurite.js";

// Recording outcomes must not be what paces a backfill (issue 14): at most one table operation per row on average.
// Every HTTP request the outcome log's TableClient sends is counted (a transaction is one request, as Azure bills
// and throttles it), including the table's creation and any request the SDK retries.

const rowCount = 1000;
const userCount = 960;

let azurite: RunningAzurite;
let emulator: GraphEmulator;

beforeAll(async () => {
  [azurite, emulator] = await Promise.all([useAzurite(), startGraphEmulator({ tenant: aTenant(userCount) })]);
});
afterAll(async () => {
  await Promise.all([emulator?.close(), azurite?.stop()]);
});

/** A real export's mix: mostly valid rows, every 25th with a phone the rules refuse, the last 40 naming no user. */
function exportRows() {
  return Array.from({ length: rowCount }, (_, i) => {
    const n = i + 1;
    return {
      line: n + 1,
      input: {
        eventId: `cost-${n}`,
        source: "hr-export",
        occurredAt: "2026-11-01T09:00:00Z",
        user: { userPrincipalName: `user${n}@contoso.example`, employeeId: `T${n}` },
        country: "US",
        contact: { mobilePhone: n % 25 === 0 ? "12" : `(425) 555-01${String(n % 100).padStart(2, "0")}` },
      },
    };
  });
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/** The outcome log on a fresh table, and a count of the requests it sends, by kind. */
function countedLog(name: string) {
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  const table = tableClient(settings, `${name}${process.pid}`);
  const sent = new Map<string, number>();
  table.pipeline.addPolicy({
    name: "countTableOperations",
    sendRequest: (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
      const kind = `${request.method} ${new URL(request.url).pathname.endsWith("$batch") ? "$batch" : "entity"}`;
      sent.set(kind, (sent.get(kind) ?? 0) + 1);
      return next(request);
    },
  });
  return {
    outcomes: new TableOutcomeLog(table),
    /** Requests since the last call, printed with `label`. */
    perRow(label: string): number {
      const operations = [...sent.values()].reduce((sum, count) => sum + count, 0);
      const perRow = operations / rowCount;
      console.log(
        `[outcome cost] ${label}: ${operations} table operations for ${rowCount} rows = ${perRow.toFixed(3)} per row (${[...sent].map(([kind, count]) => `${kind}: ${count}`).join(", ")})`,
      );
      sent.clear();
      return perRow;
    },
  };
}

function backfill(outcomes: TableOutcomeLog) {
  return runBackfill({
    records: from(exportRows()),
    rules: { phoneValidation: "valid", organizationDomains: [] },
    policy: policyFrom(loadSettings({})),
    directory: directoryFor(emulator),
    outcomes,
    sourceName: "export.jsonl",
  });
}

describe("the outcome log during a backfill", () => {
  it(`records a ${rowCount.toLocaleString("en-US")}-row backfill in at most one table operation per row, and a rerun of it too`, async () => {
    const { outcomes, perRow } = countedLog("OutcomeCost");

    const summary = await backfill(outcomes);
    expect(summary.outcomeError).toBeUndefined();
    expect(summary.rows).toBe(rowCount);
    expect(perRow("first run")).toBeLessThanOrEqual(1);

    // The same export again: each row is a new attempt, recorded as such (the latest decides), at the same cost.
    const rerun = await backfill(outcomes);
    expect(rerun.outcomeError).toBeUndefined();
    expect(rerun.outcomesRecorded).toBe(rowCount);
    expect(perRow("rerun of the same export")).toBeLessThanOrEqual(1);

    // Found by event id (the rerun decides, the first run stays an earlier attempt) and by each user key.
    expect(await outcomes.get("backfill-cost-7")).toMatchObject({ status: "unchanged", employeeId: "T7" });
    expect((await outcomes.attemptsOf("backfill-cost-7", 10)).map((o) => o.status)).toEqual([
      "unchanged",
      "updated",
    ]);
    expect(await outcomes.get("backfill-cost-25")).toMatchObject({ status: "rejected" });
    expect(await outcomes.get(`backfill-cost-${rowCount - 1}`)).toMatchObject({ status: "failed" });
    for (const key of [
      { kind: "upn", value: "user7@contoso.example" },
      { kind: "employeeId", value: "T7" },
      { kind: "id", value: "00000000-0000-4000-8000-000000000007" },
    ] as const) {
      expect((await outcomes.listByUser(key, 10)).map((o) => `${o.eventId} ${o.status}`)).toEqual([
        "backfill-cost-7 unchanged",
        "backfill-cost-7 updated",
      ]);
    }
  });
});
