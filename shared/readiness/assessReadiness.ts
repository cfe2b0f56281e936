import type { Directory, Privilege, RegistrationDetail, UserContactState } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { isNewHire } from "../directory/isNewHire.js";
import type { PrivilegePicture } from "../directory/privilegePicture.js";
import { classifyReadiness, type ReadinessPolicy, type ReadinessVerdict } from "./classifyReadiness.js";
import type { ReadinessOptions } from "./readiness.js";
import { type ReadinessReport, ReadinessTally, type UserReadinessLine } from "./readinessReport.js";
import { type ReadinessNote, type ReadinessSummary, ReadinessSummaryTally } from "./readinessSummary.js";
import { registrationReportNote } from "./registrationReportNote.js";

/** What a readiness assessment reads; `GraphDirectory` in production. The optional reads degrade with a note. */
export interface ReadinessDirectory extends Pick<Directory, "verifiedDomains"> {
  listUsers(pageSize?: number, properties?: "contact" | "report"): AsyncIterable<UserContactState[]>;
  /** `onFallback` is told when Graph refused a query option and the report was read again without it. */
  listRegistrationDetails?(options?: {
    onFallback?: (note: string) => void;
  }): AsyncIterable<RegistrationDetail[]>;
  organizationName?(): Promise<string | undefined>;
  privilegeOfMany?(userIds: readonly string[]): Promise<Array<Privilege | Error>>;
  privilegePicture?(): Promise<PrivilegePicture>;
}

/** One user as judged: the per-field verdicts and the bucket. */
export interface AssessedUser {
  line: UserReadinessLine;
  verdict: ReadinessVerdict;
}

export interface ReadinessRunOptions {
  options: ReadinessOptions;
  policy: ReadinessPolicy;
  now: () => Date;
  /** Whether to read the tenant's name (`GET /organization`) for the page; a run that shows no page skips it. */
  readTenantName?: boolean;
  /** Told each degradation as it happens (the CLI prints it); the summary lists them too. */
  warn?: (note: ReadinessNote) => void;
  /** Each user once judged, in listing order (the CLI's per-user CSV); awaited, so a slow writer paces the run. */
  onUser?: (user: AssessedUser) => void | Promise<void>;
}

/** The whole tenant's readiness: the bucket summary and the per-field counts. */
export interface ReadinessAssessment {
  summary: ReadinessSummary;
  fields: ReadinessReport;
}

/**
 * Who can reset their password tomorrow: joins the tenant's own SSPR verdicts (the registration report, read whole
 * first) with every user's profile, a page at a time, and puts each user in one bucket. Users prepopulation would
 * write are put through the app's privilege guard, as the queue does. What can't be read (the report without
 * AuditLog.Read.All or a P1/P2 licence, the tenant's name, the privilege reads) degrades with a note, never to a
 * verdict the guard didn't give: a user whose privilege is unknown is never counted as fillable. A failure to list
 * the users is thrown: no partial count is ever presented as the tenant's. `sspr-prepop report` and the daily
 * readiness timer both run this.
 */
