import { z } from "zod";
import { type ReadinessBucket, readinessBuckets } from "./classifyReadiness.js";
import { type ReadinessSource, type ReadinessSummary, readinessSummarySchema } from "./readinessSummary.js";

/** One run of the report, as the trend shows it. */
export interface TrendPoint {
  generatedAt: string;
  users: number;
  source: ReadinessSource;
  buckets: Record<ReadinessBucket, number>;
}

/** Runs the trend shows at most (the most recent). */
export const maxTrendPoints = 30;

const count = z.number().int().min(0).max(100_000_000);

/** What a trend needs of an earlier summary; anything else in the file is not read. */
const trendShape = z
  .object({
    schema: z.literal(readinessSummarySchema),
    generatedAt: z.string().refine((text) => !Number.isNaN(Date.parse(text)), "is not a date"),
    users: count,
    source: z.enum(["registrationReport", "profileOnly"]),
    buckets: z.object({ canResetNow: count, afterPrepopulation: count, cannot: count }),
  })
  .refine(
    (s) => readinessBuckets.reduce((sum, bucket) => sum + s.buckets[bucket], 0) === s.users,
    "its buckets do not add up to its users",
  );

/**
 * Reads one earlier summary from a `--history` file's text: the trend point, or why the file is not one (not
 * JSON, another kind of file, numbers that don't add up). Never throws: a bad or foreign file is skipped.
 */
export function parseTrendPoint(
  text: string,
): { ok: true; point: TrendPoint } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  const parsed = trendShape.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return {
      ok: false,
      problem: `not a readiness summary (${where}${issue?.message ?? "unexpected shape"})`,
    };
  }
  const { generatedAt, users, source, buckets } = parsed.data;
  return { ok: true, point: { generatedAt: new Date(generatedAt).toISOString(), users, source, buckets } };
}

/** The trend point of a summary. */
export function trendPointOf(summary: ReadinessSummary): TrendPoint {
  return {
    generatedAt: summary.generatedAt,
    users: summary.users,
    source: summary.source,
    buckets: { ...summary.buckets },
  };
}

/** Earlier runs and this one, oldest first, one point per time, the last `maxTrendPoints`. */
export function readinessTrend(current: ReadinessSummary, earlier: readonly TrendPoint[]): TrendPoint[] {
  const byTime = new Map<string, TrendPoint>();
  for (const point of earlier) byTime.set(point.generatedAt, point);
  byTime.set(current.generatedAt, trendPointOf(current));
  return [...byTime.values()]
    .sort((a, b) => Date.parse(a.generatedAt) - Date.parse(b.generatedAt))
    .slice(-maxTrendPoints);
}

/** The file name of a run's summary in the history folder: sortable, one per second. */
export function historyFileName(generatedAt: string): string {
  return `readiness-${generatedAt.replace(/\.\d{3}Z$/, "Z").replace(/:/g, "")}.json`;
}
