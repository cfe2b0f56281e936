import type { HttpResponseInit } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getOutcome } from "../../functions/getOutcome.js";
import { listOutcomes } from "../../functions/listOutcomes.js";
import { appServices, buildServices, useAppServices } from "../../shared/app/appServices.js";
import { tableClient } from "../../shared/app/storageClients.js";
import { type LimiterTime, WindowLimiter } from "../../shared/http/windowLimiter.js";
import { TableCounterStore } from "../../shared/storage/tableCounterStore.js";
import type { CounterStore } from "../../shared/sync/counterStore.js";
import { MemoryCounterStore } from "../doubles/memoryCounterStore.js";
import { bodyOf, context, easyAuthOn, errorCode, read, request } from "../support/helpdeskRequests.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

// The attack (review finding): a reader enumerated 200 helpdesk reads in 6.4 s. Here the limit is the default
// HELPDESK_READS_PER_MINUTE (30), counted in Azurite's table as in Azure; the limiter's clock stands still at
// 10:00:15 UTC unless a test moves it, so a minute never turns over mid-test.
let env: TestEnvironment;
let tables = 0;
let time: LimiterTime & { move(ms: number): void };

beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant() },
    env: { GRAPH_MAX_RETRIES: "0", DEFAULT_COUNTRY: "US", ...easyAuthOn, HELPDESK_READS_PER_MINUTE: "" },
  });
});
afterAll(async () => {
  useAppServices(undefined);
  await env?.close();
});
beforeEach(() => {
  const settings = env.isolate();
  expect(settings.HELPDESK_READS_PER_MINUTE).toBe(30);
  useLimits(new TableCounterStore(tableClient(settings, `ReadCounts${process.pid}x${++tables}`)));
  env.graph.stats.reset();
});

/** The app's services with its read limiter counting into `counters` on the still clock. */
function useLimits(counters: CounterStore): void {
  let now = Date.parse("2026-11-24T10:00:15.000Z");
  time = {
    now: () => now,
    sleep: async () => undefined,
    move: (ms) => {
      now += ms;
    },
  };
  const { settings } = appServices();
  const limit = { name: "reads", perWindow: settings.HELPDESK_READS_PER_MINUTE, windowSeconds: 60 };
  useAppServices(
    buildServices(settings, { counters, readLimiter: new WindowLimiter(limit, counters, time) }),
  );
}

/** A caller as App Service vouches for them: a name, an Entra object id (when given) and app roles. */
function signedIn(name: string, objectId?: string, roles = ["ContactInfo.Read"]): Record<string, string> {
  const claims = [
    { typ: "name", val: name },
    ...(objectId
      ? [{ typ: "http://schemas.microsoft.com/identity/claims/objectidentifier", val: objectId }]
      : []),
    ...roles.map((val) => ({ typ: "roles", val })),
  ];
  const principal = { auth_typ: "aad", name_typ: "name", role_typ: "roles", claims };
  return { "x-ms-client-principal": Buffer.from(JSON.stringify(principal)).toString("base64") };
}

