import type { ReadinessPage } from "../shared/readiness/readinessPage.js";

/** The report's stdout: users per bucket and reason with their share, the SSPR-ready count, and the next steps. */
export function toTextSummary(page: ReadinessPage): string {
  const { summary } = page;
  const share = (n: number) => (summary.users > 0 ? `${((100 * n) / summary.users).toFixed(1)}%` : "-");
  const rows: string[][] = [
    ["bucket", "users", "share"],
    ...(["canResetNow", "afterPrepopulation", "cannot"] as const).map((bucket) => [
      bucket,
      String(summary.buckets[bucket]),
      share(summary.buckets[bucket]),
    ]),
    ...Object.entries(summary.reasons)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => [`  ${reason}`, String(n), share(n)]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const table = rows.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "),
  );
  const all = page.fields.populations.all;
  const steps = page.steps.map((step, i) => `  ${i + 1}. ${step.text}`);
  return `${summary.tenant ? `${summary.tenant}: ` : ""}SSPR readiness of ${summary.users} users (${summary.source === "registrationReport" ? "the tenant's verdicts and profile data" : "profile data only"})
${table.join("\n")}
SSPR-ready users: ${all.ssprReady} of ${all.users} have a usable mobile phone or alternate email on their profile; synced from AD ${page.fields.populations.synced.users}, cloud-only ${page.fields.populations.cloudOnly.users}
${steps.length > 0 ? `What to do next:\n${steps.join("\n")}\n` : ""}`;
}
