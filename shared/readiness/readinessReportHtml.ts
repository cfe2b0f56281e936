import { type ContactField, contactFields } from "../contact/contactFields.js";
import {
  type CannotReason,
  cannotReasons,
  cannotReasonText,
  type ReadinessBucket,
  readinessBuckets,
} from "./classifyReadiness.js";
import type { Verdict } from "./readiness.js";
import type { TrendPoint } from "./readinessHistory.js";
import type { ReadinessPage } from "./readinessPage.js";
import {
  type PopulationCounts,
  type ReportPopulation,
  reportFields,
  reportPopulations,
} from "./readinessReport.js";
import type { GroupCounts, ReadinessSummary } from "./readinessSummary.js";
import { bucketText } from "./readinessSummaryCsv.js";
import { trendLabels } from "./trendLabels.js";

const bucketStyle: Record<ReadinessBucket, { label: string; color: string; text: string }> = {
  canResetNow: { label: "Can reset now", color: "#2e7d32", text: "#fff" },
  afterPrepopulation: { label: "After prepopulation", color: "#1565c0", text: "#fff" },
  cannot: { label: "Cannot", color: "#c62828", text: "#fff" },
};

const reasonLabel: Record<CannotReason, string> = {
  account_disabled: "Account disabled",
  guest: "Guest account",
  sspr_not_enabled: "SSPR not enabled for them",
  privileged: "Privileged account",
  privilege_unknown: "Privilege check could not answer",
  synced_in_ad: "Synced field to set in AD DS",
  invalid_data: "Invalid data",
  own_methods_kept: "Own methods kept",
  set_not_counted: "Set, not counted by the tenant yet",
};

const verdictStyle: Record<Verdict, { label: string; color: string; meaning: string }> = {
  usable: { label: "Usable", color: "#2e7d32", meaning: "SSPR can use the value as stored" },
  notCanonical: {
    label: "Not canonical",
    color: "#f9a825",
    meaning: "a valid number, not in the +CC NUMBER form SSPR needs",
  },
  invalid: { label: "Invalid", color: "#c62828", meaning: "not a valid number or address" },
  missing: { label: "Missing", color: "#9e9e9e", meaning: "no value" },
};

const fieldLabel: Record<ContactField, string> = {
  mobilePhone: "Mobile phone",
  officePhone: "Office phone",
  alternateEmail: "Alternate email",
};

const populationLabel: Record<ReportPopulation, string> = {
  all: "All users",
  synced: "Synced from AD",
  cloudOnly: "Cloud-only",
};

const verdictOrder = ["usable", "notCanonical", "invalid", "missing"] as const satisfies readonly Verdict[];

/**
 * Renders the run as one self-contained HTML page: inline CSS and inline SVG charts, no script, no external
 * resource and no URL at all, so it opens the same from a mail attachment or a share. Every number drawn is also
 * in a table as text; every number carries `data-*` attributes naming what it counts (tests read them).
 */
