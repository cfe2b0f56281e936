import {
  contactFields,
  contactModes,
  isContactField,
  isTargetPolicy,
  type TargetPolicy,
} from "../contact/contactFields.js";
import { isRecord } from "../core/isRecord.js";
import {
  deploymentPolicySchema,
  type PolicyReading,
  type ProtectionPolicy,
  type PublishedPolicy,
} from "./deploymentPolicy.js";

/**
 * The published policy as one flat row of strings and a number, as Table storage holds it (a Table entity has no
 * nested values). Every store writes and reads through these two functions, so the double and the table adapter
 * accept and refuse exactly the same rows.
 */
export interface PolicyRecord {
  schema: number;
  publishedAt: string;
  /** Comma-separated group object ids; empty for none. */
  protectedGroupIds: string;
  /** JSON of field → target. */
  contactTarget: string;
  contactMode: string;
  syncedMobile: string;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `policy` as published at `at`: its groups lower-case, once each, sorted, as a reader of the row gets them. */
export function publishedOf(policy: ProtectionPolicy, at: Date): PublishedPolicy {
  const groups = [...new Set(policy.protectedGroupIds.map((id) => id.trim().toLowerCase()))].sort();
  return {
    schema: deploymentPolicySchema,
    publishedAt: at.toISOString(),
    policy: { ...policy, protectedGroupIds: groups, target: { ...policy.target } },
  };
}

/** The row for `published`. */
export function toPolicyRecord(published: PublishedPolicy): PolicyRecord {
  const { policy } = published;
  return {
    schema: published.schema,
    publishedAt: published.publishedAt,
    protectedGroupIds: policy.protectedGroupIds.join(","),
    contactTarget: JSON.stringify(policy.target),
    contactMode: policy.mode,
    syncedMobile: policy.syncedMobile,
  };
}

/**
 * Reads a stored row back. Anything short of a complete row of this schema is "unknown", never a default: a
 * default would be the widest reading (no protected group), the very gap the published policy closes.
 */
export function fromPolicyRecord(row: unknown): PolicyReading {
  if (!isRecord(row)) return unreadable("the row is not an object");
  const schema = row.schema;
  if (typeof schema !== "number" || !Number.isInteger(schema)) {
    return {
      known: false,
      code: "policy_schema_older",
      reason: "the policy row has no schema number: it was written by an older version of the app",
    };
  }
  if (schema < deploymentPolicySchema) {
    return {
      known: false,
      code: "policy_schema_older",
      reason: `the policy row is schema ${schema}, older than this CLI's ${deploymentPolicySchema}`,
    };
  }
  if (schema > deploymentPolicySchema) {
    return {
      known: false,
      code: "policy_schema_newer",
      reason: `the policy row is schema ${schema}, newer than this CLI's ${deploymentPolicySchema}: it may name a restriction this CLI cannot apply`,
    };
  }
  const publishedAt = row.publishedAt;
  if (typeof publishedAt !== "string" || Number.isNaN(Date.parse(publishedAt))) {
    return unreadable("publishedAt is not a date");
  }
  const groups = typeof row.protectedGroupIds === "string" ? groupsOf(row.protectedGroupIds) : undefined;
  if (!groups) return unreadable("protectedGroupIds is not a list of group object ids");
  const target = typeof row.contactTarget === "string" ? targetOf(row.contactTarget) : undefined;
  if (!target) return unreadable("contactTarget is not a target for each contact field");
  const mode = contactModes.find((m) => m === row.contactMode);
  if (!mode) return unreadable("contactMode is not fillEmpty or overwrite");
  const syncedMobile =
    row.syncedMobile === "skip" || row.syncedMobile === "override" ? row.syncedMobile : undefined;
  if (!syncedMobile) return unreadable("syncedMobile is not skip or override");
  const policy: ProtectionPolicy = { protectedGroupIds: groups, target, mode, syncedMobile };
  return { known: true, published: { schema: deploymentPolicySchema, publishedAt, policy } };
}

function groupsOf(text: string): string[] | undefined {
  const ids = text
    .split(",")
    .map((id) => id.trim().toLowerCase())
    .filter((id) => id !== "");
  return ids.every((id) => guid.test(id)) ? [...new Set(ids)].sort() : undefined;
}

function targetOf(text: string): Record<(typeof contactFields)[number], TargetPolicy> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const keys = Object.keys(parsed);
  if (keys.length !== contactFields.length || !keys.every(isContactField)) return undefined;
  const { mobilePhone, officePhone, alternateEmail } = parsed;
  const all = [mobilePhone, officePhone, alternateEmail];
  if (!all.every((value) => typeof value === "string" && isTargetPolicy(value))) return undefined;
  return {
    mobilePhone: mobilePhone as TargetPolicy,
    officePhone: officePhone as TargetPolicy,
    alternateEmail: alternateEmail as TargetPolicy,
  };
}

function unreadable(what: string): PolicyReading {
  return { known: false, code: "policy_unreadable", reason: `the policy row is corrupt: ${what}` };
}
