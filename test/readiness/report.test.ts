import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../cli/reportCommand.js";
import type { SeedUser } from "../../local/graphEmulator/EmulatedTenant.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { aSeedUser, startEmulator } from "../support/graphEmulatorFixtures.js";

// A tenant of 1,050 users (two pages of $top=999) whose values are chosen so each verdict's count is known.
const userCount = 1050;
type Verdict = "usable" | "notCanonical" | "invalid" | "missing";
type Field = "mobilePhone" | "officePhone" | "alternateEmail";
type Bucket = "canResetNow" | "afterPrepopulation" | "cannot";

const phoneValue: Record<Verdict, (n: number) => string | undefined> = {
  usable: (n) => `+1 42555501${String(n % 100).padStart(2, "0")}`,
  // In the national form of the user's own country (usageLocation): the report reads it there, as the feed would.
  notCanonical: (n) => nationalNumber[countryOf(n)](String(n % 100).padStart(2, "0")),
  invalid: () => "123", // too short in every country the test uses
  missing: () => undefined,
};
const emailValue: Record<Verdict, (n: number) => string | undefined> = {
  usable: (n) => `someone.${n}@example.org`,
  notCanonical: (n) => `someone.${n}@example.org`, // emails have no canonical form: never used below
  invalid: (n) => `user${n}@contoso.example`, // the organization's own domain: useless to a locked-out user
  missing: () => undefined,
};

/**
 * Which verdict user n gets for each field: a different rhythm per field, so the counts all differ. Every 31st user
 * is a synced one with no phone and the organization's own address as alternate email: nothing the cloud may fill.
 */
function planOf(n: number): Record<Field, Verdict> {
  if (n % 31 === 0) return { mobilePhone: "missing", officePhone: "missing", alternateEmail: "invalid" };
  const mobile: Verdict =
    n % 7 === 0 ? "invalid" : n % 5 === 0 ? "notCanonical" : n % 2 === 0 ? "usable" : "missing";
  const office: Verdict =
    n % 11 === 0 ? "invalid" : n % 3 === 0 ? "notCanonical" : n % 4 === 0 ? "usable" : "missing";
  const email: Verdict = n % 13 === 0 ? "invalid" : n % 3 === 1 ? "usable" : "missing";
  return { mobilePhone: mobile, officePhone: office, alternateEmail: email };
}

// What the tenant knows besides the profile, each on its own rhythm (overlaps are decided in the report's order).
const isSynced = (n: number) => n % 6 === 0 || n % 31 === 0;
const isDisabled = (n: number) => n % 97 === 0;
const isGuest = (n: number) => n % 89 === 0;
const ssprOff = (n: number) => n % 23 === 0;
/** An active Helpdesk Administrator: the registration report says isAdmin. */
const isAdmin = (n: number) => n % 151 === 0;
/** PIM-eligible only: the report's isAdmin is false, the app's privilege guard stops them. */
const isEligible = (n: number) => n % 173 === 0;
/** Registered a mobile phone method of their own. */
const hasMethod = (n: number) => n % 17 === 0;
/** The tenant does not count them as registered, whatever they hold (a test's override of the derivation). */
const notCounted = (n: number) => n % 19 === 0 || n % 31 === 0;
/** A fictional number in national form per country: NANP 555-01xx, libphonenumber's example mobiles of GB and DE. */
const nationalNumber: Record<(typeof countries)[number], (nn: string) => string> = {
  US: (nn) => `(206) 555-01${nn}`,
  GB: (nn) => `07400 1234${nn}`,
  DE: (nn) => `0151 234567${nn}`,
};
const departments = ["Sales", "Engineering", "Finance", "Support"] as const;
const countries = ["US", "GB", "DE"] as const;
/** Every fifth user is a new hire (created 5 days before the run): the only ones the HR feed still writes. */
const isRecentHire = (n: number) => n % 5 === 0;
const departmentOf = (n: number) => departments[n % 4] ?? "Sales";
const countryOf = (n: number) => countries[n % 3] ?? "US";

