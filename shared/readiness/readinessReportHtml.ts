import type { Verdict } from "./readiness.js";
import {
  type PopulationCounts,
  type ReadinessReport,
  type ReportPopulation,
  reportFields,
  reportPopulations,
} from "./readinessReport.js";

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

const fieldLabel: Record<(typeof reportFields)[number], string> = {
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
 * Renders the readiness report as one self-contained HTML page: inline CSS and an inline SVG stacked bar chart,
 * no script, no external resource and no URL at all, so it opens the same from a mail attachment or a share.
 * Every number is also in the tables as text.
 */
export function toReadinessHtml(report: ReadinessReport): string {
  const all = report.populations.all;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SSPR contact readiness</title>
<style>
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
  main { max-width: 880px; margin: 0 auto; padding: 24px; background: #fff; }
  h1 { font-size: 1.6em; margin: 0 0 4px; }
  h2 { font-size: 1.15em; margin: 28px 0 8px; }
  .meta { color: #59636e; margin: 0 0 16px; }
  .kpi { display: flex; align-items: baseline; gap: 12px; padding: 12px 16px; border-left: 6px solid #2e7d32; background: #f1f8f1; }
  .kpi strong { font-size: 2.2em; line-height: 1; }
  table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; }
  th, td { padding: 4px 10px; border-bottom: 1px solid #d1d9e0; text-align: right; font-variant-numeric: tabular-nums; }
  th:first-child, td:first-child { text-align: left; }
  thead th { background: #f6f8fa; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 8px 0 0; }
  .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
  figure { margin: 16px 0; }
  svg text { font: 13px system-ui, sans-serif; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
  dt { font-weight: 600; }
  dd { margin: 0; }
  @media print { body { background: #fff; } main { padding: 0; } }
</style>
</head>
<body>
<main>
<h1>SSPR contact readiness</h1>
<p class="meta">Generated <time datetime="${escapeHtml(report.generatedAt)}">${escapeHtml(report.generatedAt)}</time> from
<span data-population="all" data-measure="users">${number(all.users)}</span> users
(${number(report.populations.synced.users)} synced from AD, ${number(report.populations.cloudOnly.users)} cloud-only).</p>
<p class="kpi"><strong data-population="all" data-measure="ssprReady">${number(all.ssprReady)}</strong>
<span>of ${number(all.users)} users (${percent(all.ssprReady, all.users)}) are SSPR-ready: they have a usable mobile phone or a usable alternate email, so they can reset their password without registering first.</span></p>
<h2>All users, per field</h2>
<figure>
${chart(all)}
<figcaption>
<ul class="legend">
${verdictOrder.map((v) => `<li><span class="swatch" style="background:${verdictStyle[v].color}"></span>${verdictStyle[v].label}</li>`).join("\n")}
</ul>
</figcaption>
</figure>
${reportPopulations.map((population) => populationTable(population, report.populations[population])).join("\n")}
<h2>What the verdicts mean</h2>
<dl>
${verdictOrder.map((v) => `<dt>${verdictStyle[v].label}</dt><dd>${verdictStyle[v].meaning}</dd>`).join("\n")}
<dt>Office phone</dt><dd>the first of businessPhones; Graph cannot write it for users synced from AD (set telephoneNumber in AD DS)</dd>
<dt>Alternate email</dt><dd>the first of otherMails</dd>
</dl>
<p class="meta">Fix with <code>sspr-prepop backfill</code> (or the contact-info API); rerun <code>sspr-prepop report</code> to compare.</p>
</main>
</body>
</html>
`;
}

const chartLayout = { width: 760, labelWidth: 140, barHeight: 30, gap: 16, top: 8 } as const;

function chart(counts: PopulationCounts): string {
  const barWidth = chartLayout.width - chartLayout.labelWidth - 10;
  const rows = [
    ...reportFields.map((field) => ({
      key: field,
      label: fieldLabel[field],
      segments: verdictOrder.map((verdict) => ({
        verdict: verdict as string,
        label: verdictStyle[verdict].label,
        color: verdictStyle[verdict].color,
        count: counts.fields[field][verdict],
      })),
    })),
    {
      key: "ssprReady",
      label: "SSPR-ready",
      segments: [
        { verdict: "ready", label: "Ready", color: verdictStyle.usable.color, count: counts.ssprReady },
        {
          verdict: "notReady",
          label: "Not ready",
          color: verdictStyle.missing.color,
          count: counts.users - counts.ssprReady,
        },
      ],
    },
  ];
  const height = chartLayout.top + rows.length * (chartLayout.barHeight + chartLayout.gap);
  const bars = rows.map((row, i) => {
    const y = chartLayout.top + i * (chartLayout.barHeight + chartLayout.gap);
    let x = chartLayout.labelWidth;
    const segments = row.segments.map((segment) => {
      const width = counts.users > 0 ? (segment.count / counts.users) * barWidth : 0;
      const rect = `<rect data-chart="${row.key}" data-verdict="${segment.verdict}" data-count="${segment.count}" x="${x.toFixed(2)}" y="${y}" width="${width.toFixed(2)}" height="${chartLayout.barHeight}" fill="${segment.color}"><title>${escapeHtml(`${row.label}, ${segment.label}: ${number(segment.count)} (${percent(segment.count, counts.users)})`)}</title></rect>`;
      // A count fits inside a segment only when it is wide enough to read.
      const text =
        width >= 44
          ? `<text x="${(x + width / 2).toFixed(2)}" y="${y + chartLayout.barHeight / 2 + 4}" text-anchor="middle" fill="${segment.verdict === "notCanonical" ? "#1f2328" : "#fff"}">${number(segment.count)}</text>`
          : "";
      x += width;
      return rect + text;
    });
    return `<text x="0" y="${y + chartLayout.barHeight / 2 + 4}">${escapeHtml(row.label)}</text>\n${segments.join("\n")}`;
  });
  return `<svg role="img" aria-labelledby="chart-title" viewBox="0 0 ${chartLayout.width} ${height}" width="100%" style="max-width:${chartLayout.width}px">
<title id="chart-title">Users per verdict for each contact field, and users ready for SSPR</title>
${bars.join("\n")}
</svg>`;
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
  return `<h2>${populationLabel[population]}: <span ${p} data-measure="users">${number(counts.users)}</span> users, <span ${p} data-measure="ssprReady">${number(counts.ssprReady)}</span> SSPR-ready (${percent(counts.ssprReady, counts.users)})</h2>
<table>
<thead><tr><th>Field</th>${verdictOrder.map((v) => `<th>${verdictStyle[v].label}</th>`).join("")}<th>Total</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
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
