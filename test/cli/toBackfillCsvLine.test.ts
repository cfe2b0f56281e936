import { describe, expect, it } from "vitest";
import { backfillCsvHeader, toBackfillCsvLine } from "../../cli/toBackfillCsvLine.js";
import type { BackfillRow } from "../../shared/backfill/backfill.js";
import { buildOutcome } from "../../shared/sync/buildOutcome.js";

function aRow(warnings: Array<{ field: string; code: string }>): BackfillRow {
  return {
    line: 7,
    outcome: buildOutcome({
      eventId: "backfill-e7",
      status: "updated",
      source: "backfill",
      actor: "backfill",
      now: new Date("2026-12-07T09:00:00Z"),
      user: { userPrincipalName: "new.hire@contoso.example" },
      fields: [{ field: "officePhone", target: "profile", action: "set", after: "+1 ***123", reason: "set" }],
      warnings: warnings.map((w) => ({ ...w, message: `${w.field}: something was changed` })),
      message: "updated: officePhone/profile set",
    }),
    reasons: [],
    writes: 1,
  };
}

describe("a backfill result line", () => {
  it("names the warnings column after reasons, before detail", () => {
    expect(backfillCsvHeader.trim().split(",")).toEqual([
      "line",
      "eventId",
      "user",
      "status",
      "mobilePhone",
      "officePhone",
      "alternateEmail",
      "reasons",
      "warnings",
      "detail",
    ]);
  });

  it.each([
    ["no warning", [], ""],
    [
      "an extension dropped",
      [{ field: "contact.officePhone", code: "phone_extension_dropped" }],
      "contact.officePhone:phone_extension_dropped",
    ],
    [
      "a label removed and a landline in the mobile field",
      [
        { field: "contact.mobilePhone", code: "phone_label_removed" },
        { field: "contact.mobilePhone", code: "phone_not_sms_capable" },
      ],
      "contact.mobilePhone:phone_label_removed;contact.mobilePhone:phone_not_sms_capable",
    ],
  ])("keeps the audit trail of how a value was changed on the way in: %s", (_, warnings, cell) => {
    const cells = toBackfillCsvLine(aRow(warnings)).trim().split(",");
    expect(cells[8]).toBe(cell);
    expect(cells[9]).toBe("updated: officePhone/profile set");
  });
});
