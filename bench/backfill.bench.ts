/**
 * `npm run bench:backfill`: `sspr-prepop backfill` on a 10,000-user emulated tenant with 20 ms latency per Graph
 * request and Graph's write budget scaled down (3,000 per 150 s → 1,000 per 4 s, so the run takes seconds, not
 * minutes), against a naive client doing the seed's PowerShell pattern on the same data: one user at a time,
 * GET the user, then PATCH. The naive client is latency-bound (≈ 2 × 20 ms per user whatever the budget), so it
 * runs on the first 500 users and its time is extrapolated per user to 10,000; the table says so.
 * The product runs twice: Graph only (`--no-outcomes`), and recording every outcome in Azurite as the queue path
 * does. Azurite keeps tables in one in-memory process and manages ≈ 750 table operations/s on a 2-core machine; an
 * outcome costs 4, so at this scaled budget (250 writes/s) Azurite, not Graph, bounds the second run. At Graph's
 * real budget (20 writes/s ⇒ 80 table operations/s) storage is far from a bottleneck.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { parsePhoneNumber } from "libphonenumber-js/max";
import { runBackfillCommand } from "../cli/backfillCommand.js";
import type { SeedGroup, SeedUser } from "../local/graphEmulator/EmulatedTenant.js";
import { type GraphEmulator, startGraphEmulator } from "../local/graphEmulator/startGraphEmulator.js";
import { startAzurite } from "../local/startAzurite.js";
import { loadSettings } from "../shared/app/config.js";
import { deploymentPolicyFromSettings } from "../shared/app/deploymentPolicyFromSettings.js";
import { writeReserve } from "../shared/app/graphDirectoryFromSettings.js";
import { protectionPolicyFrom } from "../shared/app/protectionPolicyFrom.js";

/**
 * Two profiles. The default is fast (a scaled budget). `--graph` is issue 14's target at Graph's real budget: 6,000
 * users of whom 3,600 need a write (the other 2,400 already have their values), a bucket of 3,000 refilling at
 * 20/s, 100 ms per Graph request, outcomes recorded in Azurite — the bucket's minimum is (3,600 − 3,000) / 20 =
 * 30 s.
 */
const graphProfile = process.argv.includes("--graph");
const userCount = graphProfile ? 6_000 : 10_000;
/** Users who already have the values the export asks for: read, planned `unchanged`, never written. */
const presetCount = graphProfile ? 2_400 : 0;
const writesNeeded = userCount - presetCount;
const naiveUsers = graphProfile ? 150 : 500;
const graphLatencyMs = graphProfile ? 100 : 20;
const benchWriteBudget = graphProfile ? 3_000 : 1_000;
const benchWriteWindowMs = graphProfile ? 150_000 : 4_000;
const limiterReserve = writeReserve(benchWriteBudget, benchWriteWindowMs / 1000);

/** 100 NANP area codes whose 555-0100…0199 numbers libphonenumber accepts as valid US numbers. */
function areaCodes(): number[] {
  const codes: number[] = [];
  for (let area = 201; area <= 989 && codes.length < 100; area++) {
    try {
      const phone = parsePhoneNumber(`+1${area}5550100`);
      if (phone.isValid() && phone.country === "US") codes.push(area);
    } catch {
      // not an area code in use
    }
  }
  if (codes.length < 100) throw new Error(`only ${codes.length} usable area codes`);
  return codes;
}

/** 10,000 distinct fictional numbers: 100 area codes × 555-0100…0199, national format as HR systems export them. */
function generate(): { users: SeedUser[]; csv: string } {
  const areas = areaCodes();
  const users: SeedUser[] = [];
  const rows = ["userPrincipalName,employeeId,country,mobilePhone,alternateEmail"];
  for (let i = 0; i < userCount; i++) {
    const upn = `bench.user${i}@contoso.example`;
    const area = areas[Math.floor(i / 100)] ?? 425;
    const preset = i % userCount >= writesNeeded;
    users.push({
      id: `00000000-0000-4000-9000-${i.toString(16).padStart(12, "0")}`,
      userPrincipalName: upn,
      mail: upn,
      employeeId: `B${i}`,
      ...(preset
        ? {
            mobilePhone: `+1 ${area}55501${String(i % 100).padStart(2, "0")}`,
            otherMails: [`bench.${i}@example.org`],
          }
        : {}),
    });
    rows.push(`${upn},B${i},US,(${area}) 555-01${String(i % 100).padStart(2, "0")},bench.${i}@example.org`);
  }
  return { users, csv: `${rows.join("\n")}\n` };
}

