import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { scale } from "./test/reliability/support/scale.js";
import { commonTest } from "./vitest.config.js";

/** The soak and the crash test first (the files that mostly wait), then vitest's own order. */
class WaitingFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => (/\/(soak|crash)\.test\.ts$/.test(file.moduleId) ? 0 : 1);
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * `npm run test:reliability`: the soak, crash and fuzz suites of test/reliability/, kept out of `npm test`.
 * RELIABILITY_SCALE=full runs the figures (10,000 events); the default `ci` runs a scaled soak.
 * At full scale files run one after another: each measures throughput, and two at once on a 2-core box would skew
 * both. At the ci scale the run proves properties, not speed: the soak and the crash test spend most of their time
 * waiting (Graph retry back-off, a failed delivery's lease, message visibility, a host's restart), using about half a
 * core each, so they run side by side, started first; the CPU-bound fuzz files follow on whichever worker frees up.
 */
export default defineConfig({
  test: {
    ...commonTest,
    include: ["test/reliability/**/*.test.ts"],
    exclude: [],
    fileParallelism: scale !== "full",
    maxWorkers: scale === "full" ? 1 : 2,
    sequence: { sequencer: WaitingFilesFirst },
    // No globalSetup: each file starts its own Azurite, as the figures in docs/reliability.md were measured (Azurite
    // serves requests on one thread and sets the soak's pace, so two suites must not share one).
    // The full soak runs for minutes in one test; the harness, not a timeout, decides when it is stuck.
    testTimeout: 60 * 60_000,
    hookTimeout: 120_000,
  },
});