export async function assessReadiness(
  directory: ReadinessDirectory,
  run: ReadinessRunOptions,
): Promise<ReadinessAssessment> {
  const notes: ReadinessNote[] = [];
  const warn = (note: ReadinessNote) => {
    notes.push(note);
    run.warn?.(note);
  };
  const tenant = run.readTenantName === false ? null : await tenantName(directory, warn);
  const registrations = await readRegistrations(directory, warn);

  const startedAt = run.now();
  const fields = new ReadinessTally(run.options);
  const buckets = new ReadinessSummaryTally();
  const privilegeFailures = new Set<string>();
  for await (const page of directory.listUsers(999, "report")) {
    const judged = page.map((user) => {
      const line = fields.add(user);
      const registration = registrations?.get(user.id.toLowerCase());
      const facts = { user, registration, profile: line.fields };
      return { line, facts, verdict: classifyReadiness(facts, run.policy) };
    });
    // The app's privilege guard, for the users prepopulation would write: the same fresh reads the queue does.
    const candidates = judged.filter((j) => j.verdict.bucket === "afterPrepopulation");
    if (candidates.length > 0 && directory.privilegeOfMany) {
      const answers = await directory
        .privilegeOfMany(candidates.map((j) => j.line.user.id))
        .catch((err: unknown) => candidates.map(() => (err instanceof Error ? err : new Error(String(err)))));
      candidates.forEach((j, i) => {
        const privilege = answers[i] ?? new Error("no answer");
        if (privilege instanceof Error) privilegeFailures.add(directoryFailureOf(privilege).reason);
        j.verdict = classifyReadiness({ ...j.facts, privilege }, run.policy);
      });
    }
    for (const { line, verdict } of judged) {
      // The report leaves disabled users out by design; any other user it lacks is newer than its last refresh.
      const listed =
        registrations === undefined ||
        registrations.has(line.user.id.toLowerCase()) ||
        line.user.accountEnabled === false;
      buckets.add(line.user, verdict, listed, isNewHire(line.user, startedAt, run.policy.newHireDays ?? 0));
      await run.onUser?.({ line, verdict });
    }
  }
  if (!directory.privilegeOfMany) {
    warn({
      code: "privilege_check_not_run",
      message: "the privileged-account check was not run: users it would stop may be counted as fillable",
    });
  }
  for (const reason of privilegeFailures) {
    warn({
      code: "privilege_check_failed",
      message: `the privileged-account check could not answer for some users (${reason}); they are counted as privilege_unknown, never as fillable`,
    });
  }

  const edition = await editionNote(directory);
  if (edition) notes.push(edition);

  const generatedAt = run.now();
  const summary = buckets.summary({
    generatedAt,
    tenant,
    source: registrations ? "registrationReport" : "profileOnly",
    notes,
    policy: run.policy,
  });
  if (summary.notInRegistrationReport > 0) {
    summary.notes.push({
      code: "not_in_registration_report",
      message: `${summary.notInRegistrationReport} enabled users are not in the registration report yet (it refreshes periodically): judged on their profile`,
    });
  }
  return { summary, fields: fields.report(generatedAt) };
}

/**
 * Which edition the privilege guard found (from its picture, which the checks above already read): with PIM, the
 * eligibilities count; without (Graph's AadPremiumLicenseRequired), none can exist, and the report says so.
 */
async function editionNote(directory: ReadinessDirectory): Promise<ReadinessNote | undefined> {
  if (!directory.privilegePicture) return undefined;
  const picture = await directory.privilegePicture().catch(() => undefined);
  if (!picture) return undefined;
  return picture.pim
    ? {
        code: "privilege_edition_pim",
        message:
          "the tenant has PIM (Entra ID P2 or ID Governance): PIM-eligible roles and eligible members and owners of role-assignable groups count as privileged",
      }
    : {
        code: "privilege_edition_no_pim",
        message:
          "the tenant has no PIM (Graph: AadPremiumLicenseRequired): no eligibility can exist, so active roles, group members and owners and protected groups decide who is privileged",
      };
}

/** The organization's name, or null with a note: the report stands without it. */
async function tenantName(
  directory: ReadinessDirectory,
  warn: (note: ReadinessNote) => void,
): Promise<string | null> {
  if (!directory.organizationName) return null;
  try {
    return (await directory.organizationName()) ?? null;
  } catch (err) {
    if (directoryFailureOf(err).handling === "bug") throw err;
    warn({
      code: "tenant_name_unreadable",
      message: `the tenant's name could not be read: ${directoryFailureOf(err).reason}`,
    });
    return null;
  }
}

/**
 * The tenant's registration report by user id, read whole before the users (a few hundred bytes a user); undefined
 * when it can't be read (no AuditLog.Read.All, no P1/P2, Graph failing), with a note saying why.
 */
async function readRegistrations(
  directory: ReadinessDirectory,
  warn: (note: ReadinessNote) => void,
): Promise<Map<string, RegistrationDetail> | undefined> {
  if (!directory.listRegistrationDetails) {
    warn({
      code: "registration_report_failed",
      message: "the registration report is not read by this directory; showing the profile-only view",
    });
    return undefined;
  }
  const details = new Map<string, RegistrationDetail>();
  try {
    const onFallback = (message: string) => warn({ code: "registration_report_query_fallback", message });
    for await (const page of directory.listRegistrationDetails({ onFallback })) {
      for (const detail of page) details.set(detail.userId.toLowerCase(), detail);
    }
  } catch (err) {
    if (directoryFailureOf(err).handling === "bug") throw err;
    warn(registrationReportNote(err));
    return undefined;
  }
  return details;
}
