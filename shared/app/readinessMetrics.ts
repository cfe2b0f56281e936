import type { ContactRuleOptions } from "../contact/contactEvent.js";
import type { Directory, UserContactState } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { withTenantDomains } from "../directory/withTenantDomains.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ReadinessOptions } from "../readiness/readiness.js";
import { type ReadinessReport, ReadinessTally } from "../readiness/readinessReport.js";

/** What the readiness run reads: every user, a page at a time, and the tenant's verified domains. */
export interface ReadinessSource extends Pick<Directory, "verifiedDomains"> {
  listUsers(pageSize?: number): AsyncIterable<UserContactState[]>;
}

/** How a readiness run ended: the counts it set, or the directory failure that stopped it. */
export type ReadinessRun =
  | { ok: true; report: ReadinessReport }
  | { ok: false; code: string; reason: string };

export interface ReadinessRunDeps {
  directory: ReadinessSource;
  rules: ContactRuleOptions;
  metrics: Metrics;
  now?: Date;
}

/** Graph's largest page of users: one request per 999 users, as the CLI's report reads them. */
const pageSize = 999;

/**
 * The daily readiness run: counts the tenant the way `sspr-prepop report` does and sets the readiness gauges, so
 * the workbook shows coverage rising as new hires arrive. Idempotent: gauges hold the latest count, so a second
 * run the same day sets the same values. Fails closed: when any Graph call fails, no gauge is set (a partial count
 * would read as coverage falling), the run is counted as failed with the directory failure's code, and the
 * answer says why.
 */
export async function recordReadiness(deps: ReadinessRunDeps): Promise<ReadinessRun> {
  let report: ReadinessReport;
  try {
    report = await countReadiness(deps.directory, await readinessOptionsOf(deps), deps.now ?? new Date());
  } catch (err) {
    const failure = directoryFailureOf(err);
    deps.metrics.add("readinessRuns", 1, { result: "failed", code: failure.code });
    return { ok: false, code: failure.code, reason: failure.reason };
  }
  setReadinessGauges(report, deps.metrics);
  deps.metrics.add("readinessRuns", 1, { result: "succeeded" });
  return { ok: true, report };
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

/**
 * Today's readiness counts over every user (the report's ReadinessTally). The one place the daily run decides
 * what it counts: switch it, and `setReadinessGauges`, together when the report's counts change.
 */
export async function countReadiness(
  directory: Pick<ReadinessSource, "listUsers">,
  options: ReadinessOptions,
  now: Date,
): Promise<ReadinessReport> {
  const tally = new ReadinessTally(options);
  for await (const page of directory.listUsers(pageSize)) {
    for (const user of page) tally.add(user);
  }
  return tally.report(now);
}

/** The counts as gauges: users and SSPR-ready users per population, and users per field and verdict. */
export function setReadinessGauges(report: ReadinessReport, metrics: Metrics): void {
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
