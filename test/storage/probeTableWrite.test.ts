import { RestError, type TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { loadSettings } from "../../shared/app/config.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { probeTableWrite, writeProbeKeys } from "../../shared/storage/storageProbe.js";
import { useAzurite } from "../support/sharedAzurite.js";

// doctor asks whether this identity may write the fleet's budget table without writing to it.

let azurite: RunningAzurite | undefined;
let tables = 0;

beforeAll(async () => {
  azurite = await useAzurite();
});
afterAll(async () => azurite?.stop());

async function freshTable(): Promise<TableClient> {
  if (!azurite) throw new Error("Azurite did not start");
  const settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString });
  const table = tableClient(settings, `Probe${process.pid}x${++tables}`);
  await table.createTable();
  return table;
}

/** The same table, every write answered as Azure answers an identity with `statusCode` (403: a reader). */
function writesAnswered(table: TableClient, statusCode: number): TableClient {
  const writes = ["createEntity", "updateEntity", "upsertEntity", "deleteEntity", "submitTransaction"];
  return new Proxy(table, {
    get(target, property, receiver) {
      if (writes.includes(String(property)))
        return () =>
          Promise.reject(
            new RestError("This request is not authorized to perform this operation using this permission.", {
              statusCode,
              code: statusCode === 403 ? "AuthorizationPermissionMismatch" : "ServerBusy",
            }),
          );
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function rowsOf(table: TableClient): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const row of table.listEntities()) rows.push(row);
  return rows;
}

describe("probeTableWrite", () => {
  it("finds a table this identity may write writable, and leaves it as it was (no row created)", async () => {
    const table = await freshTable();
    expect(await probeTableWrite(table)).toBe("writable");
    expect(await rowsOf(table)).toEqual([]);
  });

  it("finds it read-only for an identity whose writes storage refuses (a reader's sign-in)", async () => {
    const table = await freshTable();
    expect(await probeTableWrite(writesAnswered(table, 403))).toBe("readOnly");
  });

  it("can't tell when storage answers something else", async () => {
    const table = await freshTable();
    expect(await probeTableWrite(writesAnswered(table, 503))).toBe("unknown");
  });

  it("changes nothing anyone reads when someone planted the probe row", async () => {
    const table = await freshTable();
    await table.createEntity({ ...writeProbeKeys, note: "planted" });
    expect(await probeTableWrite(table)).toBe("writable");
    expect(await rowsOf(table)).toEqual([expect.objectContaining({ ...writeProbeKeys, note: "planted" })]);
  });
});