/**
 * The tenant's admins, for the complete guard to read at every refresh of its picture: 30 users holding roles
 * directly (some PIM-eligible, some scoped to an administrative unit), 10 role-assignable groups holding a role,
 * each with 5 members, 2 owners and 3 PIM-eligible members, and a protected group of 200 members through a nested
 * group. None of them is in the export: they cost the guard reads, not rows.
 */
const protectedGroupId = "00000000-0000-4000-a000-00000000ffff";
function admins(): { users: SeedUser[]; groups: SeedGroup[] } {
  const id = (n: number) => `00000000-0000-4000-a000-${n.toString(16).padStart(12, "0")}`;
  const user = (n: number, extra: Partial<SeedUser> = {}): SeedUser => ({
    id: id(n),
    userPrincipalName: `admin${n}@contoso.example`,
    ...extra,
  });
  const roles = [
    "Global Administrator",
    "User Administrator",
    "Helpdesk Administrator",
    "Security Administrator",
  ];
  const users: SeedUser[] = [];
  for (let n = 0; n < 30; n++) {
    const role = roles[n % roles.length] ?? "Global Administrator";
    users.push(
      user(
        n,
        n % 3 === 0
          ? { eligibleRoles: [role] }
          : n % 5 === 0
            ? { scopedRoles: [{ role, administrativeUnitId: id(0xaaaa) }] }
            : { adminRoles: [role] },
      ),
    );
  }
  const groups: SeedGroup[] = [];
  for (let g = 0; g < 10; g++) {
    const base = 100 + g * 10;
    for (let k = 0; k < 10; k++) users.push(user(base + k));
    groups.push({
      id: id(0x1000 + g),
      displayName: `Admin Group ${g}`,
      isAssignableToRole: true,
      activeRoles: [roles[g % roles.length] ?? "Global Administrator"],
      members: [0, 1, 2, 3, 4].map((k) => id(base + k)),
      owners: [5, 6].map((k) => id(base + k)),
      eligibleMembers: [7, 8, 9].map((k) => id(base + k)),
    });
  }
  for (let k = 0; k < 200; k++) users.push(user(1000 + k));
  groups.push({
    id: id(0x2001),
    displayName: "Executives",
    members: Array.from({ length: 200 }, (_, k) => id(1000 + k)),
  });
  groups.push({ id: protectedGroupId, displayName: "Tier 0 Accounts", members: [id(0x2001)] });
  return { users, groups };
}

/** Graph GETs the privilege picture makes (the emulator's route kinds). */
const pictureRoutes = [
  "GET roleAssignments",
  "GET roleEligibilityScheduleInstances",
  "GET groups",
  "GET group",
  "GET members",
  "GET transitiveMembers",
  "GET owners",
  "GET eligibilityScheduleInstances",
  "GET roleDefinition",
];

interface Figures {
  users: number;
  seconds: number;
  writes: number;
  throttled: number;
  /** Requests Graph answered one by one: plain HTTP requests plus `$batch` items. */
  answered: number;
  httpRequests: number;
  /** Seconds from the start to the first write, between the first and the last, and from the last to the end. */
  writeSpan?: { first: number; span: number; tail: number; longestPause: number };
  /** The privilege picture's reads: how often it was read, and the resource units it cost. */
  guard?: { pictures: number; resourceUnits: number; allResourceUnits: number };
}

