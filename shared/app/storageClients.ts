import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { type QueueClient, QueueServiceClient } from "@azure/storage-queue";
import { ConfigError } from "../core/errors.js";
import type { Settings } from "./config.js";

/**
 * Builds storage clients from the same `AzureWebJobsStorage` connection the Functions host uses: a
 * connection string locally (Azurite), or in Azure the identity-based `AzureWebJobsStorage__*Uri` settings
 * with the user-assigned managed identity (shared keys are disabled there).
 */
export function queueClient(settings: Settings, queueName: string): QueueClient {
  if (settings.AzureWebJobsStorage) {
    const connection = settings.AzureWebJobsStorage;
    return fromConnectionString(() =>
      QueueServiceClient.fromConnectionString(connection).getQueueClient(queueName),
    );
  }
  const uri = requireUri(
    settings.AzureWebJobsStorage__queueServiceUri,
    "AzureWebJobsStorage__queueServiceUri",
  );
  return new QueueServiceClient(uri, credential(settings)).getQueueClient(queueName);
}

/** A Table storage client for `tableName` on the `AzureWebJobsStorage` account. */
export function tableClient(settings: Settings, tableName: string): TableClient {
  if (settings.AzureWebJobsStorage) {
    // Azurite speaks plain http on loopback; the tables SDK refuses that unless told.
    const connection = settings.AzureWebJobsStorage;
    return fromConnectionString(() =>
      TableClient.fromConnectionString(connection, tableName, {
        allowInsecureConnection: connection.includes("http://"),
      }),
    );
  }
  const uri = requireUri(
    settings.AzureWebJobsStorage__tableServiceUri,
    "AzureWebJobsStorage__tableServiceUri",
  );
  return new TableClient(uri, tableName, credential(settings));
}

/**
 * Builds a client from the connection string, which loadSettings has already checked; should an SDK still refuse
 * it, the error names the setting and the SDK error's kind, never its message (which may quote the value).
 */
function fromConnectionString<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    const name = err instanceof Error ? err.name : typeof err;
    throw new ConfigError(
      `AzureWebJobsStorage: the storage SDK could not read the connection string (${name}); set UseDevelopmentStorage=true for Azurite or the storage account's whole connection string.`,
      { cause: err },
    );
  }
}

function credential(settings: Settings): DefaultAzureCredential {
  const clientId = settings.AzureWebJobsStorage__clientId ?? settings.AZURE_CLIENT_ID;
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}

function requireUri(value: string | undefined, name: string): string {
  if (!value) {
    throw new ConfigError(
      `Storage is not configured: set AzureWebJobsStorage (a connection string, e.g. UseDevelopmentStorage=true) or ${name} (identity-based, in Azure).`,
    );
  }
  return value;
}

/** The queue the Functions host moves a queue's messages to after maxDequeueCount failed attempts. */
export function poisonQueueName(queueName: string): string {
  return `${queueName}-poison`;
}
