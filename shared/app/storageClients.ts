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
    return QueueServiceClient.fromConnectionString(settings.AzureWebJobsStorage).getQueueClient(queueName);
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
    return TableClient.fromConnectionString(settings.AzureWebJobsStorage, tableName, {
      allowInsecureConnection: settings.AzureWebJobsStorage.includes("http://"),
    });
  }
  const uri = requireUri(
    settings.AzureWebJobsStorage__tableServiceUri,
    "AzureWebJobsStorage__tableServiceUri",
  );
  return new TableClient(uri, tableName, credential(settings));
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
