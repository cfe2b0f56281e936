import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { otherMethodKinds } from "../../local/graphEmulator/EmulatedTenant.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { type BackfillRow, runBackfill } from "../../shared/backfill/backfill.js";
import { aPolicy } from "../support/factories.js";
import { aSeedUser, directoryFor, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";

// A hire who enrolled any method of their own gets no phone or email method from a backfill, whether the
// registration report is read (AuditLog.Read.All) or every user's methods are listed.

const kinds = otherMethodKinds;
const hires = kinds.map((kind, k) => aSeedUser(400 + k, { authentication: { otherMethods: [kind] } }));
const fresh = aSeedUser(499);

let emulator: GraphEmulator;
beforeAll(async () => {
  emulator = await startEmulator({
    tenant: { tenant: { domain: "contoso.example" }, users: [...hires, fresh] },
  });
});
afterAll(async () => emulator?.close());
beforeEach(() => resetEmulator(emulator));

async function backfillAll(): Promise<BackfillRow[]> {
  const rows: BackfillRow[] = [];
  await runBackfill({
    records: (async function* () {
      for (const [k, user] of [...hires, fresh].entries()) {
        yield {
          line: k + 2,
          input: {
            eventId: `own-${k}`,
            source: "hr-export",
            occurredAt: "2026-11-01T09:00:00Z",
            user: { id: user.id },
            country: "US",
            contact: { mobilePhone: `+1 42555501${String(10 + k)}`, alternateEmail: `hire${k}@example.org` },
          },
        };
      }
    })(),
    rules: { phoneValidation: "valid", organizationDomains: [] },
    policy: aPolicy({ target: "methods", mode: "overwrite", keepUserMethods: true }),
    directory: directoryFor(emulator),
    sourceName: "own-methods.jsonl",
    onRow: (row) => {
      rows.push(row);
    },
  });
  return rows;
}

describe.each([
  ["the registration report is read", true],
  ["every user's methods are listed", false],
])("a methods backfill in mode overwrite, when %s", (_, withReport) => {
  it("adds no method for a hire who registered any other kind, and fills in one who registered none", async () => {
    if (withReport) emulator.tenant.grantPermission("AuditLog.Read.All");
    const rows = await backfillAll();
    for (const [k, hire] of hires.entries()) {
      expect(rows[k]?.reasons, kinds[k]).toEqual([
        "mobilePhone:user_registered_methods",
        "alternateEmail:user_registered_methods",
      ]);
      expect(emulator.tenant.user(hire.id)).toMatchObject({ phoneMethods: {}, emailMethod: null });
    }
    expect(rows.at(-1)?.outcome.status).toBe("updated");
    expect(emulator.tenant.user(fresh.id)?.phoneMethods).toEqual({ mobile: "+1 4255550116" });
  });
});
