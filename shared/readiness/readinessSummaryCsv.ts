import { contactFields } from "../contact/contactFields.js";
import { toCsvCell } from "../core/csvCell.js";
import { cannotReasons, cannotReasonText, readinessBuckets } from "./classifyReadiness.js";
import { verdicts } from "./readiness.js";
import type { ReadinessPage } from "./readinessPage.js";
import { reportFields, reportPopulations } from "./readinessReport.js";
import type { GroupCounts, ReadinessSummary } from "./readinessSummary.js";

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
  const rows: Row[] = [
    ["section", "group", "item", "users", "share", "note"],
    ...runRows(page.summary),
    ...groupRows("department", page.summary.byDepartment),
    ...groupRows("country", page.summary.byCountry),
    ...fieldRows(page),
    ...trendRows(page),
    ...page.steps.map((step, i): Row => {
      const share = step.users > 0 ? pct(step.users, page.summary.users) : "";
      return ["next", String(i + 1), step.code, step.users, share, step.text];
    }),
  ];
  return `${rows.map((row) => row.map((cell) => toCsvCell(String(cell))).join(",")).join("\n")}\n`;
}

type Row = Array<string | number>;

function pct(n: number, of: number): string {
  return of > 0 ? ((100 * n) / of).toFixed(1) : "0.0";
}

/** The run itself, its notes, buckets, what said a user can reset, fields to fill, reasons and rule codes. */
function runRows(summary: ReadinessSummary): Row[] {
  const { users } = summary;
  const { tenant, profile } = summary.canResetNowBy;
  return [
    ["run", "", "generatedAt", "", "", summary.generatedAt],
    ["run", "", "tenant", "", "", summary.tenant ?? ""],
    ["run", "", "source", "", "", summary.source],
    ["run", "", "users", users, "100.0", ""],
    ...summary.notes.map((note): Row => ["note", "", note.code, "", "", note.message]),
    ...readinessBuckets.map((bucket): Row => {
      const n = summary.buckets[bucket];
      return ["bucket", "all", bucket, n, pct(n, users), bucketText[bucket]];
    }),
    [
      "basis",
      "canResetNow",
      "tenant",
      tenant,
      pct(tenant, users),
      "the tenant's registration report says isSsprCapable",
    ],
    [
      "basis",
      "canResetNow",
      "profile",
      profile,
      pct(profile, users),
      "a usable mobile phone or alternate email on the profile (no verdict of the tenant's)",
    ],
    ...contactFields.map((field): Row => {
      const n = summary.fillable[field];
      return ["fillable", "afterPrepopulation", field, n, pct(n, users), ""];
    }),
    ...cannotReasons.map((reason): Row => {
      const n = summary.reasons[reason];
      return ["reason", "cannot", reason, n, pct(n, users), cannotReasonText[reason]];
    }),
    ...Object.entries(summary.invalidCodes)
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]): Row => ["ruleCode", "invalid_data", code, n, pct(n, users), ""]),
  ];
}

function groupRows(section: string, groups: readonly GroupCounts[]): Row[] {
  return groups.flatMap((group) =>
    readinessBuckets.map((bucket): Row => {
      const n = group.buckets[bucket];
      return [section, group.name, bucket, n, pct(n, group.users), ""];
    }),
  );
}

function fieldRows(page: ReadinessPage): Row[] {
  return reportPopulations.flatMap((population) => {
    const counts = page.fields.populations[population];
    return reportFields.flatMap((field) =>
      verdicts.map((verdict): Row => {
        const n = counts.fields[field][verdict];
        return ["field", population, `${field}.${verdict}`, n, pct(n, counts.users), ""];
      }),
    );
  });
}

function trendRows(page: ReadinessPage): Row[] {
  return (page.trend ?? []).flatMap((point) =>
    readinessBuckets.map((bucket): Row => {
      const n = point.buckets[bucket];
      return ["trend", point.generatedAt, bucket, n, pct(n, point.users), point.source];
    }),
  );
}
