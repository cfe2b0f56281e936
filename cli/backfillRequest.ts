import { loadSettings, type Settings } from "../shared/app/config.js";
import { protectionPolicyFrom } from "../shared/app/protectionPolicyFrom.js";
import { policyFrom } from "../shared/app/ruleOptions.js";
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import type { DeploymentPolicyStore, ProtectionPolicy } from "../shared/sync/deploymentPolicy.js";
import type { PolicyPart } from "../shared/sync/stricterPolicy.js";
import type { SyncPolicy } from "../shared/sync/syncPlanner.js";
import type { CommandIo } from "./commandIo.js";
import {
  helpOption,
  inputFormatOption,
  modeOption,
  parseCommandArgs,
  rulesWithCountry,
  signInOptionSpecs,
  targetOption,
} from "./commandOptions.js";
import { fileArgument } from "./fileArgument.js";
import { signInRequestOf } from "./graphSignInOptions.js";
import type { InputFormat } from "./openRecordSource.js";
import { underDeploymentPolicy } from "./underDeploymentPolicy.js";
import { UsageError } from "./usageError.js";

/** What one run is asked to do: the command line, checked, and the settings it applies. */
export interface BackfillRequest {
  /** The input FILE, or `-` for stdin. */
  path: string;
  fromStdin: boolean;
  dryRun: boolean;
  resume: boolean;
  /** --report FILE; undefined = stdout. */
  report: string | undefined;
  /** --force: an existing --report FILE may be replaced. */
  force: boolean;
  /** The Graph sign-in asked for (--auth, --tenant, --client-id). */
  signIn: ReturnType<typeof signInRequestOf>;
  noOutcomes: boolean;
  /** This shell's settings; once the deployed app's policy is applied, the stricter of both. */
  settings: Settings;
  /** The policy this shell asks for: its settings with --mode and --target in place. */
  local: ProtectionPolicy;
  /** The policy parts the command line chose. */
  fromFlags: ReadonlySet<PolicyPart>;
  policy: SyncPolicy;
  rules: ContactRuleOptions;
  format: InputFormat | undefined;
}

const backfillOptions = {
  "dry-run": { type: "boolean" },
  mode: { type: "string" },
  target: { type: "string" },
  resume: { type: "boolean" },
  report: { type: "string" },
  force: { type: "boolean" },
  "no-outcomes": { type: "boolean" },
  ...signInOptionSpecs,
  format: { type: "string" },
  country: { type: "string" },
  ...helpOption,
} as const;

/** Parses and checks the arguments (a UsageError for the first wrong one); "help" when --help was asked. */
export function backfillRequestOf(args: readonly string[], env: CommandIo["env"]): BackfillRequest | "help" {
  const { values, positionals } = parseCommandArgs(args, backfillOptions);
  if (values.help) return "help";
  const path = fileArgument("backfill", positionals);
  const dryRun = values["dry-run"] === true;
  const fromStdin = path === "-";
  if (values.resume && dryRun)
    throw new UsageError("--resume continues a real run; a dry run keeps no checkpoint.");
  if (values.resume && fromStdin) throw new UsageError("--resume needs a FILE: stdin cannot be read again.");
  if (values.force && values.report === undefined)
    throw new UsageError("--force replaces an existing --report FILE; name the FILE with --report.");

  const settings = loadSettings(env);
  const local = localPolicyOf(settings, modeOption(values.mode), targetOption(values.target));
  return {
    path,
    fromStdin,
    dryRun,
    resume: values.resume === true,
    report: values.report,
    force: values.force === true,
    signIn: signInRequestOf(values),
    noOutcomes: values["no-outcomes"] === true,
    settings,
    local,
    fromFlags: new Set<PolicyPart>([
      ...(values.mode !== undefined ? (["mode"] as const) : []),
      ...(values.target !== undefined ? (["target"] as const) : []),
    ]),
    policy: policyFrom(settings),
    rules: rulesWithCountry(settings, values.country),
    format: inputFormatOption(values.format),
  };
}

/** This shell's protection policy: its settings, with --mode and --target in their place. */
function localPolicyOf(
  settings: Settings,
  mode: ProtectionPolicy["mode"] | undefined,
  target: ProtectionPolicy["target"] | undefined,
): ProtectionPolicy {
  const policy = protectionPolicyFrom(settings);
  if (mode !== undefined) policy.mode = mode;
  if (target !== undefined) policy.target = target;
  return policy;
}

/**
 * The request under the deployed app's policy: settings and sync policy the stricter of the app's and this
 * shell's, so the protected groups reach the Graph directory as PROTECTED_GROUP_IDS does. A run that writes
 * refuses without it.
 */
export async function underDeployment(
  request: BackfillRequest,
  io: CommandIo,
  store: DeploymentPolicyStore | undefined,
): Promise<BackfillRequest> {
  const settings = await underDeploymentPolicy(
    {
      command: "backfill",
      settings: request.settings,
      local: request.local,
      fromFlags: request.fromFlags,
      writes: !request.dryRun,
      store,
    },
    io,
  );
  return { ...request, settings, policy: policyFrom(settings) };
}
