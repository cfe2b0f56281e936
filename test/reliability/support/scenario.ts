import { createHash } from "node:crypto";
import { type CountryCode, getExampleNumber } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import type { EmulatedUser, SeedUser, TenantSeed } from "../../../local/graphEmulator/EmulatedTenant.js";
import { type ContactRuleOptions, validateContactEvent } from "../../../shared/contact/contactEvent.js";
import type { AuthMethods, UserContactState } from "../../../shared/directory/directory.js";
import { emailMethodId, phoneMethodIds } from "../../../shared/graph/graphAuthMethods.js";
import { statusOf } from "../../../shared/sync/buildOutcome.js";
import type { OutcomeStatus } from "../../../shared/sync/outcome.js";
import { type FieldPlan, planSync, type SyncPolicy } from "../../../shared/sync/syncPlanner.js";
import { PiiCatalog } from "./piiCatalog.js";

/** The kinds of hire a reliability run mixes; each exercises different writes (or none). */
export const caseKinds = [
  "newHire",
  "byEmployeeId",
  "international",
  "reformat",
  "unchanged",
  "ownValues",
  "synced",
  "privileged",
  "rejected",
] as const;
export type CaseKind = (typeof caseKinds)[number];

/** Share of each kind, in percent. */
const mix: Record<CaseKind, number> = {
  newHire: 30,
  byEmployeeId: 8,
  international: 8,
  reformat: 12,
  unchanged: 8,
  ownValues: 8,
  synced: 8,
  privileged: 4,
  rejected: 14,
};

/** One user of the emulated tenant and the one event about them. */
export interface ScenarioCase {
  kind: CaseKind;
  user: SeedUser;
  event: Record<string, unknown>;
  /** `webhook`: POSTed, signed, to /api/hr/events; `queue`: put on the queue directly (another producer). */
  route: "webhook" | "queue";
  /** Also put on the queue a second time: a duplicate delivery that must change nothing. */
  duplicate: boolean;
}

export interface Scenario {
  tenant: TenantSeed;
  cases: ScenarioCase[];
  /** Every phone number and email address of the tenant and the events. */
  pii: PiiCatalog;
}

/** The sync settings a run uses: every target and both kinds of method write, fill-empty mode. */
export const scenarioEnv = {
  CONTACT_TARGET: "mobilePhone=both,officePhone=profile,alternateEmail=both",
  CONTACT_MODE: "fillEmpty",
  SYNCED_MOBILE: "skip",
  ORGANIZATION_DOMAINS: "contoso.example",
  PHONE_VALIDATION: "valid",
} as const;

/** The policy `scenarioEnv` configures, for the oracle. */
export const scenarioPolicy: SyncPolicy = {
  target: { mobilePhone: "both", officePhone: "profile", alternateEmail: "both" },
  mode: "fillEmpty",
  syncedMobile: "skip",
  // The queue is an event source: users' own methods are kept.
  keepUserMethods: true,
};
export const scenarioRules: ContactRuleOptions = {
  phoneValidation: "valid",
  organizationDomains: ["contoso.example"],
};

// US area codes in service; with the fictional exchange 555-01xx every one gives 100 valid, unassigned numbers.
// 425 is left out: the product's own hints quote +1 425 555 01xx as examples, which are not leaks of test data.
const areaCodes = [
  201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228, 229,
  231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 276, 281, 301, 302, 303, 304,
  305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323, 325, 330, 334, 336, 337,
  339, 347, 351, 352, 360, 361, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417,
  419, 423, 424, 430, 432, 434, 435, 440, 443, 469, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507, 508,
  509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541, 551, 559, 561, 562, 563, 567, 570, 571, 573,
  574, 575, 580, 585, 586, 601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619,
  620, 623, 626, 630, 631, 636, 641, 646, 650, 651, 660, 661, 662, 678, 682, 701, 702, 703, 704, 706, 707,
  708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734, 740, 754, 757, 760, 763, 765,
  770, 772, 773, 774, 775, 781, 785, 786, 801, 802, 803, 804, 805, 806, 808, 810, 812, 813, 814, 815, 816,
  817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 856, 857, 858, 859, 860, 862, 863, 864, 865, 870,
  872, 878, 901, 903, 904, 906, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928,
  931, 936, 937, 940, 941, 947, 949, 951, 952, 954, 956, 970, 971, 972, 973, 978, 979, 980, 985, 989,
];
// Regions whose libphonenumber example mobile numbers stand in for foreign hires.
const exampleRegions: CountryCode[] = ["GB", "AU", "DE", "FR", "IN", "JP", "SE", "NL", "NZ", "ES"];
const mailDomains = ["example.com", "example.org", "example.net", "mail.example"];

