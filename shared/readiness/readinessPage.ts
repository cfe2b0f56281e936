import type { NextStep } from "./nextSteps.js";
import type { TrendPoint } from "./readinessHistory.js";
import type { ReadinessReport } from "./readinessReport.js";
import type { ReadinessSummary } from "./readinessSummary.js";

/** Everything one run of `sspr-prepop report` shows, in the HTML page and the summary CSV alike. */
export interface ReadinessPage {
  summary: ReadinessSummary;
  /** Per contact field, the profile values' verdicts (usable, not canonical, invalid, missing). */
  fields: ReadinessReport;
  /** "What to do next", from the counts. */
  steps: NextStep[];
  /** Earlier runs and this one, oldest first; undefined without `--history`. */
  trend: TrendPoint[] | undefined;
}
