import { loadSettings, type Settings } from "../shared/app/config.js";
import { runDoctor } from "../shared/app/runDoctor.js";
import { ConfigError } from "../shared/core/errors.js";
import { type DoctorReport, doctorExitCode, toDoctorTable } from "../shared/doctor/doctorReport.js";
import { unreadableSettingsReport } from "../shared/doctor/runDoctorChecks.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { helpOption, parseCommandArgs } from "./commandOptions.js";
import { UsageError } from "./usageError.js";

export const doctorUsage = `Usage: sspr-prepop doctor [--json] [--app-url URL]

Checks a deployment before its first new hire, with this shell's settings and identity (the app's own identity:
GET /api/doctor as an admin runs the same checks inside the app). Reads only; writes and creates nothing.

  settings          the settings read, and none contradicting another
  graphToken        a Graph token got the way the app gets one (managed identity, or GRAPH_ACCESS_TOKEN for emulators)
  graphPermissions  the token's application permissions (its roles claim) against what the settings need: missing
                    ones, and ones granted beyond them (over_grant)
  userRead          GET /users?$top=1
  privilegeRead     that user's role assignments, PIM eligibilities and groups, as the privileged-account guard reads them
  storageQueue, outcomeTable, budgetTable
                    ONBOARDING_QUEUE, OUTCOMES_TABLE and the write-budget table reachable (absent = created on first use)
  webhooks          the HR endpoints' secrets: set and well-formed, or which endpoints are off (never printed)
  easyAuth          App Service authentication in front of the helpdesk routes (--app-url, or WEBSITE_AUTH_ENABLED)
  dirSync           with SYNCED_MOBILE=override: what bypassDirSyncOverridesEnabled makes of a cloud write

Each check is ok, warn or fail, with a machine code and, unless ok, what to do.

  --json            the report as one JSON object: {status, summary, checks: [{check, status, code, detail, fix}]}
  --app-url URL     the deployed app, e.g. https://<app>.azurewebsites.net (or npm start's http://127.0.0.1:7071):
                    asks its /api/doctor anonymously to see whether Easy Auth turns the request away
  -h, --help        show this help

Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error or settings that can't be read.`;

/** `sspr-prepop doctor`: every deployment check, as a table or JSON; returns the exit code. */
export async function doctorCommand(
  args: readonly string[],
  io: CommandIo,
  deps: { fetch?: typeof fetch } = {},
): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    json: { type: "boolean", default: false },
    "app-url": { type: "string" },
    ...helpOption,
  });
  if (values.help) {
    io.stdout.write(`${doctorUsage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0)
    throw new UsageError("doctor takes no arguments; see sspr-prepop doctor --help.");
  const appUrl = values["app-url"];
  if (appUrl !== undefined && !isHttpUrl(appUrl)) {
    throw new UsageError(
      `--app-url must be the app's http(s) address, like https://<app>.azurewebsites.net.`,
    );
  }

  let settings: Settings;
  try {
    settings = loadSettings(io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Settings that can't be read are a finding too: a pipeline still gets its JSON, with exit code 2.
    print(io, unreadableSettingsReport(err), values.json);
    return ExitCode.usage;
  }
  const report = await runDoctor(settings, { appUrl, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  print(io, report, values.json);
  return doctorExitCode(report);
}

function print(io: CommandIo, report: DoctorReport, json: boolean): void {
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : toDoctorTable(report));
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
