import { describe, expect, it } from "vitest";
import { loadSettings, SettingsError } from "../../shared/app/config.js";
import { queueClient, tableClient } from "../../shared/app/storageClients.js";

// A storage setting the SDKs can't read is refused when the settings are read: one line naming the setting, the
// problem and the fix, never the value (an account key is in it).

const accountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const sas = "sv=2024-01-01&ss=qt&sig=c2lnbmF0dXJlLWZvci10ZXN0cw%3D%3D";

function refusal(env: Record<string, string>): SettingsError {
  try {
    loadSettings(env);
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error("the settings were accepted");
}

describe("storage settings", () => {
  it.each([
    ["AzureWebJobsStorage", "nonsense", "is not a connection string (key=value pairs separated by ;)"],
    [
      "AzureWebJobsStorage",
      "UseDevelopmentStorage=false",
      "sets UseDevelopmentStorage to something other than true",
    ],
    [
      "AzureWebJobsStorage",
      "DefaultEndpointsProtocol=https;AccountName=contoso;EndpointSuffix=core.windows.net",
      "has no AccountKey",
    ],
    [
      "AzureWebJobsStorage",
      `AccountName=contoso;AccountKey=${accountKey}`,
      "has no DefaultEndpointsProtocol",
    ],
    [
      "AzureWebJobsStorage",
      `DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=${accountKey}`,
      "has no QueueEndpoint (nor an EndpointSuffix to derive it from)",
    ],
    [
      "AzureWebJobsStorage",
      `DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=not*base64;EndpointSuffix=core.windows.net`,
      "has an AccountKey that is not base64",
    ],
    [
      "AzureWebJobsStorage",
      `QueueEndpoint=https://contoso.queue.core.windows.net;SharedAccessSignature=${sas}`,
      "has no TableEndpoint",
    ],
    ["AzureWebJobsStorage__tableServiceUri", "nonsense", "is not an http(s) URL"],
    ["AzureWebJobsStorage__tableServiceUri", "ftp://contoso.table.core.windows.net", "is not an http(s) URL"],
    [
      "AzureWebJobsStorage__queueServiceUri",
      "http://contoso.queue.core.windows.net",
      "is http:// to a host other than this machine",
    ],
    [
      "AzureWebJobsStorage__queueServiceUri",
      `https://contoso.queue.core.windows.net/?${sas}`,
      "carries credentials or a query",
    ],
  ])("refuses %s=%s: %s", (setting, value, problem) => {
    const error = refusal({ [setting]: value });
    expect(error.issues).toEqual([{ setting, problem: `the value ${problem}`, fix: expect.any(String) }]);
    expect(error.message).toContain(`Invalid setting ${setting}: the value ${problem}; set `);
    for (const secret of [accountKey.slice(0, 12), "c2lnbmF0dXJl", "nonsense", "contoso"]) {
      expect(error.message).not.toContain(secret);
    }
  });

  it.each([
    ["Azurite", "UseDevelopmentStorage=true"],
    [
      "an account key",
      `DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=${accountKey};EndpointSuffix=core.windows.net`,
    ],
    [
      "an account key with endpoints",
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;`,
    ],
    [
      "a SAS",
      `QueueEndpoint=https://contoso.queue.core.windows.net;TableEndpoint=https://contoso.table.core.windows.net;SharedAccessSignature=${sas}`,
    ],
  ])("takes %s, and builds both clients from it", (_, value) => {
    const settings = loadSettings({ AzureWebJobsStorage: value });
    expect(() => queueClient(settings, "hr-onboarding")).not.toThrow();
    expect(() => tableClient(settings, "ContactOutcomes")).not.toThrow();
  });

  it("takes the identity-based service URIs, and Azurite's on loopback", () => {
    expect(() =>
      loadSettings({
        AzureWebJobsStorage__queueServiceUri: "https://contoso.queue.core.windows.net",
        AzureWebJobsStorage__tableServiceUri: "http://127.0.0.1:10002/devstoreaccount1",
      }),
    ).not.toThrow();
  });
});
