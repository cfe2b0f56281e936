import type { Counter, Gauge, Histogram, Meter } from "@opentelemetry/api";
import {
  type CounterKey,
  type DimensionsOf,
  type GaugeKey,
  type HistogramKey,
  type MetricKey,
  type Metrics,
  metricCatalog,
  safeDimensions,
} from "./metrics.js";

/**
 * The Metrics port on an OpenTelemetry Meter (the API only: which SDK, reader and exporter sit behind the meter
 * is the composition root's choice). One instrument per catalog entry, created once; every recording goes
 * through `safeDimensions`.
 */
export class OtelMetrics implements Metrics {
  private readonly counters = new Map<MetricKey, Counter>();
  private readonly gauges = new Map<MetricKey, Gauge>();
  private readonly histograms = new Map<MetricKey, Histogram>();

  /** `flushing` pushes what the SDK holds to its exporter (the MeterProvider's forceFlush). */
  constructor(
    meter: Meter,
    private readonly flushing: () => Promise<void> = async () => undefined,
  ) {
    for (const [key, spec] of Object.entries(metricCatalog) as [
      MetricKey,
      (typeof metricCatalog)[MetricKey],
    ][]) {
      const options = { description: spec.description, unit: spec.unit };
      if (spec.kind === "counter") this.counters.set(key, meter.createCounter(spec.name, options));
      else if (spec.kind === "gauge") this.gauges.set(key, meter.createGauge(spec.name, options));
      else this.histograms.set(key, meter.createHistogram(spec.name, options));
    }
  }

  add<M extends CounterKey>(metric: M, value: number, dimensions?: DimensionsOf<M>): void {
    quietly(() => this.counters.get(metric)?.add(value, safeDimensions(metric, dimensions)));
  }

  set<M extends GaugeKey>(metric: M, value: number, dimensions?: DimensionsOf<M>): void {
    quietly(() => this.gauges.get(metric)?.record(value, safeDimensions(metric, dimensions)));
  }

  observe<M extends HistogramKey>(metric: M, value: number, dimensions?: DimensionsOf<M>): void {
    quietly(() => this.histograms.get(metric)?.record(value, safeDimensions(metric, dimensions)));
  }

  async flush(): Promise<void> {
    await this.flushing().catch(() => undefined);
  }
}

/** A signal must never fail the work it describes. */
function quietly(record: () => void): void {
  try {
    record();
  } catch {
    // Dropped: losing one data point is better than failing an event over telemetry.
  }
}
