import type { TableClient } from "@azure/data-tables";
import { SsprError } from "../core/errors.js";
import { isRestStatus } from "./isRestStatus.js";

/** A table an adapter needs does not exist, and this identity may not create it. The message names the table. */
export class TableMissingError extends SsprError {
  readonly code = "table_missing";

  constructor(
    readonly table: string,
    options?: { cause?: unknown },
  ) {
    super(
      `table ${table} does not exist on this storage account, and this identity may not create it (creating a table needs a role on the whole account); deploy the app's tables with its infrastructure (infra/core/storage.bicep) or start the app once, whose identity creates them`,
      options,
    );
  }
}

/**
 * An adapter's "make sure my table exists", asked before each of its calls and done once: it creates the table
 * (409: it exists). A 403 means this identity may not create tables: Create Table is a request to the account's
 * `/Tables`, not to the table, so a role scoped to one table, or a reader's, never covers it — even for a table
 * that exists. The table is then not this identity's to create: one read says whether it is there (go on) or not
 * (`TableMissingError`, plain, naming it). Any other failure is thrown, and the next call asks again.
 */
export function ensureTable(table: TableClient): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= createOrFind(table).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
}

async function createOrFind(table: TableClient): Promise<void> {
  try {
    await table.createTable();
    return;
  } catch (err) {
    if (isRestStatus(err, 409)) return;
    if (!isRestStatus(err, 403)) throw err;
  }
  try {
    await table
      .listEntities({ queryOptions: { select: ["PartitionKey"] } })
      .byPage({ maxPageSize: 1 })
      .next();
  } catch (err) {
    if (isRestStatus(err, 404)) throw new TableMissingError(table.tableName, { cause: err });
    // Any other answer (a role that may not read it, storage unwell): the adapter's own call says what it is.
  }
}
