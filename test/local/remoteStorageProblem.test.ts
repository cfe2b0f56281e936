import { describe, expect, it } from "vitest";
import { remoteStorageProblem } from "../../local/remoteStorageProblem.js";
import { StartProblem } from "../../local/startProblem.js";

// Fictional account and key: the key must never be repeated, only the address it would reach.
const fakeKey = "ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXk=";
const azurite = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${fakeKey};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;`;

describe("storage the local host may use: this machine's Azurite only", () => {
  it.each([
    ["nothing set", {}],
    ["UseDevelopmentStorage=true", { AzureWebJobsStorage: "UseDevelopmentStorage=true" }],
    [
      "Azurite behind a loopback proxy",
      { AzureWebJobsStorage: "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://localhost:8080" },
    ],
    ["npm start's own Azurite connection string", { AzureWebJobsStorage: azurite }],
    [
      "identity-based URIs on loopback",
      {
        AzureWebJobsStorage__queueServiceUri: "http://127.0.0.1:10001/devstoreaccount1",
        AzureWebJobsStorage__tableServiceUri: "http://[::1]:10002/devstoreaccount1",
      },
    ],
  ])("takes %s", (_case, settings) => {
    expect(remoteStorageProblem(settings)).toBeUndefined();
  });

  it.each([
    [
      "a deployed account's key connection string",
      {
        AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=contosohr;AccountKey=${fakeKey};EndpointSuffix=core.windows.net`,
      },
      "AzureWebJobsStorage",
      "contosohr.queue.core.windows.net",
    ],
    [
      "an account with no suffix (the SDK's default, core.windows.net)",
      { AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=contosohr;AccountKey=${fakeKey}` },
      "AzureWebJobsStorage",
      "contosohr.queue.core.windows.net",
    ],
    [
      "a SAS connection string with the account's endpoints",
      {
        AzureWebJobsStorage:
          "QueueEndpoint=https://contosohr.queue.core.windows.net;TableEndpoint=https://contosohr.table.core.windows.net;SharedAccessSignature=sv=2022-11-02&sig=fake",
      },
      "AzureWebJobsStorage",
      "contosohr.queue.core.windows.net",
    ],
    [
      "a loopback queue but the account's table",
      {
        AzureWebJobsStorage: `${azurite.replace("TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;", "")}`,
      },
      "AzureWebJobsStorage",
      "devstoreaccount1.table.core.windows.net",
    ],
    [
      "an endpoint whose name only starts like loopback",
      {
        AzureWebJobsStorage: azurite.replace(
          "http://127.0.0.1:10001",
          "http://127.0.0.1.attacker.example:10001",
        ),
      },
      "AzureWebJobsStorage",
      "127.0.0.1.attacker.example:10001",
    ],
    [
      "Azurite's shorthand sent through a proxy elsewhere",
      { AzureWebJobsStorage: "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=https://proxy.example" },
      "AzureWebJobsStorage",
      "proxy.example",
    ],
    [
      "the deployed app's identity-based queue URI",
      { AzureWebJobsStorage__queueServiceUri: "https://contosohr.queue.core.windows.net" },
      "AzureWebJobsStorage__queueServiceUri",
      "contosohr.queue.core.windows.net",
    ],
    [
      "a table URI beside npm start's Azurite",
      {
        AzureWebJobsStorage: azurite,
        AzureWebJobsStorage__tableServiceUri: "https://contosohr.table.core.windows.net",
      },
      "AzureWebJobsStorage__tableServiceUri",
      "contosohr.table.core.windows.net",
    ],
    [
      "an account named for the Functions host",
      { AzureWebJobsStorage__accountName: "contosohr" },
      "AzureWebJobsStorage__accountName",
      "a storage account by name",
    ],
  ])(
    "refuses %s in one line naming the setting, where it reaches and the fix",
    (_case, settings, name, where) => {
      const problem = remoteStorageProblem(settings);
      expect(problem).toBeInstanceOf(StartProblem);
      expect(problem?.exitCode).toBe(2);
      expect(problem?.message).toBe(
        `${name} names storage off this machine (${where}): the local host would take its queued HR events and record outcomes there; point it at Azurite on this machine (UseDevelopmentStorage=true), or unset it for npm start's own; a deployed account is the sspr-prepop CLI's to work with, not the local host's`,
      );
      expect(problem?.message).not.toContain(fakeKey);
      expect(problem?.message).not.toContain("sig=");
    },
  );
});