/** A fictional NANP number: the n-th of (area code × 555-0100…0199), in its parts. */
function nanp(n: number): { areaCode: number; line: string } {
  const index = n % (areaCodes.length * 100);
  return {
    areaCode: areaCodes[Math.floor(index / 100)] ?? 206,
    line: `01${String(index % 100).padStart(2, "0")}`,
  };
}
const national = (n: number) => `(${nanp(n).areaCode}) 555-${nanp(n).line}`;
const dotted = (n: number) => `${nanp(n).areaCode}.555.${nanp(n).line}`;
const dashed = (n: number) => `${nanp(n).areaCode}-555-${nanp(n).line}`;
const spacedInternational = (n: number) => `+1 ${nanp(n).areaCode} 555 ${nanp(n).line}`;
/** The SSPR form the product writes. */
export const canonicalNanp = (n: number) => `+1 ${nanp(n).areaCode}555${nanp(n).line}`;

/** A small seeded generator, so a run can be repeated exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Builds `count` users, one event each, of the kinds in `mix`. `prefix` keeps ids apart when several runs share
 * storage. Events go 75 % through the webhook and 25 % straight onto the queue (invalid ones always straight:
 * the webhook would refuse them at the door), and 5 % are put on the queue twice.
 */
export function buildScenario(count: number, options: { prefix: string; seed?: number }): Scenario {
  const random = seeded(options.seed ?? 20_261_124);
  const pii = new PiiCatalog();
  const cases: ScenarioCase[] = [];
  const kinds = caseKinds.flatMap((kind) => Array.from({ length: mix[kind] }, () => kind));
  let numbers = 0;
  const nextNumber = () => numbers++;
  // Object ids are GUIDs: a hex tag of the prefix keeps two runs' users apart.
  const tag = createHash("sha256").update(options.prefix).digest("hex").slice(0, 4);

  for (let i = 0; i < count; i += 1) {
    const kind = kinds[Math.floor(random() * kinds.length)] ?? "newHire";
    const id = `${(0x10000000 + i).toString(16)}-${tag}-4000-8000-${String(i).padStart(12, "0")}`;
    const upn = `hire.${options.prefix}.${i}@contoso.example`;
    const employeeId = `S${options.prefix.slice(0, 4)}${i}`.slice(0, 16);
    const email = `person.${options.prefix}.${i}@${mailDomains[i % mailDomains.length]}`;
    const user: SeedUser = { id, userPrincipalName: upn, employeeId, displayName: `Hire ${i}` };
    const ref: Record<string, string> = { userPrincipalName: upn };
    let contact: Record<string, string> = {};
    let country: string = "US";

    switch (kind) {
      case "newHire":
      case "byEmployeeId": {
        const mobile = nextNumber();
        const office = nextNumber();
        contact = {
          mobilePhone: national(mobile),
          officePhone: `${dotted(office)} x${100 + (i % 900)}`,
          alternateEmail: email,
        };
        if (kind === "byEmployeeId") {
          delete ref.userPrincipalName;
          ref.employeeId = employeeId;
        }
        break;
      }
      case "international": {
        const region = exampleRegions[i % exampleRegions.length] ?? "GB";
        const example = getExampleNumber(region, examples);
        contact = { mobilePhone: example?.formatNational() ?? "", alternateEmail: email };
        country = region;
        delete ref.userPrincipalName;
        ref.id = id;
        break;
      }
      case "reformat": {
        const mobile = nextNumber();
        const office = nextNumber();
        user.mobilePhone = national(mobile);
        user.authentication = {
          phoneMethods: [{ phoneType: "mobile", phoneNumber: spacedInternational(mobile) }],
        };
        contact = { mobilePhone: dashed(mobile), officePhone: national(office) };
        break;
      }
      case "unchanged": {
        const mobile = nextNumber();
        const office = nextNumber();
        user.mobilePhone = canonicalNanp(mobile);
        user.businessPhones = [canonicalNanp(office)];
        user.otherMails = [email];
        user.authentication = {
          phoneMethods: [{ phoneType: "mobile", phoneNumber: canonicalNanp(mobile) }],
          emailMethods: [{ emailAddress: email }],
        };
        contact = {
          mobilePhone: dashed(mobile),
          officePhone: dotted(office),
          alternateEmail: email.toUpperCase(),
        };
        break;
      }
      case "ownValues": {
        const theirs = nextNumber();
        const theirOffice = nextNumber();
        const theirEmail = `own.${options.prefix}.${i}@example.net`;
        user.mobilePhone = canonicalNanp(theirs);
        user.businessPhones = [canonicalNanp(theirOffice)];
        user.otherMails = [theirEmail];
        user.authentication = {
          phoneMethods: [{ phoneType: "mobile", phoneNumber: canonicalNanp(theirs) }],
          emailMethods: [{ emailAddress: theirEmail }],
        };
        contact = {
          mobilePhone: national(nextNumber()),
          officePhone: dotted(nextNumber()),
          alternateEmail: email,
        };
        break;
      }
      case "synced": {
        user.onPremisesSyncEnabled = true;
        contact = {
          mobilePhone: national(nextNumber()),
          officePhone: dashed(nextNumber()),
          alternateEmail: email,
        };
        break;
      }
      case "privileged": {
        user.adminRoles = ["Helpdesk Administrator"];
        contact = { mobilePhone: national(nextNumber()), alternateEmail: email };
        break;
      }
      case "rejected": {
        const variants: Record<string, string>[] = [
          // Exchange 123 does not exist (the SSPR doc's own example); the valid email beside it must not leak.
          { mobilePhone: "+1 4251234567", alternateEmail: email },
          { mobilePhone: national(nextNumber()), securityAnswer: "blue" },
          { officePhone: "555-01", alternateEmail: email },
          {
            mobilePhone: dotted(nextNumber()),
            alternateEmail: `personal.${options.prefix}.${i}@contoso.example`,
          },
          { alternateEmail: "n/a", officePhone: national(nextNumber()) },
        ];
        contact = variants[i % variants.length] ?? {};
        break;
      }
    }

    for (const [key, value] of Object.entries(contact)) {
      if (key === "alternateEmail") pii.addEmail(value);
      else if (key !== "securityAnswer") pii.addPhone(value, country as CountryCode);
    }
    for (const value of [user.mobilePhone, ...(user.businessPhones ?? [])])
      if (value) pii.addPhone(value, "US");
    for (const value of user.otherMails ?? []) pii.addEmail(value);
    for (const method of user.authentication?.phoneMethods ?? []) pii.addPhone(method.phoneNumber, "US");
    for (const method of user.authentication?.emailMethods ?? []) pii.addEmail(method.emailAddress);

    const event = {
      eventId: `${options.prefix}-${i}`,
      source: "reliability",
      occurredAt: new Date(Date.UTC(2026, 10, 24, 8, 0, 0) + i * 1000).toISOString(),
      user: ref,
      country,
      contact,
    };
    cases.push({
      kind,
      user,
      event,
      route: kind === "rejected" || random() < 0.25 ? "queue" : "webhook",
      duplicate: random() < 0.05,
    });
  }
  return {
    tenant: {
      tenant: { domain: "contoso.example", bypassDirSyncOverridesEnabled: false },
      users: cases.map((c) => c.user),
    },
    cases,
    pii,
  };
}

