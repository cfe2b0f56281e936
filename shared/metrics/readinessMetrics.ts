import type { ContactRuleOptions } from "../contact/contactEvent.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { withTenantDomains } from "../directory/withTenantDomains.js";
import {
  assessReadiness,
  type ReadinessAssessment,
  type ReadinessDirectory,
} from "../readiness/assessReadiness.js";
import { cannotReasons, type ReadinessPolicy, readinessBuckets } from "../readiness/classifyReadiness.js";
import type { ReadinessOptions } from "../readiness/readiness.js";
import type { ReadinessReport } from "../readiness/readinessReport.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import { privilegedSinceWritten } from "../sync/privilegedSinceWritten.js";
import { privilegedReasonShort } from "../sync/privilegeGuard.js";
import type { Metrics } from "./metrics.js";

/** What the readiness run reads: the same as `sspr-prepop report` (users, registration report, privilege). */
export type ReadinessSource = ReadinessDirectory;

/** How a readiness run ended: the counts it set, or the directory failure that stopped it. */
export type ReadinessRun =
  | { ok: true; assessment: ReadinessAssessment }
  | { ok: false; code: string; reason: string };

export interface ReadinessRunDeps {
  directory: ReadinessSource;
  rules: ContactRuleOptions;
  policy: ReadinessPolicy;
  metrics: Metrics;
  now?: Date;
}

/**
 * The daily readiness run: judges the tenant exactly as `sspr-prepop report` does (`assessReadiness`: the
 * registration report joined with every profile, the privilege guard for users it would write) and sets the
 * readiness gauges, so the workbook shows coverage rising as new hires arrive. Idempotent: gauges hold the latest
 * count, so a second run the same day sets the same values. Fails closed: when the users can't be listed, no gauge is
 * set (a partial count would read as coverage falling), the run is counted as failed with the directory failure's
 * code, and the answer says why. A registration report it may not read degrades to the profile view, as the CLI's.
 */
export async function recordReadiness(deps: ReadinessRunDeps): Promise<ReadinessRun> {
  let assessment: ReadinessAssessment;
  try {
    assessment = await assessReadiness(deps.directory, {
      options: await readinessOptionsOf(deps),
      policy: deps.policy,
      now: () => deps.now ?? new Date(),
      // Metrics carry no tenant name: no need for Organization.Read.All.
      readTenantName: false,
    });
  } catch (err) {
    const failure = directoryFailureOf(err);
    deps.metrics.add("readinessRuns", 1, { result: "failed", code: failure.code });
    return { ok: false, code: failure.code, reason: failure.reason };
  }
  setReadinessGauges(assessment, deps.metrics);
  deps.metrics.add("readinessRuns", 1, { result: "succeeded" });
  return { ok: true, assessment };
}

/** The rules the report judges with: an alternate email in a verified domain of the tenant is no way back in. */
async function readinessOptionsOf(deps: ReadinessRunDeps): Promise<ReadinessOptions> {
  const rules = await withTenantDomains(deps.rules, deps.directory);
  return {
    phoneValidation: rules.phoneValidation,
    organizationDomains: rules.organizationDomains,
    ...(rules.defaultCountry ? { country: rules.defaultCountry } : {}),
  };
}

/** The assessment as gauges: users per bucket (and per reason for `cannot`), then the per-field counts. */
export function setReadinessGauges(assessment: ReadinessAssessment, metrics: Metrics): void {
  const { summary } = assessment;
  for (const bucket of readinessBuckets) {
    if (bucket !== "cannot") metrics.set("readinessBuckets", summary.buckets[bucket], { bucket });
  }
  for (const reason of cannotReasons) {
    metrics.set("readinessBuckets", summary.reasons[reason], { bucket: "cannot", reason });
  }
  setFieldGauges(assessment.fields, metrics);
}

/** Users and SSPR-ready users per population, and users per field and verdict. */
function setFieldGauges(report: ReadinessReport, metrics: Metrics): void {
  for (const [population, counts] of Object.entries(report.populations)) {
    metrics.set("readinessUsers", counts.users, { population });
    metrics.set("readinessReady", counts.ssprReady, { population });
    for (const [field, verdicts] of Object.entries(counts.fields)) {
      for (const [verdict, users] of Object.entries(verdicts)) {
        metrics.set("readinessFields", users, { population, field, verdict });
      }
    }
  }
}

export interface PrivilegedWrittenDeps {
  directory: Pick<ReadinessDirectory, "privilegePicture">;
  outcomes: Pick<OutcomeLog, "listByUser">;
  metrics: Metrics;
}

/**
 * The daily look for users who became privileged after this app wrote their contact data (`privilegedSinceWritten`):
 * sets `sspr.privileged_written` (the alert fires above 0) and returns one line per user for the log, with what was
 * written (masked) and when. Fails closed: a picture that can't be read sets no gauge and is thrown.
 */
export async function recordPrivilegedSinceWritten(deps: PrivilegedWrittenDeps): Promise<string[]> {
  if (!deps.directory.privilegePicture) throw new Error("this directory keeps no privilege picture");
  const found = await privilegedSinceWritten(await deps.directory.privilegePicture(), deps.outcomes);
  deps.metrics.set("privilegedWritten", found.length);
  return found.map(
    ({ userId, privilege, writes }) =>
      `user ${userId} is privileged now (${privilegedReasonShort(privilege)}) and this app wrote their contact data earlier: ${writes
        .map(
          (w) =>
            `${w.field}/${w.target}${w.after ? ` = ${w.after}` : ""} on ${w.at} (event ${w.eventId}, by ${w.actor})`,
        )
        .join(
          "; ",
        )}. Have the user re-register their methods at https://aka.ms/mysecurityinfo, or remove what was written`,
  );
}