function seedUser(n: number): SeedUser {
  const plan = planOf(n);
  const mobile = phoneValue[plan.mobilePhone](n);
  const office = phoneValue[plan.officePhone](n);
  const email = emailValue[plan.alternateEmail](n);
  return aSeedUser(n, {
    mobilePhone: mobile ?? null,
    businessPhones: office ? [office] : [],
    otherMails: email ? [email] : [],
    department: departmentOf(n),
    usageLocation: countryOf(n),
    createdDateTime: isRecentHire(n) ? "2026-11-20T08:00:00Z" : "2024-03-01T08:00:00Z",
    ...(isSynced(n) ? { onPremisesSyncEnabled: true } : {}),
    ...(isDisabled(n) ? { accountEnabled: false } : {}),
    ...(isGuest(n) ? { userType: "Guest" as const } : {}),
    ...(isAdmin(n) ? { adminRoles: ["Helpdesk Administrator"] } : {}),
    ...(isEligible(n) ? { eligibleRoles: ["User Administrator"] } : {}),
    ...(hasMethod(n)
      ? { authentication: { phoneMethods: [{ phoneType: "mobile" as const, phoneNumber: "+1 4255550100" }] } }
      : {}),
    sspr: { ...(ssprOff(n) ? { enabled: false } : {}), ...(notCounted(n) ? { registered: false } : {}) },
  });
}

/**
 * The bucket (and reason) user n must get, worked out from the plan and the rules as documented (docs/backfill.md,
 * "How to read the report"), not from the code under test. The emulated tenant counts a user as registered for
 * SSPR with a registered method only, as the report's page defines it (profile data does not count); the app's
 * settings are the defaults: profile target, fillEmpty, synced mobiles skipped.
 */
function expectedOf(n: number): { bucket: Bucket; reason?: string; fields?: Field[]; ruleCode?: string } {
  const plan = planOf(n);
  if (isDisabled(n)) return { bucket: "cannot", reason: "account_disabled" };
  if (isGuest(n)) return { bucket: "cannot", reason: "guest" };
  // Registered methods only: the report's page defines isSsprRegistered by the methods a user registered, so the
  // profile's values, prepopulated or not, don't count (the emulated tenant follows it).
  const registered = !notCounted(n) && hasMethod(n);
  if (registered && !ssprOff(n)) return { bucket: "canResetNow" };
  if (ssprOff(n)) return { bucket: "cannot", reason: "sspr_not_enabled" };
  if (isAdmin(n)) return { bucket: "cannot", reason: "privileged" };
  type State = "present" | "fillable" | "synced" | "invalid";
  const state = (field: Field): State => {
    if (field === "mobilePhone" && hasMethod(n)) return "present";
    if (plan[field] === "usable") return "present";
    if (isSynced(n) && field !== "alternateEmail") return "synced";
    if (plan[field] === "invalid") return "invalid";
    return "fillable";
  };
  const fields = (["mobilePhone", "officePhone", "alternateEmail"] as const).filter(
    (f) => state(f) === "fillable",
  );
  if (state("mobilePhone") === "fillable" || state("alternateEmail") === "fillable") {
    if (isEligible(n)) return { bucket: "cannot", reason: "privileged" };
    return { bucket: "afterPrepopulation", fields };
  }
  if (state("mobilePhone") === "synced") return { bucket: "cannot", reason: "synced_in_ad" };
  if (state("mobilePhone") === "invalid")
    return { bucket: "cannot", reason: "invalid_data", ruleCode: "phone_too_short" };
  if (state("alternateEmail") === "invalid") {
    return { bucket: "cannot", reason: "invalid_data", ruleCode: "email_is_organizational" };
  }
  return { bucket: "cannot", reason: "set_not_counted" };
}

function expectedTotals() {
  const buckets: Record<Bucket, number> = { canResetNow: 0, afterPrepopulation: 0, cannot: 0 };
  const reasons: Record<string, number> = {};
  const fillable: Record<Field, number> = { mobilePhone: 0, officePhone: 0, alternateEmail: 0 };
  const ruleCodes: Record<string, number> = {};
  const byDepartment: Record<string, Record<Bucket, number>> = {};
  const byCountry: Record<string, Record<Bucket, number>> = {};
  for (let n = 1; n <= userCount; n++) {
    const e = expectedOf(n);
    buckets[e.bucket]++;
    if (e.reason) reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
    if (e.ruleCode) ruleCodes[e.ruleCode] = (ruleCodes[e.ruleCode] ?? 0) + 1;
    for (const field of e.fields ?? []) fillable[field]++;
    for (const [table, key] of [
      [byDepartment, departmentOf(n)],
      [byCountry, countryOf(n)],
    ] as const) {
      table[key] ??= { canResetNow: 0, afterPrepopulation: 0, cannot: 0 };
      table[key][e.bucket]++;
    }
  }
  return { buckets, reasons, fillable, ruleCodes, byDepartment, byCountry };
}

