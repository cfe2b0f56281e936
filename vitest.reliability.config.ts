import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * `npm run test:reliability`: the soak, crash and fuzz suites of test/reliability/, kept out of `npm test`.
 * RELIABILITY_SCALE=full runs the figures (10,000 events); the default `ci` runs a scaled soak.
 * Files run one after another: each measures throughput, and two at once on a 2-core box would skew both.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ["test/reliability/**/*.test.ts"],
    exclude: [],
    fileParallelism: false,
    // The full soak runs for minutes in one test; the harness, not a timeout, decides when it is stuck.
    testTimeout: 60 * 60_000,
    hookTimeout: 120_000,
  },
});