async function runProduct(
  emulator: GraphEmulator,
  input: string,
  storage: string,
  dir: string,
  outcomes: boolean,
): Promise<Figures> {
  const stdout = new PassThrough().resume();
  const started = performance.now();
  const code = await runBackfillCommand(
    [input, "--report", join(dir, "result.csv"), "--force", ...(outcomes ? [] : ["--no-outcomes"])],
    { stdin: Readable.from([]), stdout, stderr: process.stderr, env: benchEnv(emulator, storage) },
    // No limiter given: the command builds production's (writeLimiterFromSettings), so the run is paced exactly
    // as a real one — write bucket with its reserve and headroom, resource units, the bucket row in Azurite.
    { progressIntervalMs: 5_000 },
  );
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`backfill exited ${code}`);
  const result = await readFile(join(dir, "result.csv"), "utf8");
  const updated = result.split("\n").filter((line) => line.includes(",updated,")).length;
  if (updated !== writesNeeded) throw new Error(`expected ${writesNeeded} updated rows, saw ${updated}`);
  return { ...figuresOf(emulator, userCount, seconds), ...writeSpanOf(emulator, started, performance.now()) };
}

/** When the writes ran within the run: Graph's bucket bounds the span between the first and the last. */
function writeSpanOf(emulator: GraphEmulator, started: number, ended: number) {
  const times = [...emulator.stats.writeTimes].sort((a, b) => a - b);
  const first = times[0] ?? started;
  const last = times.at(-1) ?? ended;
  // The longest time Graph saw no write once the bucket's first burst was spent: a stall of the pacing (or the guard).
  let longestPause = 0;
  for (let k = benchWriteBudget; k < times.length; k++) {
    longestPause = Math.max(longestPause, (times[k] ?? 0) - (times[k - 1] ?? 0));
  }
  return {
    writeSpan: {
      first: (first - started) / 1000,
      span: (last - first) / 1000,
      tail: (ended - last) / 1000,
      longestPause: longestPause / 1000,
    },
  };
}

/** The seed's PowerShell loop (Get-MgUser, then Update-MgUser per row), as plain HTTP: one user at a time. */
async function runNaive(emulator: GraphEmulator, csv: string): Promise<Figures> {
  const rows = csv
    .trim()
    .split("\n")
    .slice(1, naiveUsers + 1);
  const headers = { Authorization: `Bearer ${emulator.token}`, "Content-Type": "application/json" };
  const send = async (url: string, init: RequestInit): Promise<Response> => {
    for (;;) {
      const response = await fetch(url, init);
      // Invoke-MgGraphRequest and the SDK honour Retry-After on 429, so the naive client does too.
      if (response.status !== 429) return response;
      await response.arrayBuffer();
      await new Promise((resolve) =>
        setTimeout(resolve, Number(response.headers.get("retry-after") ?? 1) * 1000),
      );
    }
  };
  const started = performance.now();
  for (const row of rows) {
    const [upn = "", , , mobile = "", email = ""] = row.split(",");
    const get = await send(
      `${emulator.url}/users/${encodeURIComponent(upn)}?$select=id,mobilePhone,otherMails`,
      {
        headers,
      },
    );
    const user = (await get.json()) as { id: string; mobilePhone: string | null; otherMails: string[] };
    const digits = mobile.replace(/\D/g, "");
    const patch: Record<string, unknown> = {};
    if (!user.mobilePhone) patch.mobilePhone = `+1 ${digits}`;
    if (user.otherMails.length === 0) patch.otherMails = [email];
    const update = await send(`${emulator.url}/users/${user.id}`, {
      method: "PATCH",
      headers,
      body: JSON.stringify(patch),
    });
    if (update.status !== 204) throw new Error(`naive PATCH answered ${update.status}`);
  }
  return figuresOf(emulator, rows.length, (performance.now() - started) / 1000);
}

