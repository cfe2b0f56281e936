// metrics/: the signals an operator reads — outcomes, Graph throttling, write budget, queue depth, readiness — as a port with a closed vocabulary.

import { contactFields } from "../contact/contactFields.js";
import { cannotReasons, readinessBuckets } from "../readiness/classifyReadiness.js";
import { outcomeStatuses } from "../sync/outcome.js";

/**
 * How a dimension's values are checked before anything is recorded: a list of the values it may take, or
 * `code`, a machine code (letters and underscores only, see `isMachineCode`). Nothing else reaches a dimension.
 */
export type DimensionRule = readonly string[] | "code";

interface MetricSpec {
  /** The name Application Insights shows (customMetrics.name) and the alert rules and workbook query. */
  readonly name: string;
  readonly kind: "counter" | "gauge" | "histogram";
  /** UCUM unit as OpenTelemetry expects it: `{outcome}` counts outcomes, `ms` milliseconds. */
  readonly unit: string;
  readonly description: string;
  readonly dimensions: Readonly<Record<string, DimensionRule>>;
}

/**
 * Every metric the app emits. This is the one source of the names: the OpenTelemetry adapter creates its
 * instruments from it, and the infra tests check that the alert rules and the workbook query these names.
 * Dimensions carry machine codes and fixed words only, never a user, an address, a number or an id.
 */
