import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../cli/reportCommand.js";
import type { SeedUser } from "../../local/graphEmulator/EmulatedTenant.js";
import { aSeedUser } from "../support/graphEmulatorFixtures.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// A tenant of 1,050 users (two pages of $top=999) whose values are chosen so each verdict's count is known.
const userCount = 1050;
type Verdict = "usable" | "notCanonical" | "invalid" | "missing";
type Field = "mobilePhone" | "officePhone" | "alternateEmail";

const phoneValue: Record<Verdict, (n: number) => string | undefined> = {
  usable: (n) => `+1 42555501${String(n % 100).padStart(2, "0")}`,
  notCanonical: (n) => `(206) 555-01${String(n % 100).padStart(2, "0")}`,
  invalid: () => "12345",
  missing: () => undefined,
};
const emailValue: Record<Verdict, (n: number) => string | undefined> = {
  usable: (n) => `someone.${n}@example.org`,
  notCanonical: (n) => `someone.${n}@example.org`, // emails have no canonical form: never used below
  invalid: (n) => `user${n}@contoso.example`, // the organization's own domain: useless to a locked-out user
  missing: () => undefined,
};

/** Which verdict user n gets for each field: a different rhythm per field, so the counts all differ. */
function planOf(n: number): Record<Field, Verdict> {
  const mobile: Verdict =
    n % 7 === 0 ? "invalid" : n % 5 === 0 ? "notCanonical" : n % 2 === 0 ? "usable" : "missing";
  const office: Verdict =
    n % 11 === 0 ? "invalid" : n % 3 === 0 ? "notCanonical" : n % 4 === 0 ? "usable" : "missing";
  const email: Verdict = n % 13 === 0 ? "invalid" : n % 3 === 1 ? "usable" : "missing";
  return { mobilePhone: mobile, officePhone: office, alternateEmail: email };
}

const isSynced = (n: number) => n % 6 === 0;

function seedUser(n: number): SeedUser {
  const plan = planOf(n);
  const mobile = phoneValue[plan.mobilePhone](n);
  const office = phoneValue[plan.officePhone](n);
  const email = emailValue[plan.alternateEmail](n);
  return aSeedUser(n, {
    mobilePhone: mobile ?? null,
    businessPhones: office ? [office] : [],
    otherMails: email ? [email] : [],
    ...(isSynced(n) ? { onPremisesSyncEnabled: true } : {}),
  });
}

/** The counts the report must show, computed from the plan (not from the code under test). */
function expectedCounts() {
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

let env: TestEnvironment;
let dir: string;
let html: string;
let stdout: string;

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: { users: Array.from({ length: userCount }, (_, i) => seedUser(i + 1)) } },
  });
  dir = await mkdtemp(join(tmpdir(), "sspr-report-"));
  const out = new PassThrough();
  let text = "";
  out.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  const code = await reportCommand(
    [
      "--out",
      join(dir, "readiness.html"),
      "--csv",
      join(dir, "readiness.csv"),
      "--users",
      join(dir, "users.csv"),
      "--country",
      "US",
    ],
    {
      stdin: Readable.from([]),
      stdout: out,
      stderr: new PassThrough().resume(),
      env: { ...process.env, ORGANIZATION_DOMAINS: "contoso.example" },
    },
    { now: () => new Date("2026-11-25T08:00:00Z") },
  );
  expect(code).toBe(0);
  stdout = text;
  html = await readFile(join(dir, "readiness.html"), "utf8");
});

afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("sspr-prepop report", () => {
  it("pages through every user with $select and $top=999: one request per page, after the tenant's domains", () => {
    expect(env.graph.stats.requests).toEqual({ "GET domains": 1, "GET users": 2 });
  });

  it("counts each field's verdicts, SSPR-ready users, and synced vs cloud-only users in the CSV", async () => {
    const expected = expectedCounts();
    const lines = (await readFile(join(dir, "readiness.csv"), "utf8")).trim().split("\n");
    expect(lines[0]).toBe("population,users,ssprReady,field,usable,notCanonical,invalid,missing");
    const want = (["all", "synced", "cloudOnly"] as const).flatMap((population) =>
      (["mobilePhone", "officePhone", "alternateEmail"] as const).map((field) => {
        const p = expected[population];
        const v = p.fields[field];
        return `${population},${p.users},${p.ssprReady},${field},${v.usable},${v.notCanonical},${v.invalid},${v.missing}`;
      }),
    );
    expect(lines.slice(1)).toEqual(want);
    expect(expected.all.users).toBe(userCount);
    expect(expected.synced.users).toBe(175);
    expect(stdout).toContain(`SSPR-ready users: ${expected.all.ssprReady} of ${userCount}`);
  });

  it("writes one self-contained page: inline CSS and SVG, no script, no URL at all", () => {
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(|@import/i);
    expect(html).toContain("<svg");
    expect(html).toContain("<style>");
  });

  it("lists users with masked values only", async () => {
    const users = await readFile(join(dir, "users.csv"), "utf8");
    expect(users.split("\n")[0]).toBe(
      "id,userPrincipalName,synced,ssprReady,mobilePhone,mobilePhoneValue,mobilePhoneCode,officePhone,officePhoneValue,officePhoneCode,alternateEmail,alternateEmailValue,alternateEmailCode",
    );
    expect(users.split("\n")).toHaveLength(userCount + 2);
    expect(users).not.toMatch(/555-?01\d\d/);
    expect(users).not.toMatch(/someone\.\d+@/);
    expect(users).toContain("s***@e***.org");
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
  it("shows the computed counts as text and draws each bar segment in proportion", async () => {
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
      const shown = await page.$$eval("[data-population][data-field][data-verdict]", (cells) =>
        cells.map((cell) => ({
          population: (cell as unknown as Shown).dataset.population ?? "",
          field: (cell as unknown as Shown).dataset.field ?? "",
          verdict: (cell as unknown as Shown).dataset.verdict ?? "",
          // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person sees
          text: (cell as unknown as Shown).innerText,
        })),
      );
      const measures = await page.$$eval("[data-population][data-measure]", (cells) =>
        cells.map((cell) => ({
          key: `${(cell as unknown as Shown).dataset.population}.${(cell as unknown as Shown).dataset.measure}`,
          // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person sees
          text: (cell as unknown as Shown).innerText,
        })),
      );
      const bars = await page.$$eval("rect[data-chart]", (rects) =>
        rects.map((rect) => ({
          chart: rect.getAttribute("data-chart") ?? "",
          verdict: rect.getAttribute("data-verdict") ?? "",
          width: rect.getBoundingClientRect().width,
        })),
      );
      await page.screenshot({ path: join(dir, "readiness.png"), fullPage: true });

      const expected = expectedCounts();
      const toNumber = (text: string) => Number(text.replace(/,/g, ""));
      expect(shown).toHaveLength(3 * 3 * 4);
      for (const cell of shown) {
        const population = expected[cell.population as keyof typeof expected];
        expect(toNumber(cell.text), `${cell.population} ${cell.field} ${cell.verdict}`).toBe(
          population.fields[cell.field as Field][cell.verdict as Verdict],
        );
      }
      for (const { key, text } of measures) {
        const [population = "", measure = ""] = key.split(".");
        const counts = expected[population as keyof typeof expected];
        expect(toNumber(text), key).toBe(measure === "users" ? counts.users : counts.ssprReady);
      }
      expect(measures.map((m) => m.key)).toContain("all.ssprReady");

      // Segments of one bar are as wide as their share of the users.
      const full = bars.filter((b) => b.chart === "mobilePhone").reduce((sum, b) => sum + b.width, 0);
      for (const bar of bars.filter((b) => b.chart !== "ssprReady")) {
        const share = expected.all.fields[bar.chart as Field][bar.verdict as Verdict] / userCount;
        expect(bar.width / full, `${bar.chart} ${bar.verdict}`).toBeCloseTo(share, 2);
      }
      const ready = bars.find((b) => b.chart === "ssprReady" && b.verdict === "ready");
      expect((ready?.width ?? 0) / full).toBeCloseTo(expected.all.ssprReady / userCount, 2);
      // Nothing but the page itself was loaded.
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
    }
  });
});
