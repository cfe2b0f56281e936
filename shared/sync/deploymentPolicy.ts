import type { ContactField, ContactMode, TargetPolicy } from "../contact/contactFields.js";
import type { SyncPolicy } from "./syncPlanner.js";

/**
 * The settings that narrow what may be written, as one value: who is never written (PROTECTED_GROUP_IDS) and
 * what a write may touch (CONTACT_TARGET, CONTACT_MODE, SYNCED_MOBILE). The deployed app publishes its own so the
 * CLI never runs wider than it (docs/security.md, "The CLI is never less protective than the app").
 */
export interface ProtectionPolicy {
  /** Group object ids, lower-case, sorted: their (transitive) members are never written. */
  protectedGroupIds: readonly string[];
  target: Record<ContactField, TargetPolicy>;
  mode: ContactMode;
  syncedMobile: SyncPolicy["syncedMobile"];
}

/** The row's format; a reader refuses any other (an older app lacks a setting, a newer one may add one). */
export const deploymentPolicySchema = 1;

/** A deployment's policy as it published it when its services started. */
export interface PublishedPolicy {
  schema: typeof deploymentPolicySchema;
  /** When the app published it (ISO 8601). */
  publishedAt: string;
  policy: ProtectionPolicy;
}

/** Why the deployment's policy is not known: machine code, with `reason` for people. */
export type PolicyUnknownCode =
  | "storage_not_configured"
  | "storage_unreadable"
  | "policy_not_published"
  | "policy_unreadable"
  | "policy_schema_older"
  | "policy_schema_newer";

/** What reading the published policy found. */
export type PolicyReading =
  | { known: true; published: PublishedPolicy }
  | { known: false; code: PolicyUnknownCode; reason: string };

/**
 * Where the deployment keeps the policy it runs with: one row, replaced at each start of the app. Table storage
 * in production (shared/storage/tableDeploymentPolicy.ts), an in-memory double in tests.
 */
export interface DeploymentPolicyStore {
  /** Replaces the published policy with `policy`, stamped now; idempotent. */
  publish(policy: ProtectionPolicy): Promise<PublishedPolicy>;
  /** The published policy; a missing, corrupt or other-schema row is an answer, storage failing throws. */
  read(): Promise<PolicyReading>;
}
