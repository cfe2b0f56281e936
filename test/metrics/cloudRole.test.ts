import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { inMemoryMetrics, metricsResource } from "../../shared/app/metricsFromSettings.js";

// Application Insights files OpenTelemetry metrics under the cloud role `service.name` names (with
// `service.namespace` in front, when set). Without one the SDK says `unknown_service:node`, and the app's metrics
// sat apart from the function app's own telemetry. No exporter here reaches the network: the SDK's in-memory one.
describe("the metrics' cloud role", () => {
  it.each([
    [
      "the function app's name, which App Service sets",
      { WEBSITE_SITE_NAME: "func-sspr-prod" },
      "func-sspr-prod",
    ],
    ["the meter's name outside App Service (npm start, the CLI)", {}, "sspr-prepop"],
    ["the meter's name when the setting is blank", { WEBSITE_SITE_NAME: "  " }, "sspr-prepop"],
  ])("is %s", (_, env, role) => {
    const attributes = metricsResource(loadSettings(env)).attributes;
    expect(attributes["service.name"]).toBe(role);
    // No namespace: it would put itself in front of the app's name in the role.
    expect(attributes).not.toHaveProperty("service.namespace");
  });

  it("travels with every exported metric, beside the SDK's own description", async () => {
    const { metrics, exportedResource } = inMemoryMetrics(
      loadSettings({ WEBSITE_SITE_NAME: "func-sspr-prod" }),
    );
    metrics.add("outcomes", 1, { status: "updated", code: "none" });
    const resource = await exportedResource();
    expect(resource["service.name"]).toBe("func-sspr-prod");
    expect(resource["telemetry.sdk.language"]).toBe("nodejs");
    expect(JSON.stringify(resource)).not.toContain("unknown_service");
  });
});
