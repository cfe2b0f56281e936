import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../shared/app/config.js";
import {
  graphDirectoryFromSettings,
  writeLimiterFromSettings,
} from "../shared/app/graphDirectoryFromSettings.js";
import { type GraphSignIn, graphAccessNeeds } from "../shared/app/graphSignIn.js";
import { protectionPolicyFrom } from "../shared/app/protectionPolicyFrom.js";
import { contactRuleOptionsFrom, policyFrom } from "../shared/app/ruleOptions.js";
import { maskContact } from "../shared/contact/mask.js";
import { DirectoryError } from "../shared/directory/directoryError.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import { withTenantDomains } from "../shared/directory/withTenantDomains.js";
import {
  assessReadiness,
  type ReadinessAssessment,
  type ReadinessDirectory,
} from "../shared/readiness/assessReadiness.js";
import type { ReadinessPolicy, ReadinessVerdict } from "../shared/readiness/classifyReadiness.js";
import { nextSteps } from "../shared/readiness/nextSteps.js";
import type { ReadinessOptions } from "../shared/readiness/readiness.js";
import {
  historyFileName,
  parseTrendPoint,
  readinessTrend,
  type TrendPoint,
} from "../shared/readiness/readinessHistory.js";
import type { ReadinessPage } from "../shared/readiness/readinessPage.js";
import { reportFields, type UserReadinessLine } from "../shared/readiness/readinessReport.js";
import { toReadinessHtml } from "../shared/readiness/readinessReportHtml.js";
import type { ReadinessSummary } from "../shared/readiness/readinessSummary.js";
import { csvCell, toReadinessSummaryCsv } from "../shared/readiness/readinessSummaryCsv.js";
import type { DeploymentPolicyStore } from "../shared/sync/deploymentPolicy.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { countryOption } from "./commandOptions.js";
import { authOptions, signInChecked, signInRequestOf } from "./graphSignInOptions.js";
import { LineWriter } from "./lineWriter.js";
import { openPrivateWriteStream, writePrivateFile } from "./privateFile.js";
import { underDeploymentPolicy } from "./underDeploymentPolicy.js";
import { UsageError } from "./usageError.js";

export const reportUsage = `Usage: sspr-prepop report [--out readiness.html] [--csv readiness.csv] [--users users.csv] [--history DIR]
                         [--country XX] [--auth cli|device-code|managed-identity|app] [--tenant ID] [--client-id ID]

Answers "who can reset their password tomorrow?": joins the tenant's own SSPR verdicts (the registration report,
GET /reports/authenticationMethods/userRegistrationDetails) with every user's profile (GET /users, 999 a page)
and puts each user in one bucket: can reset now; can reset once prepopulated (naming the fields the HR feed or a
backfill would fill); cannot, with a reason (SSPR not enabled, privileged account, synced field to set in AD DS,
invalid data with the rule's code, disabled, guest). Counts per bucket and reason, per department and country,
and what to do next. Without AuditLog.Read.All or an Entra ID P1/P2 licence it says so and falls back to the
profile-only view. Writes nothing to the directory.

  --out FILE        the HTML page (self-contained: inline CSS and SVG charts); default readiness.html
  --csv FILE        the counts as CSV (one row per number); default readiness.csv
  --users FILE      also a CSV with one line per user: bucket, reason, fields, masked values
  --history DIR     keep this run's summary (JSON, no personal data) in DIR and show the trend of the runs there
  --country XX      region for numbers stored in national form (overrides DEFAULT_COUNTRY)
${authOptions}
  -h, --help        show this help

The sign-in is checked first: it must grant User.Read.All (or a broader read permission). Read when granted:
AuditLog.Read.All (the registration report), Organization.Read.All (the tenant's name), RoleManagement.Read.Directory,
GroupMember.Read.All and PrivilegedEligibilitySchedule.Read.AzureADGroup (the privileged-account check of users
prepopulation would write).
Exit status: 0 report written (also in the profile-only fallback), 2 usage, settings, I/O, sign-in, permission
or Graph error.
The deployed app's protection policy (published to its storage account at each start) is applied with this
shell's settings, the stricter of both, as for backfill; when it cannot be read the report runs on this shell's
settings with a warning.
Settings: GRAPH_BASE_URL, GRAPH_AUTH, AZURE_TENANT_ID, GRAPH_ACCESS_TOKEN (emulator), AZURE_CLIENT_ID,
AzureWebJobsStorage (the deployment's policy), DEFAULT_COUNTRY, PHONE_VALIDATION, ORGANIZATION_DOMAINS,
CONTACT_TARGET, CONTACT_MODE, SYNCED_MOBILE, PROTECTED_GROUP_IDS.`;