export const metricCatalog = {
  outcomes: {
    name: "sspr.outcomes",
    kind: "counter",
    unit: "{outcome}",
    description:
      "Outcomes recorded, per status and the machine code that explains it (a rule issue, a field's failure or skip, or why the event failed)",
    dimensions: { status: outcomeStatuses, code: "code" },
  },
  graphThrottled: {
    name: "sspr.graph.throttled",
    kind: "counter",
    unit: "{response}",
    description:
      "Graph answers 429 Too Many Requests (whole requests and $batch items), each pausing the writes",
    dimensions: {},
  },
  writeTokens: {
    name: "sspr.write_budget.tokens",
    kind: "counter",
    unit: "{token}",
    description: "Write tokens taken from the Graph write budget (one per directory write)",
    dimensions: {},
  },
  writeWait: {
    name: "sspr.write_budget.wait",
    kind: "histogram",
    unit: "ms",
    description: "How long a write waited for its tokens (0 while the budget has room)",
    dimensions: {},
  },
  fleetPauseDistrusted: {
    name: "sspr.write_budget.pause_distrusted",
    kind: "counter",
    unit: "{lease}",
    description:
      "Times a process found the fleet's budget row still holding it after 15 minutes without a 429 of its own — paused (why=paused) or granting it no token (why=starved) — and paced on its own share instead (the row is being re-paused or emptied, or something is wrong)",
    dimensions: { budget: ["writes", "reads"], why: ["paused", "starved"] },
  },
  queueDepth: {
    name: "sspr.queue.depth",
    kind: "gauge",
    unit: "{message}",
    description:
      "Approximate messages waiting on the onboarding queue and on its poison queue (Storage's own metric is per account only)",
    dimensions: { queue: ["onboarding", "poison"] },
  },
  readinessUsers: {
    name: "sspr.readiness.users",
    kind: "gauge",
    unit: "{user}",
    description: "Users counted by the daily readiness run, per population",
    dimensions: { population: "code" },
  },
  readinessReady: {
    name: "sspr.readiness.sspr_ready",
    kind: "gauge",
    unit: "{user}",
    description: "Users SSPR can reach (a usable mobile phone or alternate email), per population",
    dimensions: { population: "code" },
  },
  readinessFields: {
    name: "sspr.readiness.fields",
    kind: "gauge",
    unit: "{user}",
    description:
      "Users per contact field and verdict (usable, notCanonical, invalid, missing), per population",
    dimensions: { population: "code", field: contactFields, verdict: "code" },
  },
  readinessBuckets: {
    name: "sspr.readiness.buckets",
    kind: "gauge",
    unit: "{user}",
    description:
      "Users per readiness bucket (canResetNow, afterPrepopulation, cannot) and, for cannot, per reason: `sspr-prepop report`'s verdict",
    dimensions: { bucket: readinessBuckets, reason: cannotReasons },
  },
  privilegedWritten: {
    name: "sspr.privileged_written",
    kind: "gauge",
    unit: "{user}",
    description:
      "Users this app wrote contact data for who are privileged now (found by the daily run): their recovery phone or email was set before they became admins",
    dimensions: {},
  },
  readinessRuns: {
    name: "sspr.readiness.runs",
    kind: "counter",
    unit: "{run}",
    description: "Daily readiness runs, succeeded or failed (with the directory failure's code)",
    dimensions: { result: ["succeeded", "failed"], code: "code" },
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof metricCatalog;
type KeysOfKind<K extends MetricSpec["kind"]> = {
  [M in MetricKey]: (typeof metricCatalog)[M]["kind"] extends K ? M : never;
}[MetricKey];
export type CounterKey = KeysOfKind<"counter">;
export type GaugeKey = KeysOfKind<"gauge">;
export type HistogramKey = KeysOfKind<"histogram">;

/** The dimensions a metric may be given; any left out are recorded as `none`. */
export type DimensionsOf<M extends MetricKey> = Partial<
  Record<keyof (typeof metricCatalog)[M]["dimensions"], string | undefined>
>;

/**
 * Where the app's signals go: Application Insights through OpenTelemetry in Azure, an in-memory reader for
 * `npm start` and the tests, nowhere otherwise. Recording never throws and never waits: a signal must not
 * fail or slow the event it describes.
 */
export interface Metrics {
  /** Adds `value` to a counter. */
  add<M extends CounterKey>(metric: M, value: number, dimensions?: DimensionsOf<M>): void;
  /** Sets a gauge to its current value. */
  set<M extends GaugeKey>(metric: M, value: number, dimensions?: DimensionsOf<M>): void;
  /** Records one measurement of a histogram (a wait in ms). */
  observe<M extends HistogramKey>(metric: M, value: number, dimensions?: DimensionsOf<M>): void;
  /**
   * Sends what is buffered now; resolves when sent or given up (never rejects). A timer calls it before its
   * invocation ends, since the instance may be reclaimed before the next periodic export.
   */
  flush(): Promise<void>;
}

/** The app without a metrics destination (no Application Insights configured): records nothing. */
export const noMetrics: Metrics = Object.freeze({
  add: () => undefined,
  set: () => undefined,
  observe: () => undefined,
  flush: async () => undefined,
});

/** What a dimension holds when the code had no value for it. */
export const noValue = "none";
/** What a dimension holds instead of a value its rule refuses. */
export const refusedValue = "other";

/**
 * A machine code as the app writes them (`phone_too_short`, `on_premises_mastered`, Graph's own error code after
 * `graph_`, like `graph_Request_BadRequest`): letters and underscores, at most 64. No phone number, e-mail address,
 * user principal name, GUID or employee id fits this shape (each needs a digit, `@`, `.`, `+` or `-`).
 */
export function isMachineCode(value: string): boolean {
  return value.length <= 64 && /^[A-Za-z]+(?:_[A-Za-z]+)*$/.test(value);
}

/**
 * The dimensions exactly as recorded: every declared one present (`none` when not given), a value its rule
 * refuses replaced by `other`, and any undeclared key dropped. This is the guard that keeps personal data out
 * of telemetry, whoever calls the port and whatever a record holds.
 */
export function safeDimensions(metric: MetricKey, given: Readonly<Record<string, unknown>> = {}) {
  const declared: Readonly<Record<string, DimensionRule>> = metricCatalog[metric].dimensions;
  const safe: Record<string, string> = {};
  for (const [key, rule] of Object.entries(declared)) {
    const value = Object.hasOwn(given, key) ? given[key] : undefined;
    safe[key] = value === undefined || value === "" ? noValue : allowed(rule, value) ? value : refusedValue;
  }
  return safe;
}

function allowed(rule: DimensionRule, value: unknown): value is string {
  if (typeof value !== "string") return false;
  return rule === "code" ? isMachineCode(value) : rule.includes(value);
}
