import { describe, expect, it } from "vitest";
import { trendLabels } from "../../shared/readiness/trendLabels.js";

describe("the trend chart's labels", () => {
  it.each([
    ["one run a day: the day", ["2026-11-18T08:00:00Z", "2026-11-25T08:00:00Z"], ["18 Nov", "25 Nov"]],
    [
      "two runs on one day: the day and each run's time (UTC)",
      ["2026-11-18T08:00:00Z", "2026-11-25T08:00:00Z", "2026-11-25T14:30:00Z"],
      ["18 Nov", "25 Nov 08:00", "25 Nov 14:30"],
    ],
    ["a run just before midnight UTC keeps its UTC day", ["2026-11-25T23:59:00Z"], ["25 Nov"]],
  ])("%s", (_, times, labels) => {
    expect(trendLabels(times.map((generatedAt) => ({ generatedAt })))).toEqual(labels);
  });
});
