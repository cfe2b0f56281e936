import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { configDefaults, defineConfig, type ViteUserConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** What every test file gets, in `npm test` and in `npm run test:reliability` (vitest.reliability.config.ts). */
export const commonTest = {
  // Every file: no connection leaves loopback, or the file fails (test/support/loopbackOnly.ts).
  setupFiles: ["test/support/loopbackOnly.ts"],
  // Integration tests start Azurite and HTTP servers on loopback; give them room on a 2-core CI box.
  testTimeout: 30_000,
  hookTimeout: 60_000,
  env: {
    // No test may reach a host outside loopback: keep every telemetry exporter off.
    APPLICATIONINSIGHTS_CONNECTION_STRING: "",
    AZURE_MONITOR_DISABLE: "true",
    OTEL_SDK_DISABLED: "true",
    AZURE_FUNCTIONS_TELEMETRY_DISABLED: "1",
    // Tests import function modules outside the Functions host: record registrations, skip app.* (test mode).
    SSPR_LOCAL_HOST: "1",
  },
} satisfies NonNullable<ViteUserConfig["test"]>;

// The soak, crash and fuzz suites run on their own: npm run test:reliability (vitest.reliability.config.ts).
const exclude = [...configDefaults.exclude, "test/reliability/**"];
// Files that race real time against a server in the same process (Graph's write bucket in the emulator against the
// limiter's pacing): a busy second core delays arrivals past the pacing's headroom. They run after the others, alone.
const realTimeRaces = ["test/graph/graphThrottling.test.ts"];

/**
 * Files that start child processes (the CLI's bin, builds, npm start, scripts) first: they are the long ones, and one
 * started last keeps the run going on one core while the other idles. vitest orders by the last run's durations when
 * it has them, but a clean clone has none and falls back to file size, which puts e.g. the build test near the end.
 */
class ChildProcessFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const startsProcesses = (file: TestSpecification) =>
      /node:child_process|support\/runCli|support\/transpiledCli/.test(readFileSync(file.moduleId, "utf8"));
    const key = (file: TestSpecification) =>
      file.project.config.sequence.groupOrder * 2 + (startsProcesses(file) ? 0 : 1);
    const keys = new Map(files.map((file) => [file, key(file)]));
    return (await super.sort(files)).sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0));
  }
}

export default defineConfig({
  test: {
    // One Azurite for the whole run, each file on a storage account of its own (test/support/sharedAzurite.ts).
    // The root's, run once for both projects below.
    globalSetup: ["test/support/globalSetup.ts"],
    // vitest's default is one worker less than the cores: a single worker on the 2-core CI box. Most files spend
    // much of their time waiting on loopback servers, Azurite and child processes, so one worker per core (at least
    // two) keeps both cores busy.
    maxWorkers: Math.max(availableParallelism(), 2),
    sequence: { sequencer: ChildProcessFilesFirst },
    projects: [
      {
        test: {
          ...commonTest,
          name: "tests",
          include: ["test/**/*.test.ts"],
          exclude: [...exclude, ...realTimeRaces],
        },
      },
      {
        test: {
          ...commonTest,
          name: "real-time races",
          include: realTimeRaces,
          exclude,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
