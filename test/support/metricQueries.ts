import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { MetricPoint } from "../../shared/app/metricsFromSettings.js";

/** The alert rules' queries, as infra/app/signals.bicep loads them into the template. */
export const alertQueryFiles = {
  poisonQueue: "infra/app/signals/poison-queue.kql",
  failedOutcomes: "infra/app/signals/failed-outcomes.kql",
  graphThrottled: "infra/app/signals/graph-throttled.kql",
  privilegedWritten: "infra/app/signals/privileged-written.kql",
  fleetPaused: "infra/app/signals/fleet-paused.kql",
} as const;

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** The text of a file of the repository (a query, the workbook). */
export function repoText(path: string): string {
  return readFileSync(`${repo}/${path}`, "utf8");
}

/** What a KQL query over customMetrics selects: metric names, and dimension values it requires. */
export interface QueryFilters {
  /** Names from `name == "…"` and `name in ("…", …)`. */
  names: string[];
  /** `tostring(customDimensions.<key>) == "<value>"` pairs. */
  requires: Record<string, string>;
  /** Every `customDimensions.<key>` the query reads. */
  dimensionKeys: string[];
}

/** Reads the filters out of a query the way the rules and the workbook write them (comments skipped). */
export function filtersOf(kql: string): QueryFilters {
  const code = kql.replace(/^\s*\/\/.*$/gm, "");
  const names = [
    ...[...code.matchAll(/\bname == "([^"]+)"/g)].map((m) => m[1] ?? ""),
    ...[...code.matchAll(/\bname in \(([^)]*)\)/g)].flatMap((m) =>
      [...(m[1] ?? "").matchAll(/"([^"]+)"/g)].map((n) => n[1] ?? ""),
    ),
  ];
  const requires = Object.fromEntries(
    [...code.matchAll(/tostring\(customDimensions\.(\w+)\) == "([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  const dimensionKeys = [...new Set([...code.matchAll(/customDimensions\.(\w+)/g)].map((m) => m[1] ?? ""))];
  return { names: [...new Set(names)], requires, dimensionKeys };
}

/** The recorded points a query with these filters would read: its metric, every required dimension value. */
export function pointsMatching(points: readonly MetricPoint[], kql: string): MetricPoint[] {
  const { names, requires } = filtersOf(kql);
  return points.filter(
    (point) =>
      names.includes(point.name) &&
      Object.entries(requires).every(([key, value]) => point.dimensions[key] === value),
  );
}