/** What the report reads; `GraphDirectory` in production. The optional reads degrade with a note when absent. */
export type ReportDirectory = ReadinessDirectory;

/** A history file bigger than this is no summary of ours (one is a few kB): skipped unread. */
const maxHistoryFileBytes = 1024 * 1024;

/** `sspr-prepop report`: the readiness report of the whole tenant; returns the exit code. */
export async function reportCommand(
  args: readonly string[],
  io: CommandIo,
  deps: {
    directory?: ReportDirectory;
    now?: () => Date;
    signIn?: GraphSignIn;
    /** Where the deployed app's policy is read; default table DeploymentPolicy on AzureWebJobsStorage. */
    deploymentPolicy?: DeploymentPolicyStore;
  } = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: "string", default: "readiness.html" },
      csv: { type: "string", default: "readiness.csv" },
      users: { type: "string" },
      history: { type: "string" },
      country: { type: "string" },
      auth: { type: "string" },
      tenant: { type: "string" },
      "client-id": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout.write(`${reportUsage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0)
    throw new UsageError("report takes no FILE; name the outputs with --out and --csv.");

  const shell = loadSettings(io.env);
  const rules = contactRuleOptionsFrom(shell);
  const country = countryOption(values.country);
  if (country) rules.defaultCountry = country;
  // The report counts whom the deployed app would write: under its policy, as a backfill runs (never refused).
  const settings = await underDeploymentPolicy(
    {
      command: "report",
      settings: shell,
      local: protectionPolicyFrom(shell),
      fromFlags: new Set(),
      writes: false,
      store: deps.deploymentPolicy,
    },
    io,
  );
  const { target, mode, syncedMobile } = policyFrom(settings);
  const policy: ReadinessPolicy = { target, mode, syncedMobile };
  const directory: ReportDirectory =
    deps.directory ??
    graphDirectoryFromSettings(
      settings,
      writeLimiterFromSettings(settings),
      "low",
      await signInChecked(
        "report",
        settings,
        signInRequestOf(values),
        graphAccessNeeds("report"),
        io,
        deps.signIn,
      ),
    );
  // An alternate email in one of the tenant's verified domains is no way back in, as one in ORGANIZATION_DOMAINS.
  const organizationDomains = await withTenantDomains(rules, directory).then(
    (tenant) => tenant.organizationDomains,
    (err: unknown) => {
      throw usageErrorOf("Cannot read the tenant's domains", err);
    },
  );
  const options: ReadinessOptions = {
    phoneValidation: rules.phoneValidation,
    organizationDomains,
    ...(rules.defaultCountry ? { country: rules.defaultCountry } : {}),
  };
  const history = values.history === undefined ? undefined : await readHistory(values.history, io);
  const perUser = values.users ? await openUsersCsv(values.users) : undefined;
  let assessment: ReadinessAssessment;
  try {
    assessment = await assessReadiness(directory, {
      options,
      policy,
      now: () => deps.now?.() ?? new Date(),
      warn: (note) => io.stderr.write(`report: ${note.message}\n`),
      onUser: ({ line, verdict }) => perUser?.writer.write(toUserCsvLine(line, verdict)),
    });
  } catch (err) {
    await perUser?.close().catch(() => undefined);
    throw usageErrorOf("Cannot list the users", err);
  }
  await perUser?.close();
  const { summary } = assessment;
  const page: ReadinessPage = {
    summary,
    fields: assessment.fields,
    steps: nextSteps(summary),
    trend: history ? readinessTrend(summary, history) : undefined,
  };
  await writeAtomically(values.out, toReadinessHtml(page));
  await writeAtomically(values.csv, toReadinessSummaryCsv(page));
  const kept = values.history === undefined ? undefined : await keepSummary(values.history, summary);
  io.stdout.write(toTextSummary(page));
  io.stderr.write(
    `report: ${summary.users} users (${summary.source === "registrationReport" ? "tenant's verdicts + profile" : "profile only"}); wrote ${[values.out, values.csv, values.users, kept].filter(Boolean).join(", ")}\n`,
  );
  return ExitCode.ok;
}

function usageErrorOf(what: string, err: unknown): unknown {
  if (!(err instanceof DirectoryError)) return err;
  const failure = directoryFailureOf(err);
  return new UsageError(`${what}: ${failure.reason} (${failure.code}).`, { cause: err });
}

/**
 * The earlier summaries in the history folder (created if missing). A file that is not one (not JSON, another
 * program's, too big, unreadable) is skipped with a warning: the trend never stops the report.
 */
async function readHistory(dir: string, io: CommandIo): Promise<TrendPoint[]> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UsageError(
      `Cannot use --history ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
      {
        cause: err,
      },
    );
  }
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  } catch (err) {
    throw new UsageError(
      `Cannot read --history ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
      {
        cause: err,
      },
    );
  }
  const points: TrendPoint[] = [];
  for (const name of names) {
    const problem = await readHistoryFile(join(dir, name)).then(
      (text) => {
        if (text === undefined) return "larger than a summary";
        const parsed = parseTrendPoint(text);
        if (parsed.ok) points.push(parsed.point);
        return parsed.ok ? undefined : parsed.problem;
      },
      (err: NodeJS.ErrnoException) => `unreadable (${err.code ?? err.message})`,
    );
    if (problem) io.stderr.write(`report: skipped history file ${name}: ${problem}\n`);
  }
  return points;
}

/** A file's text, or undefined when it is larger than any summary; rejects when it can't be read. */
async function readHistoryFile(path: string): Promise<string | undefined> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    if (size > maxHistoryFileBytes) return undefined;
    return await file.readFile("utf8");
  } finally {
    await file.close();
  }
}

/** Writes this run's summary into the history folder (0600); returns its path. */
async function keepSummary(dir: string, summary: ReadinessSummary): Promise<string> {
  const path = join(dir, historyFileName(summary.generatedAt));
  await writeAtomically(path, `${JSON.stringify(summary, null, 2)}\n`);
  return path;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    // 0600 on the temporary file, so the report is never readable by others, not even for a moment.
    await writePrivateFile(temporary, content);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new UsageError(`Cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`, {
      cause: err,
    });
  }
}

async function openUsersCsv(path: string): Promise<{ writer: LineWriter; close: () => Promise<void> }> {
  const stream = await openPrivateWriteStream(path).catch((err: Error) => {
    throw new UsageError(`Cannot write ${path}: ${err.message}`, { cause: err });
  });
  const writer = new LineWriter(stream);
  writer.write(
    `id,userPrincipalName,department,country,synced,bucket,reason,fields,ruleCode,detail,${reportFields.map((f) => `${f},${f}Value,${f}Code`).join(",")}\n`,
  );
  return {
    writer,
    close: async () => {
      await writer.flush();
      await new Promise<void>((resolve, reject) =>
        stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
    },
  };
}

/** One per-user line: the bucket and why, then the profile verdicts with masked values only. */
function toUserCsvLine(line: UserReadinessLine, verdict: ReadinessVerdict): string {
  const user = line.user;
  const cells = [
    user.id,
    user.userPrincipalName,
    user.department ?? "",
    user.usageLocation ?? user.country ?? "",
    String(line.synced),
    verdict.bucket,
    verdict.bucket === "cannot" ? verdict.reason : verdict.bucket === "canResetNow" ? verdict.basis : "",
    verdict.bucket === "canResetNow" ? "" : verdict.fields.join(" "),
    verdict.bucket === "cannot" ? (verdict.ruleCode ?? "") : "",
    verdict.bucket === "cannot" ? verdict.detail : "",
  ];
  for (const field of reportFields) {
    const readiness = line.fields.find((f) => f.field === field && f.source === "profile");
    cells.push(readiness?.verdict ?? "", maskContact(readiness?.value), readiness?.code ?? "");
  }
  return `${cells.map(csvCell).join(",")}\n`;
}

function toTextSummary(page: ReadinessPage): string {
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
