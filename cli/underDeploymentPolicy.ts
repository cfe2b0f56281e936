import type { Settings } from "../shared/app/config.js";
import { settingsUnder } from "../shared/app/protectionPolicyFrom.js";
import { readDeploymentPolicy } from "../shared/app/readDeploymentPolicy.js";
import { contactFields } from "../shared/contact/contactFields.js";
import type {
  DeploymentPolicyStore,
  PolicyUnknownCode,
  ProtectionPolicy,
} from "../shared/sync/deploymentPolicy.js";
import { type Narrowing, type PolicyPart, stricterPolicy } from "../shared/sync/stricterPolicy.js";
import type { CommandIo } from "./commandIo.js";
import { UsageError } from "./usageError.js";

/** What a command asks of the deployment's policy. */
export interface PolicyAsk {
  command: "backfill" | "report";
  /** This shell's settings. */
  settings: Settings;
  /** This shell's policy with the command line's choices (--mode, --target) in place. */
  local: ProtectionPolicy;
  /** The parts the command line chose: narrowing one of those is refused, not done quietly. */
  fromFlags: ReadonlySet<PolicyPart>;
  /** True for a run that writes: without the deployment's policy it refuses. */
  writes: boolean;
  /** The store to read instead of the settings' storage (a test's double). */
  store?: DeploymentPolicyStore | undefined;
}

const settingOf: Record<PolicyPart, string> = {
  protectedGroupIds: "PROTECTED_GROUP_IDS",
  target: "CONTACT_TARGET",
  mode: "CONTACT_MODE",
  syncedMobile: "SYNCED_MOBILE",
};

const flagOf: Partial<Record<PolicyPart, string>> = { target: "--target", mode: "--mode" };

/** How to make the policy known, per reason it is not. */
const fixOf: Record<PolicyUnknownCode, string> = {
  storage_not_configured:
    "set AzureWebJobsStorage (or AzureWebJobsStorage__tableServiceUri) to the storage account the function app uses",
  storage_unreadable:
    "check that AzureWebJobsStorage names the function app's storage account and that you may read its tables (Storage Table Data Reader)",
  policy_not_published:
    "start the function app once so it publishes its policy (locally: npm start; in Azure: restart the app), or point AzureWebJobsStorage at the storage account the deployed app uses",
  policy_unreadable: "restart the function app: it publishes its policy again at each start",
  policy_schema_older: "update the function app to this CLI's version and restart it",
  policy_schema_newer: "use the sspr-prepop of the deployed app's version",
};

/**
 * The settings a command runs with: this shell's, narrowed by the policy the deployed app published, never
 * wider than it (docs/security.md). Says on stderr, in one line, which policy applies and when it was published.
 * A run that writes refuses (UsageError, exit 2) when the policy is unknown; a dry run or the report goes on with
 * this shell's settings and a warning. A command-line choice wider than the deployment is refused, not narrowed:
 * the admin asked for it and must know it was not done.
 */
export async function underDeploymentPolicy(ask: PolicyAsk, io: CommandIo): Promise<Settings> {
  const reading = await readDeploymentPolicy(ask.settings, ask.store);
  const prefix = `sspr-prepop ${ask.command}:`;
  if (!reading.known) {
    const why = `the deployment's protection policy is unknown (${reading.code}: ${reading.reason})`;
    if (ask.writes) {
      throw new UsageError(
        `refusing to write: ${why}, and without it this shell's settings may be wider than the app's (a protected group it lacks would be written). Fix: ${fixOf[reading.code]}. --dry-run still runs, with this shell's settings.`,
      );
    }
    io.stderr.write(
      `${prefix} warning: ${why}; running with this shell's settings only (${describe(ask.local)}), which may be wider than the deployed app's. Fix: ${fixOf[reading.code]}.\n`,
    );
    return settingsUnder(ask.settings, ask.local);
  }
  const { published } = reading;
  const stricter = stricterPolicy(ask.local, published.policy);
  if (!stricter.ok) {
    const fields = stricter.conflicts.map((c) => `${c.field}: here ${c.local}, deployed ${c.deployment}`);
    throw new UsageError(
      `CONTACT_TARGET here and the deployed app's write ${fields.join("; ")} — no target both allow. Pass --target with one the deployment allows (${stricter.conflicts.map((c) => `${c.field}=${c.deployment}`).join(",")}) or unset CONTACT_TARGET here.`,
    );
  }
  const refused = stricter.narrowed.filter((n) => ask.fromFlags.has(n.part));
  if (refused.length > 0) {
    throw new UsageError(
      `${refused.map((n) => wider(n, ask.local, published.policy)).join("; ")}. Omit the option to use the deployment's, or pick a narrower one; only an operator widens the app's settings.`,
    );
  }
  const narrowed =
    stricter.narrowed.length > 0
      ? `; narrowed by the deployment: ${stricter.narrowed.map((n) => narrowing(n, ask.local, stricter.policy)).join(", ")}`
      : "";
  io.stderr.write(
    `${prefix} policy: the stricter of the deployed app's (published ${published.publishedAt}) and this shell's: ${describe(stricter.policy)}${narrowed}\n`,
  );
  return settingsUnder(ask.settings, stricter.policy);
}

function describe(policy: ProtectionPolicy): string {
  const groups = policy.protectedGroupIds.length;
  return [
    `PROTECTED_GROUP_IDS ${groups === 0 ? "none" : `${groups} group${groups === 1 ? "" : "s"}`}`,
    `CONTACT_TARGET ${targetText(policy)}`,
    `CONTACT_MODE ${policy.mode}`,
    `SYNCED_MOBILE ${policy.syncedMobile}`,
  ].join(", ");
}

function targetText(policy: ProtectionPolicy): string {
  const targets = contactFields.map((field) => policy.target[field]);
  if (targets.every((t) => t === targets[0])) return String(targets[0]);
  return contactFields.map((field) => `${field}=${policy.target[field]}`).join(",");
}

function narrowing(n: Narrowing, local: ProtectionPolicy, result: ProtectionPolicy): string {
  if (n.part === "protectedGroupIds") {
    const added = result.protectedGroupIds.length - new Set(local.protectedGroupIds).size;
    return `PROTECTED_GROUP_IDS +${added} group${added === 1 ? "" : "s"}`;
  }
  if (n.part === "target" && n.field) {
    return `CONTACT_TARGET ${n.field} ${local.target[n.field]}→${result.target[n.field]}`;
  }
  if (n.part === "mode") return `CONTACT_MODE ${local.mode}→${result.mode}`;
  return `SYNCED_MOBILE ${local.syncedMobile}→${result.syncedMobile}`;
}

function wider(n: Narrowing, local: ProtectionPolicy, deployed: ProtectionPolicy): string {
  const flag = flagOf[n.part] ?? settingOf[n.part];
  if (n.part === "target" && n.field) {
    return `${flag} ${n.field}=${local.target[n.field]} is wider than the deployed app allows (CONTACT_TARGET ${n.field}=${deployed.target[n.field]})`;
  }
  return `${flag} ${n.part === "mode" ? local.mode : local.syncedMobile} is wider than the deployed app allows (${settingOf[n.part]} ${n.part === "mode" ? deployed.mode : deployed.syncedMobile})`;
}