/** The per-field profile counts (all users), computed from the plan. */
function expectedFieldCounts() {
  const empty = () => ({ usable: 0, notCanonical: 0, invalid: 0, missing: 0 });
  const make = () => ({
    users: 0,
    ssprReady: 0,
    fields: { mobilePhone: empty(), officePhone: empty(), alternateEmail: empty() } as Record<
      Field,
      Record<Verdict, number>
    >,
  });
  const counts = { all: make(), synced: make(), cloudOnly: make() };
  for (let n = 1; n <= userCount; n++) {
    const plan = planOf(n);
    const ready = plan.mobilePhone === "usable" || plan.alternateEmail === "usable";
    for (const population of [counts.all, isSynced(n) ? counts.synced : counts.cloudOnly]) {
      population.users++;
      if (ready) population.ssprReady++;
      for (const field of ["mobilePhone", "officePhone", "alternateEmail"] as const) {
        population.fields[field][plan[field]]++;
      }
    }
  }
  return counts;
}

/** A summary an earlier run left in the history folder. */
const earlierRun = {
  schema: "sspr-prepop.readiness-summary/1",
  generatedAt: "2026-11-18T08:00:00.000Z",
  source: "registrationReport",
  users: 1000,
  buckets: { canResetNow: 400, afterPrepopulation: 450, cannot: 150 },
};

let emulator: GraphEmulator;
let dir: string;
let html: string;
let csv: string;
let stdout: string;
let stderr: string;

