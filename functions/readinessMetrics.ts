import type { InvocationContext, Timer } from "@azure/functions";
import { appServices, readinessDeps } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import { recordPrivilegedSinceWritten, recordReadiness } from "../shared/metrics/readinessMetrics.js";

/** Counts the tenant's SSPR readiness once a day and sends the counts as metrics (docs/operations.md). */
export async function readinessMetrics(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = readinessDeps(appServices());
  const run = await recordReadiness(deps);
  // Users written while ordinary who hold a role now: the write-time guard can't see a role granted later.
  const privileged = await recordPrivilegedSinceWritten(deps).catch((err: unknown) => [
    `the privileged-since-written check did not run: ${directoryFailureOf(err).reason}`,
  ]);
  for (const line of privileged) context.error(`privileged since written: ${line}`);
  // Sent now: the instance may be reclaimed before the next periodic export.
  await deps.metrics.flush();
  if (!run.ok) {
    // Failed, so the host records a failed invocation; no gauge was set, the workbook keeps the last good day.
    throw new Error(
      `readiness not counted: ${run.reason} (${run.code}); no readiness metric was set, the next scheduled run tries again`,
    );
  }
  const { summary, fields } = run.assessment;
  context.log(
    `readiness counted: ${summary.users} users, ${summary.buckets.canResetNow} can reset now, ${summary.buckets.afterPrepopulation} after prepopulation, ${summary.buckets.cannot} cannot (${summary.source === "registrationReport" ? "tenant's verdicts" : "profile only"}); ${fields.populations.all.ssprReady} reachable by SSPR on their profile`,
  );
  for (const note of summary.notes) context.warn(`readiness: ${note.message} (${note.code})`);
}

register.timer("readinessMetrics", {
  // READINESS_SCHEDULE (NCRONTAB, UTC); default daily at 06:00, before the working day.
  schedule: "%READINESS_SCHEDULE%",
  handler: readinessMetrics,
});
