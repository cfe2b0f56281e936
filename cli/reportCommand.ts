import { rename, rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadSettings } from "../shared/app/config.js";
import {
  graphDirectoryFromSettings,
  writeLimiterFromSettings,
} from "../shared/app/graphDirectoryFromSettings.js";
import { type GraphSignIn, graphAccessNeeds } from "../shared/app/graphSignIn.js";
import { contactRuleOptionsFrom } from "../shared/app/ruleOptions.js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import { maskContact } from "../shared/contact/mask.js";
import type { Directory, UserContactState } from "../shared/directory/directory.js";
import { DirectoryError } from "../shared/directory/directoryError.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import { withTenantDomains } from "../shared/directory/withTenantDomains.js";
import type { ReadinessOptions } from "../shared/readiness/readiness.js";
import {
  type ReadinessReport,
  ReadinessTally,
  reportFields,
  toReadinessCsv,
  type UserReadinessLine,
} from "../shared/readiness/readinessReport.js";
import { toReadinessHtml } from "../shared/readiness/readinessReportHtml.js";
import { authOptions, signInChecked, signInRequestOf } from "./graphSignInOptions.js";
import { LineWriter } from "./lineWriter.js";
import { openPrivateWriteStream, writePrivateFile } from "./privateFile.js";
import { UsageError } from "./usageError.js";
import { type CommandIo, ExitCode } from "./validateCommand.js";

export const reportUsage = `Usage: sspr-prepop report [--out readiness.html] [--csv readiness.csv] [--users users.csv] [--country XX]
                         [--auth cli|device-code|managed-identity|app] [--tenant ID] [--client-id ID]

Reads every user (GET /users?$select=…&$top=999, one request per 999 users) and counts, per contact field
(mobilePhone, officePhone = businessPhones[0], alternateEmail = otherMails[0]), the users whose value is usable
for SSPR, not in canonical form, invalid, or missing; and the users SSPR can reach (usable mobile or alternate
email), for all users, users synced from AD and cloud-only users. Writes nothing to the directory.

  --out FILE        the HTML page (self-contained: inline CSS and SVG chart); default readiness.html
  --csv FILE        the counts as CSV; default readiness.csv
  --users FILE      also a CSV with one line per user: verdicts and masked values
  --country XX      region for numbers stored in national form (overrides DEFAULT_COUNTRY)
${authOptions}
  -h, --help        show this help

The sign-in is checked first: it must grant User.Read.All (or a broader read permission).
Exit status: 0 report written, 2 usage, settings, I/O, sign-in, permission or Graph error.
Settings: GRAPH_BASE_URL, GRAPH_AUTH, AZURE_TENANT_ID, GRAPH_ACCESS_TOKEN (emulator), AZURE_CLIENT_ID,
DEFAULT_COUNTRY, PHONE_VALIDATION, ORGANIZATION_DOMAINS.`;

/** A source of users a page at a time; `GraphDirectory.listUsers` in production. */
export interface UserPages extends Pick<Directory, "verifiedDomains"> {
  listUsers(pageSize?: number): AsyncIterable<UserContactState[]>;
}

/** `sspr-prepop report`: the readiness report of the whole tenant; returns the exit code. */
export async function reportCommand(
  args: readonly string[],
  io: CommandIo,
  deps: { directory?: UserPages; now?: () => Date; signIn?: GraphSignIn } = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: "string", default: "readiness.html" },
      csv: { type: "string", default: "readiness.csv" },
      users: { type: "string" },
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

  const settings = loadSettings(io.env);
  const rules = contactRuleOptionsFrom(settings);
  if (values.country !== undefined) {
    const code = toCountryCode(values.country);
    if (code === undefined) {
      throw new UsageError(
        `--country must be an ISO 3166-1 alpha-2 code such as US, not "${values.country.slice(0, 40)}".`,
      );
    }
    rules.defaultCountry = code;
  }
  const directory =
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
      if (!(err instanceof DirectoryError)) throw err;
      const failure = directoryFailureOf(err);
      throw new UsageError(`Cannot read the tenant's domains: ${failure.reason} (${failure.code}).`, {
        cause: err,
      });
    },
  );
  const options: ReadinessOptions = {
    phoneValidation: rules.phoneValidation,
    organizationDomains,
    ...(rules.defaultCountry ? { country: rules.defaultCountry } : {}),
  };
  const tally = new ReadinessTally(options);
  const perUser = values.users ? await openUsersCsv(values.users) : undefined;

  try {
    for await (const page of directory.listUsers(999)) {
      for (const user of page) {
        const line = tally.add(user);
        const waiting = perUser?.writer.write(toUserCsvLine(line));
        if (waiting) await waiting;
      }
    }
  } catch (err) {
    await perUser?.close().catch(() => undefined);
    if (err instanceof DirectoryError) {
      const failure = directoryFailureOf(err);
      throw new UsageError(`Cannot list the users: ${failure.reason} (${failure.code}).`, { cause: err });
    }
    throw err;
  }
  await perUser?.close();
  const report = tally.report(deps.now?.() ?? new Date());
  await writeAtomically(values.out, toReadinessHtml(report));
  await writeAtomically(values.csv, toReadinessCsv(report));
  io.stdout.write(toTextSummary(report));
  io.stderr.write(
    `report: ${report.populations.all.users} users; wrote ${values.out} and ${values.csv}${values.users ? ` and ${values.users}` : ""}\n`,
  );
  return ExitCode.ok;
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
    `id,userPrincipalName,synced,ssprReady,${reportFields.map((f) => `${f},${f}Value,${f}Code`).join(",")}\n`,
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

/** One per-user line: verdicts with masked values only. */
function toUserCsvLine(line: UserReadinessLine): string {
  const cells = [line.user.id, line.user.userPrincipalName, String(line.synced), String(line.ssprReady)];
  for (const field of reportFields) {
    const readiness = line.fields.find((f) => f.field === field && f.source === "profile");
    cells.push(readiness?.verdict ?? "", maskContact(readiness?.value), readiness?.code ?? "");
  }
  return `${cells.map(csvCell).join(",")}\n`;
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function toTextSummary(report: ReadinessReport): string {
  const all = report.populations.all;
  const share = (n: number) => (all.users > 0 ? `${((100 * n) / all.users).toFixed(1)}%` : "-");
  const rows = [
    ["field", "usable", "notCanonical", "invalid", "missing"],
    ...reportFields.map((field) => {
      const v = all.fields[field];
      return [field, String(v.usable), String(v.notCanonical), String(v.invalid), String(v.missing)];
    }),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const table = rows.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "),
  );
  return `${table.join("\n")}\nSSPR-ready users: ${all.ssprReady} of ${all.users} (${share(all.ssprReady)}); synced from AD ${report.populations.synced.users}, cloud-only ${report.populations.cloudOnly.users}\n`;
}
