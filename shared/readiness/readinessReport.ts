import type { ContactField } from "../contact/contactFields.js";
import type { UserContactState } from "../directory/directory.js";
import {
  type FieldReadiness,
  type ReadinessOptions,
  userReadiness,
  type Verdict,
  verdicts,
} from "./readiness.js";

/** The fields the report counts, as the profile holds them (officePhone = businessPhones[0], alternateEmail = otherMails[0]). */
export const reportFields = [
  "mobilePhone",
  "officePhone",
  "alternateEmail",
] as const satisfies readonly ContactField[];

/** Who is counted: everyone, users synced from on-premises AD, and the rest (cloud-only, or no longer synced). */
export const reportPopulations = ["all", "synced", "cloudOnly"] as const;
export type ReportPopulation = (typeof reportPopulations)[number];

/** Counts for one population. */
export interface PopulationCounts {
  users: number;
  /** Users SSPR can reach without registration: a usable mobile phone or a usable alternate email. */
  ssprReady: number;
  fields: Record<ContactField, Record<Verdict, number>>;
}

/** The whole report: counts per population, field and verdict. */
export interface ReadinessReport {
  generatedAt: string;
  populations: Record<ReportPopulation, PopulationCounts>;
}

/** One user's verdicts, for the optional per-user CSV (values still raw: mask before writing). */
export interface UserReadinessLine {
  user: UserContactState;
  synced: boolean;
  ssprReady: boolean;
  fields: FieldReadiness[];
}

/**
 * Tallies SSPR readiness one user at a time (the listing streams a page at a time, so memory stays flat),
 * judging each profile field with `userReadiness`, the same rules the helpdesk read uses.
 */
export class ReadinessTally {
  private readonly populations: Record<ReportPopulation, PopulationCounts> = {
    all: emptyCounts(),
    synced: emptyCounts(),
    cloudOnly: emptyCounts(),
  };

  constructor(private readonly options: ReadinessOptions) {}

  /** Counts one user and returns their verdicts. */
  add(user: UserContactState): UserReadinessLine {
    const fields = userReadiness(user, undefined, this.options);
    const synced = user.onPremisesSyncEnabled === true;
    const usable = (field: ContactField) =>
      fields.some((f) => f.field === field && f.source === "profile" && f.verdict === "usable");
    const ssprReady = usable("mobilePhone") || usable("alternateEmail");
    for (const counts of [this.populations.all, this.populations[synced ? "synced" : "cloudOnly"]]) {
      counts.users++;
      if (ssprReady) counts.ssprReady++;
      for (const field of fields) counts.fields[field.field][field.verdict]++;
    }
    return { user, synced, ssprReady, fields };
  }

  /** The counts so far. */
  report(generatedAt: Date = new Date()): ReadinessReport {
    return { generatedAt: generatedAt.toISOString(), populations: structuredClone(this.populations) };
  }
}

function emptyCounts(): PopulationCounts {
  const byVerdict = () => Object.fromEntries(verdicts.map((v) => [v, 0])) as Record<Verdict, number>;
  return {
    users: 0,
    ssprReady: 0,
    fields: { mobilePhone: byVerdict(), officePhone: byVerdict(), alternateEmail: byVerdict() },
  };
}
