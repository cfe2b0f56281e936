import { commandServices } from "../shared/app/appServices.js";
import { loadSettings, type Settings } from "../shared/app/config.js";
import { type GraphSignIn, graphAccessNeeds } from "../shared/app/graphSignIn.js";
import { protectionPolicyFrom } from "../shared/app/protectionPolicyFrom.js";
import { policyFrom } from "../shared/app/ruleOptions.js";
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import { withTenantDomains } from "../shared/directory/withTenantDomains.js";
import {
  assessReadiness,
  type ReadinessAssessment,
  type ReadinessDirectory,
} from "../shared/readiness/assessReadiness.js";
import type { ReadinessPolicy } from "../shared/readiness/classifyReadiness.js";
import { nextSteps } from "../shared/readiness/nextSteps.js";
import type { ReadinessOptions } from "../shared/readiness/readiness.js";
import { readinessTrend } from "../shared/readiness/readinessHistory.js";
import type { ReadinessPage } from "../shared/readiness/readinessPage.js";
import { toReadinessHtml } from "../shared/readiness/readinessReportHtml.js";
import { toReadinessSummaryCsv } from "../shared/readiness/readinessSummaryCsv.js";
import type { DeploymentPolicyStore } from "../shared/sync/deploymentPolicy.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { helpOption, parseCommandArgs, rulesWithCountry, signInOptionSpecs } from "./commandOptions.js";
import { authOptions, signInChecked, signInRequestOf } from "./graphSignInOptions.js";
import { openUsersCsv, toUserCsvLine } from "./openUsersCsv.js";
import { keepSummary, readHistory } from "./reportHistory.js";
import { toTextSummary } from "./toTextSummary.js";
import { underDeploymentPolicy } from "./underDeploymentPolicy.js";
import { UsageError } from "./usageError.js";
import { writeAtomically } from "./writeAtomically.js";

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
  --country XX      region for national-form numbers of users without a usageLocation (overrides DEFAULT_COUNTRY)
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

/** What tests inject; the bin uses none of it. */
export interface ReportDeps {
  directory?: ReportDirectory;
  now?: () => Date;
  signIn?: GraphSignIn;
  /** Where the deployed app's policy is read; default table DeploymentPolicy on AzureWebJobsStorage. */
  deploymentPolicy?: DeploymentPolicyStore;
}

const reportOptions = {
  out: { type: "string", default: "readiness.html" },
  csv: { type: "string", default: "readiness.csv" },
  users: { type: "string" },
  history: { type: "string" },
  country: { type: "string" },
  ...signInOptionSpecs,
  ...helpOption,
} as const;

/** The command line, checked. */
type ReportValues = ReturnType<typeof parseCommandArgs<typeof reportOptions>>["values"];

/** `sspr-prepop report`: the readiness report of the whole tenant; returns the exit code. */
export async function reportCommand(
  args: readonly string[],
  io: CommandIo,
  deps: ReportDeps = {},
): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, reportOptions);
  if (values.help) {
    io.stdout.write(`${reportUsage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0)
    throw new UsageError("report takes no FILE; name the outputs with --out and --csv.");

  const shell = loadSettings(io.env);
  const rules = rulesWithCountry(shell, values.country);
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
  const directory = deps.directory ?? (await tenantDirectory(settings, values, io, deps));
  const options = await readinessOptionsOf(rules, directory);
  const history = values.history === undefined ? undefined : await readHistory(values.history, io);
  const assessment = await assessTenant(directory, settings, options, values, io, deps);
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

/** The tenant as the report reads it: signed in and checked first, requests at low priority (the readiness directory). */
async function tenantDirectory(
  settings: Settings,
  values: ReportValues,
  io: CommandIo,
  deps: ReportDeps,
): Promise<ReportDirectory> {
  const { credential } = await signInChecked(
    "report",
    settings,
    signInRequestOf(values),
    graphAccessNeeds("report"),
    io,
    deps.signIn,
  );
  return commandServices(settings, {}, { credential }).readinessDirectory;
}

/** The rules the report judges with: an alternate email in a verified domain of the tenant is no way back in. */
async function readinessOptionsOf(
  rules: ContactRuleOptions,
  directory: ReportDirectory,
): Promise<ReadinessOptions> {
  const organizationDomains = await withTenantDomains(rules, directory).then(
    (tenant) => tenant.organizationDomains,
    (err: unknown) => {
      throw usageErrorOf("Cannot read the tenant's domains", err);
    },
  );
  return {
    phoneValidation: rules.phoneValidation,
    organizationDomains,
    ...(rules.defaultCountry ? { country: rules.defaultCountry } : {}),
  };
}

/** Judges every user under the deployment's policy, writing the --users CSV (when asked) as they come. */
async function assessTenant(
  directory: ReportDirectory,
  settings: Settings,
  options: ReadinessOptions,
  values: ReportValues,
  io: CommandIo,
  deps: ReportDeps,
): Promise<ReadinessAssessment> {
  const { target, mode, syncedMobile } = policyFrom(settings);
  const policy: ReadinessPolicy = { target, mode, syncedMobile, newHireDays: settings.NEW_HIRE_DAYS };
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
  return assessment;
}

/** A directory failure as a usage error (exit 2) naming it; anything else (a bug) as it is. */
function usageErrorOf(what: string, err: unknown): unknown {
  const failure = directoryFailureOf(err);
  if (failure.kind === "unknown") return err;
  return new UsageError(`${what}: ${failure.reason} (${failure.code}).`, { cause: err });
}
