import { ManagedIdentityCredential } from "@azure/identity";
import { AzureMonitorMetricExporter } from "@azure/monitor-opentelemetry-exporter";
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { type Metrics, noMetrics } from "../metrics/metrics.js";
import { OtelMetrics } from "../metrics/otelMetrics.js";
import { type Settings, telemetryAuthOf } from "./config.js";

/** The meter every instrument of the app hangs off (OpenTelemetry's instrumentation scope). */
const meterName = "sspr-prepop";
/** How often the SDK sends what it has aggregated; Application Insights' own metrics use one minute too. */
const exportIntervalMs = 60_000;

/**
 * The app's metrics: to Application Insights through OpenTelemetry's Azure Monitor exporter when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set (Azure sets it), signed in with Entra as
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING says (the resource refuses key-only telemetry); otherwise nowhere.
 * The worker exports its own metrics, apart from the Functions host's logs: see docs/operations.md.
 */
export function metricsFromSettings(settings: Settings): Metrics {
  const connectionString = settings.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return noMetrics;
  const auth = settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING
    ? telemetryAuthOf(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
    : undefined;
  const exporter = new AzureMonitorMetricExporter({
    connectionString,
    ...(auth
      ? { credential: new ManagedIdentityCredential(auth.clientId ? { clientId: auth.clientId } : {}) }
      : {}),
  });
  return metricsReadBy(
    new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: exportIntervalMs }),
    metricsResource(settings),
  );
}

/**
 * Who the metrics say they come from. Application Insights takes the cloud role from `service.name` (there is no
 * `service.namespace` here, which would be put in front of it): the function app's name, WEBSITE_SITE_NAME, which
 * App Service sets, so the metrics sit under the same role as the Functions host's own telemetry, not under the
 * SDK's `unknown_service:node`. Outside App Service, the meter's name.
 */
export function metricsResource(settings: Pick<Settings, "WEBSITE_SITE_NAME">): Resource {
  const name = settings.WEBSITE_SITE_NAME?.trim() || meterName;
  return defaultResource().merge(resourceFromAttributes({ "service.name": name }));
}

/** One data point as a reader sees it: the metric, its dimensions as recorded, and its value. */
export interface MetricPoint {
  name: string;
  dimensions: Record<string, string>;
  /** A counter's total, a gauge's last value, a histogram's sum. */
  value: number;
  /** A histogram's number of measurements. */
  count?: number;
}

/** Metrics kept in this process only, through the SDK's in-memory exporter: `npm start` and the tests. */
export interface InMemoryMetrics {
  metrics: Metrics;
  /** Every data point recorded so far (counters as totals since the start). */
  read(): Promise<MetricPoint[]>;
  /** The resource attributes the exported metrics carry, as an exporter sends them (`service.name`, …). */
  exportedResource(): Promise<Record<string, unknown>>;
}

/**
 * Metrics that never leave the process: the same OpenTelemetry SDK and instruments as in Azure, read by the
 * SDK's InMemoryMetricExporter (cumulative, so each read gives totals since the start) and no network exporter.
 */
export function inMemoryMetrics(settings: Pick<Settings, "WEBSITE_SITE_NAME"> = {}): InMemoryMetrics {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported only when read: the period is a day, the reader's timer is unref'd and never holds the process.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 86_400_000 });
  const metrics = metricsReadBy(reader, metricsResource(settings));
  return {
    metrics,
    async exportedResource() {
      await metrics.flush();
      return { ...(exporter.getMetrics().at(-1)?.resource.attributes ?? {}) };
    },
    async read() {
      await metrics.flush();
      const latest = exporter.getMetrics().at(-1);
      exporter.reset();
      return (latest?.scopeMetrics ?? []).flatMap((scope) =>
        scope.metrics.flatMap((metric) =>
          metric.dataPoints.map((point): MetricPoint => {
            const dimensions = Object.fromEntries(
              Object.entries(point.attributes).map(([key, value]) => [key, String(value)]),
            );
            const value = point.value;
            if (metric.dataPointType === DataPointType.HISTOGRAM && typeof value === "object") {
              return { name: metric.descriptor.name, dimensions, value: value.sum ?? 0, count: value.count };
            }
            return { name: metric.descriptor.name, dimensions, value: Number(value) };
          }),
        ),
      );
    },
  };
}

function metricsReadBy(reader: MetricReader, resource: Resource): Metrics {
  const provider = new MeterProvider({ resource, readers: [reader] });
  return new OtelMetrics(provider.getMeter(meterName), () => provider.forceFlush());
}