const mallory = signedIn("mallory.reader@contoso.example", "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
const alice = signedIn("alice.helpdesk@contoso.example", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");

const readOutcome = (headers: Record<string, string>, eventId = "hr-events.k1.hire-1") =>
  getOutcome(request("GET", `outcomes/${eventId}`, { params: { eventId }, headers }), context());
const listFor = (headers: Record<string, string>, user = "user1@contoso.example") =>
  listOutcomes(request("GET", `outcomes?user=${encodeURIComponent(user)}`, { headers }), context());

/** Reads `count` made-up users' contact info as `headers`, one after another, as an enumerating script does. */
async function enumerate(headers: Record<string, string>, count: number): Promise<HttpResponseInit[]> {
  const answers: HttpResponseInit[] = [];
  for (let i = 1; i <= count; i++) answers.push(await read(`user${i}@contoso.example`, headers));
  return answers;
}

const retryAfterOf = (response: HttpResponseInit) =>
  (response.headers as Record<string, string> | undefined)?.["Retry-After"];

describe("helpdesk reads are limited per caller (HELPDESK_READS_PER_MINUTE)", () => {
  it("answers a caller's 31st read in a minute with 429, Retry-After and what to do", async () => {
    const answers = await enumerate(mallory, 31);
    expect(answers.slice(0, 30).map((answer) => answer.status)).toEqual(Array(30).fill(404));
    const refused = answers[30] as HttpResponseInit;
    expect([refused.status, errorCode(refused), retryAfterOf(refused)]).toEqual([
      429,
      "read_limit_reached",
      "45",
    ]);
    const { error } = bodyOf<{ error: { message: string; details: { code: string; hint: string }[] } }>(
      refused,
    );
    expect(error.message).toContain("2026-11-24T10:01:00.000Z");
    expect(error.details[0]?.hint).toContain("HELPDESK_READS_PER_MINUTE");
  });

  it("refuses the read before it reaches Graph", async () => {
    await enumerate(mallory, 30);
    env.graph.stats.reset();
    expect((await read(users.reformat.userPrincipalName, mallory)).status).toBe(429);
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  it("leaves another caller's reads alone", async () => {
    await enumerate(mallory, 31);
    const response = await read(users.reformat.userPrincipalName, alice);
    expect(response.status).toBe(200);
  });

  it("reads again once the minute has turned", async () => {
    await enumerate(mallory, 31);
    time.move(45_000);
    expect((await read(users.reformat.userPrincipalName, mallory)).status).toBe(200);
  });

  it.each([
    ["GET contact-info", (headers: Record<string, string>) => read(users.reformat.id, headers)],
    ["GET an outcome", (headers: Record<string, string>) => readOutcome(headers)],
    ["GET a user's outcomes", (headers: Record<string, string>) => listFor(headers)],
  ])(
    "counts every helpdesk read against one allowance: %s is refused once the others spent it",
    async (_, readOnce) => {
      for (let i = 0; i < 10; i++) {
        await readOutcome(mallory, `hr-events.k1.probe-${i}`);
        await listFor(mallory, `probe${i}@contoso.example`);
        await read(`probe${i}@contoso.example`, mallory);
      }
      const refused = await readOnce(mallory);
      expect([refused.status, errorCode(refused)]).toEqual([429, "read_limit_reached"]);
      expect(Number(retryAfterOf(refused))).toBeGreaterThan(0);
    },
  );

  it("counts an admin's reads too", async () => {
    const admin = signedIn("eve.admin@contoso.example", "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f", [
      "ContactInfo.ReadWrite",
    ]);
    const answers = await enumerate(admin, 31);
    expect(answers.at(-1)?.status).toBe(429);
  });

  it("follows the account, not its name: a renamed caller has no fresh allowance", async () => {
    await enumerate(mallory, 30);
    const renamed = signedIn("m.reader@contoso.example", "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
    expect((await read(users.reformat.id, renamed)).status).toBe(429);
  });

  it("gives callers without an object id one allowance together, so new names buy no reads", async () => {
    const answers: HttpResponseInit[] = [];
    for (let i = 1; i <= 31; i++)
      answers.push(await read(`user${i}@contoso.example`, signedIn(`bot${i}@contoso.example`)));
    expect(answers.at(-1)?.status).toBe(429);
    expect(answers.slice(0, 30).every((answer) => answer.status === 404)).toBe(true);
  });

  it("refuses every read (503) while the counters cannot be reached, never reads uncounted", async () => {
    const unreachable = new MemoryCounterStore();
    unreachable.failing = new Error("connect ECONNREFUSED 127.0.0.1:10002");
    useLimits(unreachable);
    for (const readOnce of [
      () => read(users.reformat.id, alice),
      () => readOutcome(alice),
      () => listFor(alice),
    ]) {
      const response = await readOnce();
      expect([response.status, errorCode(response), retryAfterOf(response)]).toEqual([
        503,
        "dependency_unavailable",
        "5",
      ]);
    }
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  it("turns away a caller without a role before counting anything", async () => {
    const nobody = signedIn("someone@contoso.example", "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", []);
    const counters = new MemoryCounterStore();
    useLimits(counters);
    expect((await read(users.reformat.id, nobody)).status).toBe(403);
    expect(
      (await counters.load({ subject: "reads:2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", windowSeconds: 60 })).row,
    ).toBeUndefined();
  });
});
