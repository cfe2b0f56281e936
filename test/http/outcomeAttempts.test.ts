import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getOutcome } from "../../functions/getOutcome.js";
import { buildServices, useAppServices } from "../../shared/app/appServices.js";
import { loadSettings } from "../../shared/app/config.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { MemoryCounterStore } from "../doubles/memoryCounterStore.js";
import { MemoryOutcomeLog } from "../doubles/memoryOutcomeLog.js";
import { bodyOf, callers, context, easyAuthOn, request } from "../support/helpdeskRequests.js";

// A helpdesk reader asks what happened to a backfill row that failed once and was run again.
const log = new MemoryOutcomeLog();
const attempt = (status: Outcome["status"], at: string): Outcome => ({
  eventId: "backfill-hire-4",
  status,
  source: "backfill",
  userPrincipalName: "user4@contoso.example",
  fields: [],
  errors: [],
  warnings: [],
  message: status,
  attempts: 1,
  firstSeenAt: at,
  updatedAt: at,
  requestIds: [],
  actor: "backfill",
});
const failed = attempt("failed", "2026-11-24T09:00:00.000Z");
const rerun = attempt("updated", "2026-11-24T11:00:00.000Z");

beforeAll(async () => {
  const settings = loadSettings({ AzureWebJobsStorage: "UseDevelopmentStorage=true", ...easyAuthOn });
  // No storage runs here: the reads are counted (HELPDESK_READS_PER_MINUTE) in memory.
  useAppServices(buildServices(settings, { outcomes: log, counters: new MemoryCounterStore() }));
  await log.recordMany([failed]);
  await log.recordMany([rerun]);
});
afterAll(() => useAppServices(undefined));

const get = (eventId: string, query = "") =>
  getOutcome(
    request("GET", `outcomes/${eventId}${query}`, { params: { eventId }, headers: callers.reader }),
    context(),
  );

describe("GET /api/outcomes/{eventId}", () => {
  it("answers the latest attempt", async () => {
    const response = await get("backfill-hire-4");
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toEqual(rerun);
  });

  it("answers every attempt, latest first, with ?attempts", async () => {
    const response = await get("backfill-hire-4", "?attempts");
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toEqual({ value: [rerun, failed] });
  });

  it("answers 404 for an event with no attempt", async () => {
    expect((await get("backfill-nobody", "?attempts")).status).toBe(404);
  });
});