function figuresOf(emulator: GraphEmulator, users: number, seconds: number): Figures {
  const stats = emulator.stats;
  const writes = (stats.requests["PATCH user"] ?? 0) + (stats.batchItems["PATCH user"] ?? 0);
  const httpRequests = stats.totalRequests();
  const answered = httpRequests - (stats.requests["POST $batch"] ?? 0) + stats.totalBatchItems();
  const guard = {
    pictures: stats.batchItems["GET roleAssignments"] ?? 0,
    resourceUnits: pictureRoutes.reduce((sum, key) => sum + (stats.resourceUnitsByRoute[key] ?? 0), 0),
    allResourceUnits: stats.resourceUnits,
  };
  return { users, seconds, writes, throttled: stats.throttled, answered, httpRequests, guard };
}

function benchEnv(emulator: GraphEmulator, storage: string): Record<string, string | undefined> {
  return {
    ...process.env,
    GRAPH_BASE_URL: emulator.url,
    GRAPH_ACCESS_TOKEN: emulator.token,
    AzureWebJobsStorage: storage,
    OUTCOMES_TABLE: `BenchOutcomes${Date.now()}`,
    GRAPH_WRITE_BUDGET: String(benchWriteBudget),
    GRAPH_WRITE_WINDOW_SECONDS: String(benchWriteWindowMs / 1000),
    DEFAULT_COUNTRY: "US",
    CONTACT_MODE: "fillEmpty",
    CONTACT_TARGET: "profile",
    PROTECTED_GROUP_IDS: protectedGroupId,
  };
}

const dir = await mkdtemp(join(tmpdir(), "sspr-bench-backfill-"));
const { users: staff, csv } = generate();
const adminsOfTenant = admins();
const users = [...staff, ...adminsOfTenant.users];
const input = join(dir, "hr-export.csv");
await writeFile(input, csv);
const [azurite, emulator] = await Promise.all([
  startAzurite(),
  startGraphEmulator({
    tenant: { tenant: { domain: "contoso.example" }, users, groups: adminsOfTenant.groups },
    latencyMs: graphLatencyMs,
    throttle: { writeBudget: benchWriteBudget, writeWindowMs: benchWriteWindowMs },
  }),
]);

// What the deployed app publishes at its start (default settings): a backfill writes nothing without it.
{
  const appSettings = loadSettings({
    AzureWebJobsStorage: azurite.connectionString,
    PROTECTED_GROUP_IDS: protectedGroupId,
  });
  await deploymentPolicyFromSettings(appSettings).publish(protectionPolicyFrom(appSettings));
}

