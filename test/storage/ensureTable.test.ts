import { RestError, type TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { WriteLimiter } from "../../shared/graph/writeLimiter.js";
import { ensureTable, TableMissingError } from "../../shared/storage/ensureTable.js";
import { TableCounterStore } from "../../shared/storage/tableCounterStore.js";
import { TableDeploymentPolicy } from "../../shared/storage/tableDeploymentPolicy.js";
import { TableOutcomeLog } from "../../shared/storage/tableOutcomeLog.js";
import { TableWebhookReceipts } from "../../shared/storage/tableWebhookReceipts.js";
import { TableWriteBudget } from "../../shared/storage/tableWriteBudget.js";
import { useAzurite } from "../support/sharedAzurite.js";

// An identity whose role is scoped to one table (or a reader's) is refused Create Table with 403, even for a table
// that exists: creating a table is a request to the account's /Tables, outside the table's scope. Every adapter
// must go on when its table is there, and say plainly which table is missing when it is not.

let azurite: RunningAzurite | undefined;
let tables = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

function freshTableClient(): TableClient {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  return tableClient(settings, `Scoped${process.pid}x${++tables}`);
}

/** The same table seen by an identity that may use it but not create tables: Create Table answers 403 as Azure does. */
function tableScopedView(table: TableClient, counts = { createTable: 0 }): TableClient {
  return new Proxy(table, {
    get(target, property, receiver) {
      if (property === "createTable")
        return () => {
          counts.createTable += 1;
          return Promise.reject(
            new RestError(
              '{"odata.error":{"code":"AuthorizationPermissionMismatch","message":{"lang":"en-US","value":"This request is not authorized to perform this operation using this permission."}}}',
              { statusCode: 403, code: "AuthorizationPermissionMismatch" },
            ),
          );
        };
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const policy = {
  protectedGroupIds: ["3876bc5a-40b4-4d23-bd51-120c5746ec76"],
  target: { mobilePhone: "both", officePhone: "profile", alternateEmail: "methods" },
  mode: "fillEmpty",
  syncedMobile: "skip",
} as const;
const shape = { capacity: 20, refill: 20, windowMs: 1000 };

/** Each Table adapter, and one call of it that needs its table. */
const adapters: Array<[string, (table: TableClient) => Promise<unknown>]> = [
  [
    "TableOutcomeLog",
    async (table) => {
      const log = new TableOutcomeLog(table);
      await log.markApplied("0000eeee-0000-4000-8000-000000000001", "2026-11-24T09:00:00.000Z");
      return log.lastAppliedAt("0000eeee-0000-4000-8000-000000000001");
    },
  ],
  ["TableWebhookReceipts", (table) => new TableWebhookReceipts(table).claim("bamboohr", "evt-1")],
  ["TableDeploymentPolicy", (table) => new TableDeploymentPolicy(table).publish(policy)],
  ["TableWriteBudget", (table) => new TableWriteBudget(table).take(5, shape)],
  [
    "TableCounterStore",
    (table) =>
      new TableCounterStore(table).save(
        { subject: "reads:00000000-0000-4000-8000-00000000d0d0", windowSeconds: 60 },
        { windowStart: 0, count: 1 },
        undefined,
      ),
  ],
];

describe("an adapter whose identity may not create tables (Create Table answers 403)", () => {
  it.each(adapters)("%s goes on with its table when the table exists", async (_, use) => {
    const table = freshTableClient();
    await table.createTable();
    await expect(use(tableScopedView(table))).resolves.toBeDefined();
  });

  it.each(adapters)(
    "%s says plainly, naming the table, that its table is missing and not its to create",
    async (_, use) => {
      const table = freshTableClient();
      const failure = await use(tableScopedView(table)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(TableMissingError);
      const error = failure as TableMissingError;
      expect(error.code).toBe("table_missing");
      expect(error.table).toBe(table.tableName);
      expect(error.message).toMatch(
        new RegExp(
          `^table ${table.tableName} does not exist on this storage account, and this identity may not create it`,
        ),
      );
      // Plain text: no service JSON, no request id.
      expect(error.message).not.toMatch(/odata|RequestId|[{}]/);
    },
  );

  it("a write budget whose table is missing says so in its one line and paces on its fallback share", async () => {
    const lines: string[] = [];
    const limiter = new WriteLimiter({
      budget: 20,
      windowMs: 1000,
      shared: new TableWriteBudget(tableScopedView(freshTableClient())),
      log: (line) => lines.push(line),
    });
    await limiter.acquire();
    expect(lines).toEqual([
      expect.stringMatching(
        /^write budget: the shared bucket is unreachable \(table Scoped\d+x\d+ does not exist on this storage account, .*\); using 10% of the budget/,
      ),
    ]);
  });
});

describe("ensureTable", () => {
  it("asks storage once for many calls once the table is found", async () => {
    const table = freshTableClient();
    await table.createTable();
    const counts = { createTable: 0 };
    const ensure = ensureTable(tableScopedView(table, counts));
    await Promise.all([ensure(), ensure(), ensure()]);
    await ensure();
    expect(counts.createTable).toBe(1);
  });

  it("asks again after a failure: a table deployed meanwhile is found", async () => {
    const table = freshTableClient();
    const counts = { createTable: 0 };
    const ensure = ensureTable(tableScopedView(table, counts));
    await expect(ensure()).rejects.toBeInstanceOf(TableMissingError);
    await table.createTable();
    await expect(ensure()).resolves.toBeUndefined();
    expect(counts.createTable).toBe(2);
  });

  it("creates the table when the identity may (locally, or the app's identity with its account-wide role)", async () => {
    const table = freshTableClient();
    await ensureTable(table)();
    await expect(table.createEntity({ partitionKey: "p", rowKey: "r" })).resolves.toBeDefined();
  });

  it("passes any other failure of Create Table on (storage unwell: 503), to be asked again", async () => {
    const table = freshTableClient();
    const unwell = new Proxy(table, {
      get(target, property, receiver) {
        if (property === "createTable")
          return () => Promise.reject(new RestError("Server busy", { statusCode: 503 }));
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await expect(ensureTable(unwell)()).rejects.toMatchObject({ statusCode: 503 });
  });
});
