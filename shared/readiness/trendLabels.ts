import type { TrendPoint } from "./readinessHistory.js";

/**
 * The label under each run of the trend chart: its day (`25 Nov`), and its time (UTC) when another run shares the
 * day — two runs on one day otherwise read as one date twice.
 */
export function trendLabels(points: readonly Pick<TrendPoint, "generatedAt">[]): string[] {
  const days = points.map((point) => dayOf(point.generatedAt));
  return points.map((point, i) => {
    const day = days[i] ?? "";
    const shared = days.filter((other) => other === day).length > 1;
    return shared ? `${day} ${timeOf(point.generatedAt)}` : day;
  });
}

function dayOf(iso: string): string {
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" }).format(
    new Date(iso),
  );
}

function timeOf(iso: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: "UTC",
  }).format(new Date(iso));
}