try {
  console.log(
    `tenant: ${userCount.toLocaleString("en-US")} users (${writesNeeded.toLocaleString("en-US")} need a write), ${graphLatencyMs} ms per Graph request, write budget ${benchWriteBudget} per ${benchWriteWindowMs / 1000} s (Graph: 3,000 per 150 s), resource units: Graph's default for the tenant size`,
  );
  const reset = () => {
    emulator.tenant.reset();
    emulator.stats.reset();
    // Buckets start full again, as for a tenant that had been quiet.
    emulator.setThrottle({ writeBudget: benchWriteBudget, writeWindowMs: benchWriteWindowMs });
  };
  let product: Figures | undefined;
  if (!graphProfile) {
    console.log("\n1/3 sspr-prepop backfill --no-outcomes");
    product = await runProduct(emulator, input, azurite.connectionString, dir, false);
    reset();
  }
  console.log(`\n${graphProfile ? "1/2" : "2/3"} sspr-prepop backfill, outcomes recorded in Azurite`);
  const recorded = await runProduct(emulator, input, azurite.connectionString, dir, true);
  reset();
  console.log(
    `\n${graphProfile ? "2/2" : "3/3"} naive GET then PATCH, one user at a time, first ${naiveUsers} users`,
  );
  const naive = await runNaive(emulator, csv);

  // A token bucket that starts full lets the first budget's worth go at once; the rest come at budget/window.
  const minimumSeconds =
    (Math.max(0, writesNeeded - benchWriteBudget) * benchWriteWindowMs) / benchWriteBudget / 1000;
  const naivePerUser = naive.seconds / naive.users;
  const naiveForAll = naivePerUser * userCount;
  const scale = userCount / naive.users;
  const columns = [
    ...(product ? [{ name: "backfill", f: product, all: product.seconds }] : []),
    { name: "backfill+outcomes", f: recorded, all: recorded.seconds },
    { name: `naive (${naive.users} users)`, f: naive, all: naiveForAll },
  ];
  const users = userCount.toLocaleString("en-US");
  const row = (label: string, cell: (c: (typeof columns)[number]) => string) =>
    console.log(`${label.padEnd(46)}${columns.map((c) => cell(c).padStart(20)).join("")}`);
  console.log("");
  row("", (c) => c.name);
  row("users run", (c) => c.f.users.toLocaleString("en-US"));
  row("wall time", (c) => `${c.f.seconds.toFixed(1)} s`);
  row(`wall time for ${users} users (naive: x${scale})`, (c) => `${c.all.toFixed(1)} s`);
  row("minimum the write bucket allows", () => `${minimumSeconds.toFixed(1)} s`);
  row("wall / minimum (aim <= 1.10)", (c) => (c.all / minimumSeconds).toFixed(3));
  row("writes/s", (c) => (c.f.writes / c.f.seconds).toFixed(1));
  row("start → first write | writes | last → end", (c) =>
    c.f.writeSpan
      ? `${c.f.writeSpan.first.toFixed(1)} | ${c.f.writeSpan.span.toFixed(1)} | ${c.f.writeSpan.tail.toFixed(1)} s`
      : "-",
  );
  row("longest pause between writes after the burst", (c) =>
    c.f.writeSpan ? `${c.f.writeSpan.longestPause.toFixed(2)} s` : "-",
  );
  row("429 answers", (c) => `${c.f.throttled} of ${c.f.answered}`);
  row("429 share of answers (aim <= 2%)", (c) => `${((100 * c.f.throttled) / c.f.answered).toFixed(2)}%`);
  row("Graph HTTP requests per user", (c) => (c.f.httpRequests / c.f.users).toFixed(3));
  row("privilege pictures read (complete guard)", (c) =>
    c.f.guard && c.name !== columns.at(-1)?.name ? String(c.f.guard.pictures) : "-",
  );
  row("resource units: guard | whole run", (c) =>
    c.f.guard && c.name !== columns.at(-1)?.name
      ? `${c.f.guard.resourceUnits} | ${c.f.guard.allResourceUnits}`
      : "-",
  );
  row("guard's units per written user", (c) =>
    c.f.guard && c.name !== columns.at(-1)?.name ? (c.f.guard.resourceUnits / writesNeeded).toFixed(3) : "-",
  );
  row(`speed-up vs naive (aim >= ${graphProfile ? 25 : 10})`, (c) => `${(naiveForAll / c.all).toFixed(1)} x`);
  console.log(`
minimum = (${writesNeeded.toLocaleString("en-US")} writes - ${benchWriteBudget}) / (${benchWriteBudget} per ${benchWriteWindowMs / 1000} s): the write bucket starts full.
naive: ${(naivePerUser * 1000).toFixed(1)} ms per user (two round trips of ${graphLatencyMs} ms), measured on ${naive.users} users, times ${scale} for ${users}.
429 share: 429 answers / answers Graph gave one by one (plain requests + $batch items).
guard: the tenant holds ${adminsOfTenant.users.length} admin-side users in ${adminsOfTenant.groups.length} groups (none in the export); the picture is read when older than PRIVILEGE_MAX_AGE_SECONDS (5)
before a check and before each write, so its units grow with the run's length and the admins, not with the users.
writes: the span Graph's bucket bounds; the limiter keeps ${limiterReserve} of the first burst back and refills 1 s slower per 150 s,
so its floor is (${writesNeeded.toLocaleString("en-US")} - ${benchWriteBudget - limiterReserve}) / (${benchWriteBudget} per ${(benchWriteWindowMs / 1000) * (1 + 1 / 150)} s) = ${(((writesNeeded - benchWriteBudget + limiterReserve) * benchWriteWindowMs * (1 + 1 / 150)) / benchWriteBudget / 1000).toFixed(1)} s.`);
} finally {
  await Promise.all([emulator.close(), azurite.stop()]);
  await rm(dir, { recursive: true, force: true });
}
