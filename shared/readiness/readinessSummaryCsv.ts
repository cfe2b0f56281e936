import { contactFields } from "../contact/contactFields.js";
import { cannotReasons, cannotReasonText, readinessBuckets } from "./classifyReadiness.js";
import { verdicts } from "./readiness.js";
import type { ReadinessPage } from "./readinessPage.js";
import { reportFields, reportPopulations } from "./readinessReport.js";
import type { GroupCounts } from "./readinessSummary.js";

/** What each bucket means, in one line (the CSV's and the page's legend). */
export const bucketText = {
  canResetNow: "can reset their password now",
  afterPrepopulation: "can reset once the HR feed or a backfill fills the fields named",
  cannot: "cannot reset, and prepopulation will not change that: see the reason",
} as const;

/**
 * The run as one long CSV table, every number on its own row so a spreadsheet can filter and pivot it:
 * `section,group,item,users,share,note`. Sections: `run` (date, tenant, source), `note` (what could not be read),
 * `bucket`, `basis` (what said a user can reset), `fillable`, `reason`, `ruleCode`, `department`, `country`,
 * `field` (profile verdicts), `trend` (with `--history`), `next` (what to do next). `share` is a percentage of
 * the users (of the group's users for `department` and `country`). No contact value appears.
 */
export function toReadinessSummaryCsv(page: ReadinessPage): string {
  const { summary } = page;
  const rows: Array<Array<string | number>> = [["section", "group", "item", "users", "share", "note"]];
  const pct = (n: number, of: number) => (of > 0 ? ((100 * n) / of).toFixed(1) : "0.0");
  rows.push(["run", "", "generatedAt", "", "", summary.generatedAt]);
  rows.push(["run", "", "tenant", "", "", summary.tenant ?? ""]);
  rows.push(["run", "", "source", "", "", summary.source]);
  rows.push(["run", "", "users", summary.users, "100.0", ""]);
  for (const note of summary.notes) rows.push(["note", "", note.code, "", "", note.message]);
  for (const bucket of readinessBuckets) {
    const n = summary.buckets[bucket];
    rows.push(["bucket", "all", bucket, n, pct(n, summary.users), bucketText[bucket]]);
  }
  rows.push([
    "basis",
    "canResetNow",
    "tenant",
    summary.canResetNowBy.tenant,
    pct(summary.canResetNowBy.tenant, summary.users),
    "the tenant's registration report says isSsprCapable",
  ]);
  rows.push([
    "basis",
    "canResetNow",
    "profile",
    summary.canResetNowBy.profile,
    pct(summary.canResetNowBy.profile, summary.users),
    "a usable mobile phone or alternate email on the profile (no verdict of the tenant's)",
  ]);
  for (const field of contactFields) {
    const n = summary.fillable[field];
    rows.push(["fillable", "afterPrepopulation", field, n, pct(n, summary.users), ""]);
  }
  for (const reason of cannotReasons) {
    const n = summary.reasons[reason];
    rows.push(["reason", "cannot", reason, n, pct(n, summary.users), cannotReasonText[reason]]);
  }
  for (const [code, n] of Object.entries(summary.invalidCodes).sort((a, b) => b[1] - a[1])) {
    rows.push(["ruleCode", "invalid_data", code, n, pct(n, summary.users), ""]);
  }
  const groupRows = (section: string, groups: readonly GroupCounts[]) => {
    for (const group of groups) {
      for (const bucket of readinessBuckets) {
        rows.push([
          section,
          group.name,
          bucket,
          group.buckets[bucket],
          pct(group.buckets[bucket], group.users),
          "",
        ]);
      }
    }
  };
  groupRows("department", summary.byDepartment);
  groupRows("country", summary.byCountry);
  for (const population of reportPopulations) {
    const counts = page.fields.populations[population];
    for (const field of reportFields) {
      for (const verdict of verdicts) {
        const n = counts.fields[field][verdict];
        rows.push(["field", population, `${field}.${verdict}`, n, pct(n, counts.users), ""]);
      }
    }
  }
  for (const point of page.trend ?? []) {
    for (const bucket of readinessBuckets) {
      const n = point.buckets[bucket];
      rows.push(["trend", point.generatedAt, bucket, n, pct(n, point.users), point.source]);
    }
  }
  page.steps.forEach((step, i) => {
    rows.push([
      "next",
      String(i + 1),
      step.code,
      step.users,
      step.users > 0 ? pct(step.users, summary.users) : "",
      step.text,
    ]);
  });
  return `${rows.map((row) => row.map((cell) => csvCell(String(cell))).join(",")).join("\n")}\n`;
}

/**
 * One CSV cell: quoted when it holds a comma, quote or line break, and prefixed with `'` when it starts like a
 * formula (`=`, `+`, `-`, `@`, tab, CR), so a department named `=HYPERLINK(…)` stays text in a spreadsheet.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