beforeAll(async () => {
  emulator = await startEmulator({
    tenant: {
      tenant: { domain: "contoso.example", displayName: "Contoso Pharmaceuticals" },
      users: Array.from({ length: userCount }, (_, i) => seedUser(i + 1)),
    },
  });
  emulator.tenant.grantPermission("AuditLog.Read.All");
  emulator.tenant.grantPermission("Organization.Read.All");
  dir = await mkdtemp(join(tmpdir(), "sspr-report-"));
  await writeFile(join(dir, "readiness-2026-11-18T080000Z.json"), JSON.stringify(earlierRun));
  const out = new PassThrough();
  const err = new PassThrough();
  let text = "";
  let errText = "";
  out.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  err.setEncoding("utf8").on("data", (chunk: string) => {
    errText += chunk;
  });
  const code = await reportCommand(
    [
      "--out",
      join(dir, "readiness.html"),
      "--csv",
      join(dir, "readiness.csv"),
      "--users",
      join(dir, "users.csv"),
      "--history",
      dir,
      "--country",
      "US",
    ],
    {
      stdin: Readable.from([]),
      stdout: out,
      stderr: err,
      env: {
        GRAPH_BASE_URL: emulator.url,
        GRAPH_ACCESS_TOKEN: emulator.token,
        GRAPH_RETRY_DELAY_SECONDS: "0",
        ORGANIZATION_DOMAINS: "contoso.example",
      },
    },
    { now: () => new Date("2026-11-25T08:00:00Z") },
  );
  expect(code).toBe(0);
  stdout = text;
  stderr = errText;
  html = await readFile(join(dir, "readiness.html"), "utf8");
  csv = await readFile(join(dir, "readiness.csv"), "utf8");
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The CSV's rows as `section/group/item` → users. */
function csvCounts(): Map<string, number> {
  const rows = csv.trim().split("\n").slice(1);
  return new Map(
    rows.map((line) => {
      const [section, group, item, users] = line.split(",");
      return [`${section}/${group}/${item}`, Number(users)];
    }),
  );
}

describe("sspr-prepop report, with the tenant's registration report", () => {
  it("reads the domains, the tenant's name, the registration report, the users, and privilege checks; writes nothing", () => {
    const requests = emulator.stats.requests;
    expect(requests["GET domains"]).toBe(1);
    expect(requests["GET organization"]).toBe(1);
    // 1,040 enabled users at 1,000 a page; 1,050 users at 999 a page.
    expect(requests["GET registrationDetails"]).toBe(2);
    expect(requests["GET users"]).toBe(2);
    // The privilege guard's $batch reads, for the users prepopulation would write only.
    expect(requests["POST $batch"]).toBeGreaterThan(0);
    expect(emulator.stats.writes).toEqual({});
    expect(stderr).not.toMatch(/profile-only/);
  });

  it("puts every user in exactly one bucket, with the counts the seeded tenant implies", () => {
    const expected = expectedTotals();
    const counts = csvCounts();
    expect(counts.get("run//users")).toBe(userCount);
    for (const bucket of ["canResetNow", "afterPrepopulation", "cannot"] as const) {
      expect(counts.get(`bucket/all/${bucket}`), bucket).toBe(expected.buckets[bucket]);
    }
    expect(expected.buckets.canResetNow + expected.buckets.afterPrepopulation + expected.buckets.cannot).toBe(
      userCount,
    );
    expect(stdout).toMatch(new RegExp(`^canResetNow\\s+${expected.buckets.canResetNow}\\s`, "m"));
  });

  it("counts every reason, and every reason occurs in this tenant", () => {
    const expected = expectedTotals();
    const counts = csvCounts();
    for (const reason of [
      "account_disabled",
      "guest",
      "sspr_not_enabled",
      "privileged",
      "synced_in_ad",
      "invalid_data",
      "set_not_counted",
    ]) {
      expect(expected.reasons[reason], reason).toBeGreaterThan(0);
      expect(counts.get(`reason/cannot/${reason}`), reason).toBe(expected.reasons[reason]);
    }
    expect(counts.get("reason/cannot/privilege_unknown")).toBe(0);
    for (const [code, n] of Object.entries(expected.ruleCodes)) {
      expect(counts.get(`ruleCode/invalid_data/${code}`), code).toBe(n);
    }
  });

  it("names the fields prepopulation would fill", () => {
    const expected = expectedTotals();
    const counts = csvCounts();
    for (const field of ["mobilePhone", "officePhone", "alternateEmail"] as const) {
      expect(counts.get(`fillable/afterPrepopulation/${field}`), field).toBe(expected.fillable[field]);
    }
  });

  it("counts per department and per country", () => {
    const expected = expectedTotals();
    const counts = csvCounts();
    for (const [name, buckets] of Object.entries(expected.byDepartment)) {
      for (const [bucket, n] of Object.entries(buckets)) {
        expect(counts.get(`department/${name}/${bucket}`), `${name} ${bucket}`).toBe(n);
      }
    }
    for (const [name, buckets] of Object.entries(expected.byCountry)) {
      for (const [bucket, n] of Object.entries(buckets)) {
        expect(counts.get(`country/${name}/${bucket}`), `${name} ${bucket}`).toBe(n);
      }
    }
  });

  it("lists what to do next, most users first, from the counts", () => {
    const expected = expectedTotals();
    const next = csv
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("next,"));
    expect(next.length).toBeGreaterThanOrEqual(3);
    expect(next[0]).toContain(`next,1,run_backfill,${expected.buckets.afterPrepopulation}`);
    // The HR feed writes only accounts created within NEW_HIRE_DAYS (30): it is offered for those alone.
    const feedReaches = Array.from({ length: userCount }, (_, i) => i + 1).filter(
      (n) => isRecentHire(n) && expectedOf(n).bucket === "afterPrepopulation",
    ).length;
    expect(feedReaches).toBeGreaterThan(0);
    expect(feedReaches).toBeLessThan(expected.buckets.afterPrepopulation);
    expect(next[0]).toContain(`the HR feed reaches only ${feedReaches} of them, created in the last 30 days`);
    expect(csv).toMatch(/next,\d,enable_sspr,/);
    expect(stdout).toContain("What to do next:");
  });

  it("keeps the profile's per-field counts beside the buckets", () => {
    const fields = expectedFieldCounts();
    const counts = csvCounts();
    expect(counts.get("field/all/mobilePhone.usable")).toBe(fields.all.fields.mobilePhone.usable);
    expect(counts.get("field/synced/officePhone.invalid")).toBe(fields.synced.fields.officePhone.invalid);
  });

  it("lists users with their bucket, reason and masked values only", async () => {
    const users = await readFile(join(dir, "users.csv"), "utf8");
    const lines = users.trim().split("\n");
    expect(lines[0]).toBe(
      "id,userPrincipalName,department,country,synced,bucket,reason,fields,ruleCode,detail,mobilePhone,mobilePhoneValue,mobilePhoneCode,officePhone,officePhoneValue,officePhoneCode,alternateEmail,alternateEmailValue,alternateEmailCode",
    );
    expect(lines).toHaveLength(userCount + 1);
    expect(users).not.toMatch(/555-?01\d\d/);
    expect(users).not.toMatch(/someone\.\d+@/);
    expect(users).toContain("s***@e***.org");
    // User 97 is disabled, user 23 outside the SSPR policy, user 17 can reset (a registered mobile method), user 2
    // has a usable profile mobile the tenant does not count as registered (so the other fields would fill), user 5
    // has a non-canonical mobile and nothing else.
    const row = (n: number) => lines.find((line) => line.startsWith(`${aSeedUser(n).id},`)) ?? "";
    expect(row(97)).toContain(",cannot,account_disabled,");
    expect(row(23)).toContain(",cannot,sspr_not_enabled,");
    expect(row(17)).toContain(",canResetNow,tenant,");
    expect(row(2)).toContain(",afterPrepopulation,,officePhone alternateEmail,");
    expect(row(5)).toContain(",afterPrepopulation,,mobilePhone officePhone alternateEmail,");
  });

  it("keeps this run's summary in the history folder, private, without personal data", async () => {
    const path = join(dir, "readiness-2026-11-25T080000Z.json");
    const kept = JSON.parse(await readFile(path, "utf8"));
    expect(kept).toMatchObject({
      schema: "sspr-prepop.readiness-summary/1",
      tenant: "Contoso Pharmaceuticals",
      source: "registrationReport",
      users: userCount,
    });
    expect(JSON.stringify(kept)).not.toMatch(/@|\+1 /);
  });

  it("writes one self-contained page: inline CSS and SVG, no script, no URL at all", () => {
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(|@import/i);
    expect(html).toContain("<svg");
    expect(html).toContain("<style>");
  });
});

/** What the test reads of an element: the text as rendered (innerText), and its data attributes. */
type Shown = { innerText: string; dataset: Record<string, string | undefined> };

// The page as a person sees it: Debian's chromium, driven by playwright-core (no browser download).
const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
if (!haveChromium && process.env.CI !== "true") {
  console.warn(
    `\n*** SKIPPING the Chromium render test: ${chromiumPath} is missing. Install it with: apt-get update && apt-get install -y chromium ***\n`,
  );
}

describe.skipIf(!haveChromium && process.env.CI !== "true")("the readiness page in headless Chromium", () => {
  it("shows the tenant, a readable date, every count as text, bars in proportion, and the trend", async () => {
    if (!haveChromium) {
      throw new Error(
        `${chromiumPath} is missing: CI must install Debian's chromium (.ci/run does: apt-get install chromium)`,
      );
    }
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      chromiumSandbox: false,
      // What this machine's Chromium needs: no sandbox as root, and no background calls to Google's hosts.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      const url = pathToFileURL(join(dir, "readiness.html")).href;
      await page.goto(url);
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person sees
      const text = (selector: string) => page.$eval(selector, (el) => (el as unknown as Shown).innerText);
      const all = async (selector: string) =>
        page.$$eval(selector, (cells) =>
          cells.map((cell) => ({
            data: { ...(cell as unknown as Shown).dataset },
            // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person sees
            text: (cell as unknown as Shown).innerText,
          })),
        );
      const toNumber = (shown: string) => Number(shown.replace(/,/g, ""));
      const expected = expectedTotals();

      expect(await text("h1")).toBe("SSPR readiness: Contoso Pharmaceuticals");
      expect(await text("p.meta time")).toBe("Wednesday 25 November 2026, 08:00 UTC");

      const kpis = await all("strong[data-bucket][data-measure]");
      expect(kpis.map((k) => [k.data.bucket, toNumber(k.text)])).toEqual(
        Object.entries(expected.buckets).map(([bucket, n]) => [bucket, n]),
      );
      const tableCells = await all("td[data-table='buckets']");
      expect(tableCells.map((c) => toNumber(c.text))).toEqual(Object.values(expected.buckets));
      const reasons = await all("td[data-reason]");
      expect(Object.fromEntries(reasons.map((c) => [c.data.reason, toNumber(c.text)]))).toEqual(
        expected.reasons,
      );
      const fillable = await all("td[data-fillable]");
      expect(Object.fromEntries(fillable.map((c) => [c.data.fillable, toNumber(c.text)]))).toEqual(
        expected.fillable,
      );
      const groups = await all("td[data-group-kind]");
      for (const cell of groups) {
        const table = cell.data.groupKind === "department" ? expected.byDepartment : expected.byCountry;
        expect(toNumber(cell.text), `${cell.data.group} ${cell.data.bucket}`).toBe(
          table[cell.data.group ?? ""]?.[cell.data.bucket as Bucket],
        );
      }
      expect(groups).toHaveLength((4 + 3) * 3);
      const steps = await all("li[data-step]");
      expect(steps[0]?.data.step).toBe("run_backfill");
      expect(steps[0]?.text).toContain(
        `${expected.buckets.afterPrepopulation.toLocaleString("en-US")} users`,
      );

      // The profile's per-field tables, as before.
      const fields = expectedFieldCounts();
      const shown = await all("[data-population][data-field][data-verdict]");
      expect(shown).toHaveLength(3 * 3 * 4);
      for (const cell of shown) {
        const population = fields[cell.data.population as keyof typeof fields];
        expect(toNumber(cell.text), `${cell.data.population} ${cell.data.field} ${cell.data.verdict}`).toBe(
          population.fields[cell.data.field as Field][cell.data.verdict as Verdict],
        );
      }

      // Each bar's segments are as wide as their share of the users.
      const bars = await page.$$eval("rect[data-chart]", (rects) =>
        rects.map((rect) => ({
          chart: rect.getAttribute("data-chart") ?? "",
          segment: rect.getAttribute("data-segment") ?? "",
          width: rect.getBoundingClientRect().width,
        })),
      );
      const full = bars.filter((b) => b.chart === "buckets").reduce((sum, b) => sum + b.width, 0);
      for (const bar of bars.filter((b) => b.chart === "buckets")) {
        expect(bar.width / full, bar.segment).toBeCloseTo(
          expected.buckets[bar.segment as Bucket] / userCount,
          2,
        );
      }
      for (const bar of bars.filter((b) => b.chart === "reasons")) {
        expect(bar.width / full, bar.segment).toBeCloseTo(
          (expected.reasons[bar.segment] ?? 0) / userCount,
          2,
        );
      }
      for (const bar of bars.filter((b) =>
        ["mobilePhone", "officePhone", "alternateEmail"].includes(b.chart),
      )) {
        const share = fields.all.fields[bar.chart as Field][bar.segment as Verdict] / userCount;
        expect(bar.width / full, `${bar.chart} ${bar.segment}`).toBeCloseTo(share, 2);
      }

      // The trend: the earlier run kept in the folder, then this one, each a column of bucket shares.
      const trendRows = await all("tr[data-trend-row]");
      expect(trendRows.map((row) => row.data.trendRow)).toEqual([
        earlierRun.generatedAt,
        "2026-11-25T08:00:00.000Z",
      ]);
      const trendCells = await all("td[data-trend-cell]");
      expect(
        trendCells
          .filter((c) => c.data.trendCell === earlierRun.generatedAt)
          .map((c) => [c.data.bucket, toNumber(c.text)]),
      ).toEqual(Object.entries(earlierRun.buckets));
      const columns = await page.$$eval("rect[data-trend]", (rects) =>
        rects.map((rect) => ({
          run: rect.getAttribute("data-trend") ?? "",
          bucket: rect.getAttribute("data-bucket") ?? "",
          height: rect.getBoundingClientRect().height,
        })),
      );
      const earlier = columns.filter((c) => c.run === earlierRun.generatedAt);
      const tall = earlier.reduce((sum, c) => sum + c.height, 0);
      expect((earlier.find((c) => c.bucket === "canResetNow")?.height ?? 0) / tall).toBeCloseTo(0.4, 2);

      await page.screenshot({ path: join(dir, "readiness.png"), fullPage: true });
      // Nothing but the page itself was loaded.
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
