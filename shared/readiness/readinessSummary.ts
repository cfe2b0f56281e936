import { type ContactField, contactFields } from "../contact/contactFields.js";
import type { UserContactState } from "../directory/directory.js";
import {
  type CannotReason,
  cannotReasons,
  type ReadinessBucket,
  type ReadinessPolicy,
  type ReadinessVerdict,
  readinessBuckets,
} from "./classifyReadiness.js";

/** The format tag of a dated summary: `--history` reads back only files that carry it. */
export const readinessSummarySchema = "sspr-prepop.readiness-summary/1";

/** Where the verdicts came from: the tenant's registration report, or the profile alone (its fallback). */
export type ReadinessSource = "registrationReport" | "profileOnly";

/** Something the reader of the report must know (why profile only, what could not be read), with a code. */
export interface ReadinessNote {
  code: string;
  message: string;
}

/** Counts for one department or country. */
export interface GroupCounts {
  name: string;
  users: number;
  buckets: Record<ReadinessBucket, number>;
}

/** The whole run in numbers: what the HTML and CSV show, and what `--history` keeps (no personal data). */
export interface ReadinessSummary {
  schema: typeof readinessSummarySchema;
  generatedAt: string;
  /** The organization's display name; null when it could not be read (a note says why). */
  tenant: string | null;
  source: ReadinessSource;
  notes: ReadinessNote[];
  /** The settings the verdicts assume (what the HR feed and the backfill write). */
  policy: ReadinessPolicy;
  users: number;
  buckets: Record<ReadinessBucket, number>;
  /** `canResetNow` users by what said so: the tenant's `isSsprCapable`, or a usable profile value. */
  canResetNowBy: { tenant: number; profile: number };
  /** `afterPrepopulation` users per field the feed would fill (a user may need several). */
  fillable: Record<ContactField, number>;
  /**
   * `afterPrepopulation` users the HR feed can still reach: created within NEW_HIRE_DAYS. The rest only a backfill
   * (or a helpdesk fix) fills in.
   */
  feedReaches: number;
  reasons: Record<CannotReason, number>;
  /** `invalid_data` users per rule code, e.g. `phone_too_short`. */
  invalidCodes: Record<string, number>;
  /** Users the registration report did not list (new since its last refresh): judged on their profile. */
  notInRegistrationReport: number;
  /** Per department and per country (usageLocation, else country); empty when the directory has none. */
  byDepartment: GroupCounts[];
  byCountry: GroupCounts[];
}

/** Groups shown per dimension; the rest are added up as one `(other)` row. */
const maxGroups = 20;
const noValue = "(none)";

/**
 * Adds up verdicts one user at a time (the listing streams a page at a time, so memory stays flat but for the
 * department and country counts).
 */
export class ReadinessSummaryTally {
  private users = 0;
  private readonly buckets = zeros(readinessBuckets);
  private readonly canResetNowBy = { tenant: 0, profile: 0 };
  private readonly fillable = zeros(contactFields);
  private feedReaches = 0;
  private readonly reasons = zeros(cannotReasons);
  private readonly invalidCodes: Record<string, number> = {};
  private notInRegistrationReport = 0;
  private readonly departments = new Map<string, GroupCounts>();
  private readonly countries = new Map<string, GroupCounts>();

  /**
   * Counts one user's verdict; `listed` is false when the tenant's report was read but did not list them,
   * `newHire` whether HR events may still write them (NEW_HIRE_DAYS).
   */
  add(user: UserContactState, verdict: ReadinessVerdict, listed = true, newHire = true): void {
    this.users++;
    this.buckets[verdict.bucket]++;
    if (!listed) this.notInRegistrationReport++;
    if (verdict.bucket === "canResetNow") this.canResetNowBy[verdict.basis]++;
    if (verdict.bucket === "afterPrepopulation") {
      for (const field of verdict.fields) this.fillable[field]++;
      if (newHire) this.feedReaches++;
    }
    if (verdict.bucket === "cannot") {
      this.reasons[verdict.reason]++;
      if (verdict.ruleCode)
        this.invalidCodes[verdict.ruleCode] = (this.invalidCodes[verdict.ruleCode] ?? 0) + 1;
    }
    count(this.departments, user.department?.trim() || noValue, verdict.bucket);
    count(this.countries, user.usageLocation?.trim() || user.country?.trim() || noValue, verdict.bucket);
  }

  /** The summary so far. */
  summary(run: {
    generatedAt: Date;
    tenant: string | null;
    source: ReadinessSource;
    notes: ReadinessNote[];
    policy: ReadinessPolicy;
  }): ReadinessSummary {
    return {
      schema: readinessSummarySchema,
      generatedAt: run.generatedAt.toISOString(),
      tenant: run.tenant,
      source: run.source,
      notes: [...run.notes],
      policy: structuredClone(run.policy),
      users: this.users,
      buckets: { ...this.buckets },
      canResetNowBy: { ...this.canResetNowBy },
      fillable: { ...this.fillable },
      feedReaches: this.feedReaches,
      reasons: { ...this.reasons },
      invalidCodes: { ...this.invalidCodes },
      notInRegistrationReport: this.notInRegistrationReport,
      byDepartment: groups(this.departments),
      byCountry: groups(this.countries),
    };
  }
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

function count(map: Map<string, GroupCounts>, name: string, bucket: ReadinessBucket): void {
  let group = map.get(name);
  if (!group) {
    group = { name, users: 0, buckets: zeros(readinessBuckets) };
    map.set(name, group);
  }
  group.users++;
  group.buckets[bucket]++;
}

/** The groups, largest first; none when no user has a value; beyond `maxGroups`, one `(other)` row. */
function groups(map: Map<string, GroupCounts>): GroupCounts[] {
  if ([...map.keys()].every((name) => name === noValue)) return [];
  const sorted = [...map.values()].sort((a, b) => b.users - a.users || a.name.localeCompare(b.name));
  const shown = sorted.slice(0, maxGroups).map((group) => structuredClone(group));
  const rest = sorted.slice(maxGroups);
  if (rest.length > 0) {
    const other: GroupCounts = { name: `(other ${rest.length})`, users: 0, buckets: zeros(readinessBuckets) };
    for (const group of rest) {
      other.users += group.users;
      for (const bucket of readinessBuckets) other.buckets[bucket] += group.buckets[bucket];
    }
    shown.push(other);
  }
  return shown;
}
