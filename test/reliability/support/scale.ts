import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** How big a reliability run is: `full` = the figures, `ci` = scaled to fit the CI budget. */
export type ReliabilityScale = "full" | "ci";

/** The run's sizes for one scale. */
export interface ScaleFigures {
  /** Events through the soak. */
  soakEvents: number;
  /** Events through the crash test. */
  crashEvents: number;
  /** fast-check runs per fuzz property. */
  fuzzRuns: number;
  /** Runs of the one fuzz property that goes over HTTP through the local host (≈ 5 ms a case). */
  httpFuzzRuns: number;
}

const figuresByScale: Record<ReliabilityScale, ScaleFigures> = {
  full: { soakEvents: 10_000, crashEvents: 2_000, fuzzRuns: 10_000, httpFuzzRuns: 10_000 },
  // What the ci sizes still prove, with the same fault mix, hosts, leases and kill points as the full run (figures of
  // a ci run in docs/reliability.md, "In CI"): the soak's 600 events meet ~1,200 injected 503s and ~50 writes answered
  // 504 after being applied, ~30 duplicate messages and ~70 failed deliveries retried, so every path behind "one
  // final outcome, each field written at most once" runs dozens of times; the crash test's 200 events put both
  // SIGKILLs mid-batch (each catches ~16–45 events claimed, most with writes started: what an in-flight batch holds
  // does not grow with the run) with 70 events still to do after the last restart. A single local host settles
  // ~2.5 events/s (each batch of 16 waits for its slowest message), so every 100 crash events cost ~40 s.
  // The fuzzers keep 10,000 cases per target (2,000 for the one over HTTP).
  ci: { soakEvents: 600, crashEvents: 200, fuzzRuns: 10_000, httpFuzzRuns: 2_000 },
};

/** RELIABILITY_SCALE=full|ci (default ci); anything else is a mistake worth stopping for. */
export function reliabilityScale(env: Record<string, string | undefined> = process.env): ReliabilityScale {
  const value = env.RELIABILITY_SCALE?.trim() || "ci";
  if (value !== "full" && value !== "ci") {
    throw new Error(`RELIABILITY_SCALE must be full or ci, not ${value}`);
  }
  return value;
}

/** The sizes of this run. */
export const scale = reliabilityScale();
export const sizes: ScaleFigures = figuresByScale[scale];

/**
 * Prints a run's figures as an aligned block and keeps them as JSON under out/reliability/ (git-ignored), so the
 * numbers quoted in docs/reliability.md come from a file, not from memory.
 */
export function reportFigures(name: string, figures: Record<string, unknown>): void {
  const rows = Object.entries(figures).map(([key, value]) => [key, formatValue(value)] as const);
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`);
  console.log(`\n[reliability] ${name} (scale ${scale})\n${lines.join("\n")}\n`);
  const dir = path.resolve("out", "reliability");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${name}-${scale}.json`),
    `${JSON.stringify({ name, scale, at: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
}

function formatValue(value: unknown): string {
  if (typeof value === "number")
    return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}