/** What one event must end as, from the product's own planner run on the seeded state (what "the plans say"). */
export interface Expectation {
  status: OutcomeStatus;
  /** `field/target action` per field, in plan order. */
  fields: string[];
  /** Writes the tenant must have seen for the user: emulator property key → count (each 0 or 1). */
  writes: Record<string, number>;
  /** The user's contact state once the event is done. */
  state: ContactSnapshot;
}

/** The contact-relevant part of an emulated user. */
export interface ContactSnapshot {
  mobilePhone: string | null;
  businessPhones: string[];
  otherMails: string[];
  phoneMethods: Record<string, string>;
  emailMethod: string | null;
}

/** The snapshot of a live emulated user. */
export function snapshotOf(user: EmulatedUser): ContactSnapshot {
  return {
    mobilePhone: user.mobilePhone,
    businessPhones: [...user.businessPhones],
    otherMails: [...user.otherMails],
    phoneMethods: { ...user.phoneMethods },
    emailMethod: user.emailMethod,
  };
}

/**
 * The oracle: validates the event and plans it against the seeded user with the product's rules and planner,
 * then says which writes must have happened once. A privileged user is never written: every field skipped.
 */
export function expectationFor(testCase: ScenarioCase): Expectation {
  const seed = testCase.user;
  const state: ContactSnapshot = {
    mobilePhone: seed.mobilePhone ?? null,
    businessPhones: [...(seed.businessPhones ?? [])],
    otherMails: [...(seed.otherMails ?? [])],
    phoneMethods: Object.fromEntries(
      (seed.authentication?.phoneMethods ?? []).map((m) => [m.phoneType, m.phoneNumber]),
    ),
    emailMethod: seed.authentication?.emailMethods?.[0]?.emailAddress ?? null,
  };
  const validated = validateContactEvent(testCase.event, scenarioRules);
  if (!validated.ok) return { status: "rejected", fields: [], writes: {}, state };

  const user: UserContactState = {
    id: seed.id.toLowerCase(),
    userPrincipalName: seed.userPrincipalName,
    mail: null,
    mobilePhone: state.mobilePhone,
    businessPhones: state.businessPhones,
    otherMails: state.otherMails,
    onPremisesSyncEnabled: seed.onPremisesSyncEnabled ?? null,
    employeeId: seed.employeeId ?? null,
    createdDateTime: null,
  };
  const methods: AuthMethods = {
    phoneMethods: (seed.authentication?.phoneMethods ?? []).map((m) => ({
      id: phoneMethodIds[m.phoneType],
      phoneNumber: m.phoneNumber,
      phoneType: m.phoneType,
    })),
    emailMethods: (seed.authentication?.emailMethods ?? []).map((m) => ({
      id: emailMethodId,
      emailAddress: m.emailAddress,
    })),
    otherMethods: [],
  };
  const plan = planSync({
    user,
    methods,
    contact: validated.value.contact,
    policy: scenarioPolicy,
    ...(validated.value.country ? { country: validated.value.country } : {}),
  });
  const privileged = (seed.adminRoles ?? []).length > 0 || (seed.eligibleRoles ?? []).length > 0;
  if (privileged) {
    const fields = plan.fields.map((field) => `${field.field}/${field.target} skipped`);
    return { status: "skipped", fields, writes: {}, state };
  }
  const actions: Pick<FieldPlan, "field" | "target" | "action">[] = plan.fields.map((field) => ({
    field: field.field,
    target: field.target,
    action: field.action,
  }));
  const writes: Record<string, number> = {};
  const after: ContactSnapshot = structuredClone(state);
  if (plan.patch) {
    for (const [property, value] of Object.entries(plan.patch)) {
      writes[property] = 1;
      if (property === "mobilePhone") after.mobilePhone = value as string;
      if (property === "businessPhones") after.businessPhones = value as string[];
      if (property === "otherMails") after.otherMails = value as string[];
    }
  }
  for (const op of plan.methodOps) {
    if (op.kind === "addPhone" || op.kind === "updatePhone") {
      const type = op.kind === "addPhone" ? op.phoneType : op.field === "mobilePhone" ? "mobile" : "office";
      writes[`phoneMethods/${type}`] = 1;
      after.phoneMethods[type] = op.phoneNumber;
    } else {
      writes.emailMethods = 1;
      after.emailMethod = op.emailAddress;
    }
  }
  return {
    status: statusOf(actions),
    fields: actions.map((field) => `${field.field}/${field.target} ${field.action}`),
    writes,
    state: after,
  };
}
