import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphEmulator, startGraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { loadSettings } from "../../shared/app/config.js";
import { policyFrom } from "../../shared/app/ruleOptions.js";
import { type BackfillRow, runBackfill } from "../../shared/backfill/backfill.js";
import { directoryFor } from "../support/graphEmulatorFixtures.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";

// Graph refuses a whole PATCH when one property is mastered on premises. A backfill in SYNCED_MOBILE=override mode,
// on a tenant where AD keeps mastering synced mobiles, must still write the synced user's alternate email.

let emulator: GraphEmulator;

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenant: pipelineTenant(true) });
});
afterAll(async () => emulator?.close());

async function* oneRow() {
  yield {
    line: 2,
    input: {
      eventId: "synced-1",
      source: "hr-export",
      occurredAt: "2026-11-01T09:00:00Z",
      user: { userPrincipalName: users.synced.userPrincipalName },
      country: "US",
      contact: { mobilePhone: "(425) 555-0147", alternateEmail: "synced.person@example.com" },
    },
  };
}

describe("a backfill row for a synced user whose mobile phone AD masters", () => {
  it.each(["onPremises", "externalService"] as const)(
    "skips the mobile phone and still writes the alternate email (%s text)",
    async (masteredMessage) => {
      emulator.tenant.reset();
      emulator.tenant.masteredMessage = masteredMessage;
      const rows: BackfillRow[] = [];
      await runBackfill({
        records: oneRow(),
        rules: { phoneValidation: "valid", organizationDomains: [] },
        policy: policyFrom(loadSettings({ SYNCED_MOBILE: "override" })),
        directory: directoryFor(emulator),
        sourceName: "synced.jsonl",
        onRow: (row) => {
          rows.push(row);
        },
      });
      expect(rows[0]?.outcome.status).toBe("partial");
      expect(rows[0]?.outcome.fields.map((f) => `${f.field}:${f.action}:${f.code}`)).toEqual([
        "mobilePhone:skipped:on_premises_mastered",
        "alternateEmail:set:was_empty",
      ]);
      expect(emulator.tenant.user(users.synced.id)?.otherMails).toEqual(["synced.person@example.com"]);
    },
  );
});
