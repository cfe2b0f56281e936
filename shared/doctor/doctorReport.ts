// doctor/: is a deployment ready for its first new hire? Pure verdicts on what the probes found, and the report.

/** How one check came out: `warn` works but deserves a look, `fail` will lose events or refuse callers. */
export type CheckStatus = "ok" | "warn" | "fail";

/** The checks, in the order the report lists them. */
export const doctorChecks = [
  "settings",
  "graphToken",
  "graphPermissions",
  "userRead",
  "privilegeRead",
  "storageQueue",
  "outcomeTable",
  "budgetTable",
  "webhooks",
  "easyAuth",
  "dirSync",
] as const;
export type DoctorCheckName = (typeof doctorChecks)[number];

/** One finding: a check may give several (one per missing permission, one per contradicting setting). */
export interface DoctorCheck {
  check: DoctorCheckName;
  status: CheckStatus;
  /** Stable machine code, e.g. `missing_permission`, `easy_auth_off`. */
  code: string;
  /** What was found, for people; never personal data or secrets. */
  detail: string;
  /** What to do about it (absent when there is nothing to do). */
  fix?: string;
  /** For `missing_permission`: the Graph application permission to grant. */
  permission?: string;
}

/** Every finding, and the worst status among them. */
export interface DoctorReport {
  status: CheckStatus;
  summary: Record<CheckStatus, number>;
  checks: DoctorCheck[];
}

const rank: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };

/** Orders the findings by check and sums them up; the report's status is the worst finding's. */
export function toDoctorReport(checks: readonly DoctorCheck[]): DoctorReport {
  const ordered = [...checks].sort((a, b) => doctorChecks.indexOf(a.check) - doctorChecks.indexOf(b.check));
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const check of ordered) summary[check.status] += 1;
  const status = ordered.reduce<CheckStatus>(
    (worst, c) => (rank[c.status] > rank[worst] ? c.status : worst),
    "ok",
  );
  return { status, summary, checks: ordered };
}

/**
 * The exit code for a report: 0 when nothing failed (warnings are printed, not fatal: a pipeline should not stop on
 * "PIM roles are read slowly"), 1 when a check failed. 2, settings or arguments unusable, is the CLI's.
 */
export function doctorExitCode(report: DoctorReport): 0 | 1 {
  return report.status === "fail" ? 1 : 0;
}

/** The report as a table for a terminal: one line per finding, its fix indented under it. */
export function toDoctorTable(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.check.length), 5);
  const lines = report.checks.flatMap((c) => {
    const head = `${c.status.toUpperCase().padEnd(4)}  ${c.check.padEnd(width)}  ${c.detail} (${c.code})`;
    return c.fix ? [head, `${" ".repeat(6 + width + 2)}fix: ${c.fix}`] : [head];
  });
  const { ok, warn, fail } = report.summary;
  const verdict =
    report.status === "fail"
      ? "not ready: fix what failed"
      : report.status === "warn"
        ? "ready, with warnings"
        : "ready";
  return `${lines.join("\n")}\ndoctor: ${verdict} (${ok} ok, ${warn} warning${warn === 1 ? "" : "s"}, ${fail} failed)\n`;
}