export function toReadinessHtml(page: ReadinessPage): string {
  const { summary } = page;
  const tenant = summary.tenant ?? "Tenant name not read";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SSPR readiness: ${escapeHtml(tenant)}</title>
<style>
${pageStyle}</style>
</head>
<body>
<main>
<h1>SSPR readiness: <span data-tenant>${escapeHtml(tenant)}</span></h1>
<p class="meta">Generated <time datetime="${escapeHtml(summary.generatedAt)}">${escapeHtml(readableDate(summary.generatedAt))}</time>
for <span data-measure="users">${number(summary.users)}</span> users, from ${summary.source === "registrationReport" ? '<span data-source="registrationReport">the tenant\'s own SSPR verdicts (registration report) and profile data</span>' : '<span data-source="profileOnly">profile data only</span>'}.</p>
${summary.notes.map(noticeOf).join("\n")}
<div class="kpis">
${readinessBuckets.map((bucket) => kpi(bucket, summary)).join("\n")}
</div>
<figure>
${bucketChart(summary)}
<figcaption>
<ul class="legend">
${readinessBuckets.map((b) => `<li><span class="swatch" style="background:${bucketStyle[b].color}"></span>${bucketStyle[b].label}</li>`).join("\n")}
</ul>
</figcaption>
</figure>
${whatToDoSection(page)}
${fieldsSection(page)}
${glossarySection(summary)}
<p class="meta">Fix with <code>sspr-prepop backfill</code> (or the contact-info API); rerun <code>sspr-prepop report --history DIR</code> to follow the trend.</p>
</main>
</body>
</html>
`;
}

/** The page's inline stylesheet (no external resource: the page opens the same from a mail attachment). */
const pageStyle = `  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
  main { max-width: 920px; margin: 0 auto; padding: 24px; background: #fff; }
  h1 { font-size: 1.6em; margin: 0 0 4px; }
  h2 { font-size: 1.2em; margin: 32px 0 8px; border-bottom: 1px solid #d1d9e0; padding-bottom: 4px; }
  h3 { font-size: 1.05em; margin: 20px 0 6px; }
  .meta { color: #59636e; margin: 0 0 16px; }
  .notice { padding: 10px 14px; margin: 12px 0; border-left: 6px solid #b26a00; background: #fff4e0; }
  .notice strong { display: block; }
  .kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
  .kpi { flex: 1 1 220px; padding: 12px 16px; border-left: 6px solid; background: #f6f8fa; }
  .kpi strong { font-size: 2.2em; line-height: 1.1; display: block; }
  table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; }
  th, td { padding: 4px 10px; border-bottom: 1px solid #d1d9e0; text-align: right; font-variant-numeric: tabular-nums; vertical-align: top; }
  th:first-child, td:first-child { text-align: left; }
  td.text, th.text { text-align: left; font-variant-numeric: normal; }
  thead th { background: #f6f8fa; }
  ol.steps li { margin: 4px 0; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 8px 0 0; }
  .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
  figure { margin: 16px 0; }
  svg text { font: 13px system-ui, sans-serif; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
  dt { font-weight: 600; }
  dd { margin: 0; }
  @media print { body { background: #fff; } main { padding: 0; } }
`;

function whatToDoSection(page: ReadinessPage): string {
  const { summary } = page;
  return `<h2>What to do next</h2>
${
  page.steps.length > 0
    ? `<ol class="steps">\n${page.steps.map((step) => `<li data-step="${escapeHtml(step.code)}" data-users="${step.users}">${escapeHtml(step.text)}</li>`).join("\n")}\n</ol>`
    : "<p>Nothing: every user can reset their password.</p>"
}
<h2>Who can reset, and why not</h2>
${bucketTable(summary)}
${fillableTable(summary)}
${reasonTable(summary)}
${groupSection("Per department", "department", summary.byDepartment)}
${groupSection("Per country (usageLocation, else country)", "country", summary.byCountry)}
${page.trend ? trendSection(page.trend) : ""}`;
}

function fieldsSection(page: ReadinessPage): string {
  return `<h2>Contact fields on the profile</h2>
<p>Each profile field judged by the rules the app writes by, for every user (whatever their bucket).</p>
<figure>
${fieldChart(page.fields.populations.all)}
<figcaption>
<ul class="legend">
${verdictOrder.map((v) => `<li><span class="swatch" style="background:${verdictStyle[v].color}"></span>${verdictStyle[v].label}</li>`).join("\n")}
</ul>
</figcaption>
</figure>
${reportPopulations.map((population) => populationTable(population, page.fields.populations[population])).join("\n")}`;
}

function glossarySection(summary: ReadinessSummary): string {
  return `<h2>How to read this page</h2>
<dl>
${readinessBuckets.map((b) => `<dt>${bucketStyle[b].label}</dt><dd>${escapeHtml(bucketText[b])}</dd>`).join("\n")}
<dt>Settings assumed</dt><dd>CONTACT_TARGET ${escapeHtml(targetsText(summary))}, CONTACT_MODE ${escapeHtml(summary.policy.mode)}, SYNCED_MOBILE ${escapeHtml(summary.policy.syncedMobile)}: what the HR feed and the backfill write</dd>
${verdictOrder.map((v) => `<dt>${verdictStyle[v].label}</dt><dd>${verdictStyle[v].meaning}</dd>`).join("\n")}
<dt>Office phone</dt><dd>the first of businessPhones; Graph cannot write it for users synced from AD (set telephoneNumber in AD DS)</dd>
<dt>Alternate email</dt><dd>the first of otherMails</dd>
</dl>`;
}

function noticeOf(note: { code: string; message: string }): string {
  const title = note.code.startsWith("registration_report_")
    ? "Profile-only view: the tenant's own SSPR verdicts could not be read"
    : "Note";
  return `<div class="notice" role="note" data-note="${escapeHtml(note.code)}"><strong>${escapeHtml(title)}</strong>${escapeHtml(note.message)}</div>`;
}

function kpi(bucket: ReadinessBucket, summary: ReadinessSummary): string {
  const n = summary.buckets[bucket];
  return `<p class="kpi" style="border-color:${bucketStyle[bucket].color}"><strong data-bucket="${bucket}" data-measure="users">${number(n)}</strong>
<span>${bucketStyle[bucket].label}: ${percent(n, summary.users)} of ${number(summary.users)} users ${escapeHtml(bucketText[bucket])}.</span></p>`;
}

const chartLayout = { width: 800, labelWidth: 190, barHeight: 30, gap: 14, top: 8 } as const;

/** Horizontal bars, each a stack of segments whose widths are their share of `total`. */
function stackedBars(
  title: string,
  rows: Array<{
    key: string;
    label: string;
    segments: Array<{ key: string; label: string; color: string; text: string; count: number }>;
  }>,
  total: number,
): string {
  const barWidth = chartLayout.width - chartLayout.labelWidth - 10;
  const height = chartLayout.top + rows.length * (chartLayout.barHeight + chartLayout.gap);
  const bars = rows.map((row, i) => {
    const y = chartLayout.top + i * (chartLayout.barHeight + chartLayout.gap);
    let x = chartLayout.labelWidth;
    const segments = row.segments.map((segment) => {
      const width = total > 0 ? (segment.count / total) * barWidth : 0;
      const rect = `<rect data-chart="${escapeHtml(row.key)}" data-segment="${escapeHtml(segment.key)}" data-count="${segment.count}" x="${x.toFixed(2)}" y="${y}" width="${width.toFixed(2)}" height="${chartLayout.barHeight}" fill="${segment.color}"><title>${escapeHtml(`${row.label}, ${segment.label}: ${number(segment.count)} (${percent(segment.count, total)})`)}</title></rect>`;
      // A count fits inside a segment only when it is wide enough to read.
      const text =
        width >= 44
          ? `<text x="${(x + width / 2).toFixed(2)}" y="${y + chartLayout.barHeight / 2 + 4}" text-anchor="middle" fill="${segment.text}">${number(segment.count)}</text>`
          : "";
      x += width;
      return rect + text;
    });
    return `<text x="0" y="${y + chartLayout.barHeight / 2 + 4}">${escapeHtml(row.label)}</text>\n${segments.join("\n")}`;
  });
  const id = `chart-${rows[0]?.key ?? "bars"}`;
  return `<svg role="img" aria-labelledby="${id}" viewBox="0 0 ${chartLayout.width} ${height}" width="100%" style="max-width:${chartLayout.width}px">
<title id="${id}">${escapeHtml(title)}</title>
${bars.join("\n")}
</svg>`;
}

function bucketChart(summary: ReadinessSummary): string {
  const reasons = cannotReasons.filter((reason) => summary.reasons[reason] > 0);
  return stackedBars(
    "Users per bucket, and the users who cannot reset per reason",
    [
      {
        key: "buckets",
        label: "All users",
        segments: readinessBuckets.map((bucket) => ({
          key: bucket,
          label: bucketStyle[bucket].label,
          color: bucketStyle[bucket].color,
          text: bucketStyle[bucket].text,
          count: summary.buckets[bucket],
        })),
      },
      ...reasons.map((reason) => ({
        key: "reasons",
        label: reasonLabel[reason],
        segments: [
          {
            key: reason,
            label: "users",
            color: bucketStyle.cannot.color,
            text: bucketStyle.cannot.text,
            count: summary.reasons[reason],
          },
        ],
      })),
    ],
    summary.users,
  );
}

function bucketTable(summary: ReadinessSummary): string {
  const rows = readinessBuckets.map(
    (bucket) =>
      `<tr><td>${bucketStyle[bucket].label}</td><td data-table="buckets" data-bucket="${bucket}">${number(summary.buckets[bucket])}</td><td>${percent(summary.buckets[bucket], summary.users)}</td><td class="text">${escapeHtml(bucketText[bucket])}</td></tr>`,
  );
  const basis =
    summary.buckets.canResetNow > 0
      ? `<p>Of those who can reset now, <span data-basis="tenant">${number(summary.canResetNowBy.tenant)}</span> per the tenant's registration report (isSsprCapable) and <span data-basis="profile">${number(summary.canResetNowBy.profile)}</span> per a usable mobile phone or alternate email on their profile${summary.notInRegistrationReport > 0 ? ` (<span data-measure="notInRegistrationReport">${number(summary.notInRegistrationReport)}</span> users the registration report does not list yet were judged on their profile)` : ""}.</p>`
      : "";
  return `<table>
<thead><tr><th>Bucket</th><th>Users</th><th>Share</th><th class="text">Meaning</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
${basis}`;
}

function fillableTable(summary: ReadinessSummary): string {
  if (summary.buckets.afterPrepopulation === 0) return "";
  const rows = contactFields.map(
    (field) =>
      `<tr><td>${fieldLabel[field]}</td><td data-fillable="${field}">${number(summary.fillable[field])}</td></tr>`,
  );
  return `<h3>After prepopulation: the fields to fill</h3>
<p>Users who can reset once the HR feed or a backfill writes these fields (a user may need several; an office phone counts where the SSPR policy offers it).</p>
<table>
<thead><tr><th>Field</th><th>Users</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}

function reasonTable(summary: ReadinessSummary): string {
  if (summary.buckets.cannot === 0) return "";
  const rows = cannotReasons
    .filter((reason) => summary.reasons[reason] > 0)
    .map(
      (reason) =>
        `<tr><td>${reasonLabel[reason]} <code>${reason}</code></td><td data-reason="${reason}">${number(summary.reasons[reason])}</td><td class="text">${escapeHtml(cannotReasonText[reason])}</td></tr>`,
    );
  const codes = Object.entries(summary.invalidCodes).sort((a, b) => b[1] - a[1]);
  const codeTable =
    codes.length > 0
      ? `<h3>Invalid data per rule</h3>
<table>
<thead><tr><th>Rule code</th><th>Users</th></tr></thead>
<tbody>
${codes.map(([code, n]) => `<tr><td><code>${escapeHtml(code)}</code></td><td data-rule-code="${escapeHtml(code)}">${number(n)}</td></tr>`).join("\n")}
</tbody>
</table>`
      : "";
  return `<h3>Cannot: the reasons</h3>
<table>
<thead><tr><th>Reason</th><th>Users</th><th class="text">What it means, what fixes it</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
${codeTable}`;
}

function groupSection(title: string, kind: string, groups: readonly GroupCounts[]): string {
  if (groups.length === 0) return "";
  const rows = groups.map((group) => {
    const cells = readinessBuckets
      .map(
        (bucket) =>
          `<td data-group-kind="${kind}" data-group="${escapeHtml(group.name)}" data-bucket="${bucket}">${number(group.buckets[bucket])}</td>`,
      )
      .join("");
    return `<tr><td>${escapeHtml(group.name)}</td>${cells}<td>${number(group.users)}</td><td>${percent(group.buckets.canResetNow, group.users)}</td></tr>`;
  });
  return `<h3>${escapeHtml(title)}</h3>
<table>
<thead><tr><th>${kind === "department" ? "Department" : "Country"}</th>${readinessBuckets.map((b) => `<th>${bucketStyle[b].label}</th>`).join("")}<th>Users</th><th>Can reset</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}

const trendLayout = { width: 800, height: 220, left: 44, bottom: 28, top: 10 } as const;

/** Earlier runs beside this one: a stacked column per run (shares of its users) and the same numbers as a table. */
function trendSection(trend: readonly TrendPoint[]): string {
  const plotWidth = trendLayout.width - trendLayout.left - 10;
  const plotHeight = trendLayout.height - trendLayout.top - trendLayout.bottom;
  const slot = plotWidth / Math.max(1, trend.length);
  const columnWidth = Math.min(60, slot * 0.7);
  const labels = trendLabels(trend);
  const columns = trend.map((point, i) => {
    const x = trendLayout.left + i * slot + (slot - columnWidth) / 2;
    let y = trendLayout.top + plotHeight;
    const segments = readinessBuckets.map((bucket) => {
      const h = point.users > 0 ? (point.buckets[bucket] / point.users) * plotHeight : 0;
      y -= h;
      return `<rect data-trend="${escapeHtml(point.generatedAt)}" data-bucket="${bucket}" x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${columnWidth.toFixed(2)}" height="${h.toFixed(2)}" fill="${bucketStyle[bucket].color}"><title>${escapeHtml(`${labels[i]}, ${bucketStyle[bucket].label}: ${number(point.buckets[bucket])} of ${number(point.users)} (${percent(point.buckets[bucket], point.users)})`)}</title></rect>`;
    });
    const label = `<text x="${(x + columnWidth / 2).toFixed(2)}" y="${trendLayout.height - 8}" text-anchor="middle">${escapeHtml(labels[i] ?? "")}</text>`;
    return `${segments.join("\n")}\n${label}`;
  });
  const axis = [0, 50, 100].map((tick) => {
    const y = trendLayout.top + plotHeight - (tick / 100) * plotHeight;
    return `<text x="${trendLayout.left - 6}" y="${(y + 4).toFixed(2)}" text-anchor="end">${tick}%</text><line x1="${trendLayout.left}" x2="${trendLayout.width - 10}" y1="${y.toFixed(2)}" y2="${y.toFixed(2)}" stroke="#d1d9e0"/>`;
  });
  const rows = trend.map(
    (point) =>
      `<tr data-trend-row="${escapeHtml(point.generatedAt)}"><td><time datetime="${escapeHtml(point.generatedAt)}">${escapeHtml(readableDate(point.generatedAt))}</time></td>${readinessBuckets.map((bucket) => `<td data-trend-cell="${escapeHtml(point.generatedAt)}" data-bucket="${bucket}">${number(point.buckets[bucket])}</td>`).join("")}<td>${number(point.users)}</td><td>${percent(point.buckets.canResetNow, point.users)}</td><td class="text">${point.source === "registrationReport" ? "tenant + profile" : "profile only"}</td></tr>`,
  );
  return `<h2>Trend</h2>
<p>This run and the earlier ones kept in the history folder (<span data-measure="trendPoints">${trend.length}</span> runs).</p>
<figure>
<svg role="img" aria-labelledby="chart-trend" viewBox="0 0 ${trendLayout.width} ${trendLayout.height}" width="100%" style="max-width:${trendLayout.width}px">
<title id="chart-trend">Share of users per bucket, run by run</title>
${axis.join("\n")}
${columns.join("\n")}
</svg>
</figure>
<table>
<thead><tr><th>Run</th>${readinessBuckets.map((b) => `<th>${bucketStyle[b].label}</th>`).join("")}<th>Users</th><th>Can reset</th><th class="text">Source</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}

function fieldChart(counts: PopulationCounts): string {
  return stackedBars(
    "Users per verdict for each contact field, and users ready for SSPR on their profile",
    [
      ...reportFields.map((field) => ({
        key: field,
        label: fieldLabel[field],
        segments: verdictOrder.map((verdict) => ({
          key: verdict as string,
          label: verdictStyle[verdict].label,
          color: verdictStyle[verdict].color,
          text: verdict === "notCanonical" ? "#1f2328" : "#fff",
          count: counts.fields[field][verdict],
        })),
      })),
      {
        key: "ssprReady",
        label: "Ready on the profile",
        segments: [
          {
            key: "ready",
            label: "Ready",
            color: verdictStyle.usable.color,
            text: "#fff",
            count: counts.ssprReady,
          },
          {
            key: "notReady",
            label: "Not ready",
            color: verdictStyle.missing.color,
            text: "#fff",
            count: counts.users - counts.ssprReady,
          },
        ],
      },
    ],
    counts.users,
  );
}

function populationTable(population: ReportPopulation, counts: PopulationCounts): string {
  const p = `data-population="${population}"`;
  const rows = reportFields.map((field) => {
    const cells = verdictOrder
      .map(
        (v) => `<td ${p} data-field="${field}" data-verdict="${v}">${number(counts.fields[field][v])}</td>`,
      )
      .join("");
    return `<tr><td>${fieldLabel[field]}</td>${cells}<td>${number(counts.users)}</td></tr>`;
  });
  return `<h3>${populationLabel[population]}: <span ${p} data-measure="users">${number(counts.users)}</span> users, <span ${p} data-measure="ssprReady">${number(counts.ssprReady)}</span> with a usable mobile phone or alternate email on the profile (${percent(counts.ssprReady, counts.users)})</h3>
<table>
<thead><tr><th>Field</th>${verdictOrder.map((v) => `<th>${verdictStyle[v].label}</th>`).join("")}<th>Total</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}

function targetsText(summary: ReadinessSummary): string {
  const targets = contactFields.map((field) => summary.policy.target[field]);
  return targets.every((target) => target === targets[0])
    ? String(targets[0])
    : contactFields.map((field) => `${field}=${summary.policy.target[field]}`).join(",");
}

/** "Wednesday 25 November 2026, 08:00 UTC": the date a reader sees; the ISO form stays in `datetime`. */
export function readableDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Assembled from parts: ICU versions punctuate a "full" date differently.
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  const time = `${String(date.getUTCHours()).padStart(2, "0")}:${String(date.getUTCMinutes()).padStart(2, "0")}`;
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}, ${time} UTC`;
}

function number(n: number): string {
  return n.toLocaleString("en-US");
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : "0.0%";
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
