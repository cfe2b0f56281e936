import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toOutputLine } from "../../cli/toOutputLine.js";
import type { ValidatedRecord } from "../../shared/contact/validateStream.js";

// toOutputLine writes JSON by hand for speed; it must be exactly what JSON.stringify writes for the same line.
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({
    unit: fc.constantFrom('"', "\\", "\n", "\u0000", "\u001f", "\u007f", "\ud800", "\udc00", "é", "😀"),
  }),
);
const issue = fc.record({
  field: anyText,
  code: anyText,
  message: anyText,
  hint: fc.option(anyText, { nil: undefined }),
});
// A valid record's contact values and phone types are JSON-safe by the rules (NormalizedContact; held by
// test/contact/contactRules.property.test.ts), so toOutputLine writes them unescaped: any other text may appear.
const jsonSafeText = fc.string({
  unit: fc.constantFrom(...[..."+0123456789 abcXYZ.@-_!#$%&'*/=?^`{|}~éß€😀"]),
});
const contact = fc.record(
  { mobilePhone: jsonSafeText, officePhone: jsonSafeText, alternateEmail: jsonSafeText },
  { requiredKeys: [] },
);
const phoneTypes = fc.record({ mobilePhone: jsonSafeText, officePhone: jsonSafeText }, { requiredKeys: [] });

const record: fc.Arbitrary<ValidatedRecord> = fc.record({
  line: fc.nat(),
  eventId: fc.option(anyText, { nil: null }),
  result: fc.oneof(
    fc.record({
      ok: fc.constant(true as const),
      value: fc.record({ contact, phoneTypes }),
      warnings: fc.array(issue, { maxLength: 3 }),
    }),
    fc.record({
      ok: fc.constant(false as const),
      issues: fc.array(issue, { maxLength: 3 }),
      warnings: fc.array(issue, { maxLength: 3 }),
    }),
  ),
}) as fc.Arbitrary<ValidatedRecord>;

function reference(input: ValidatedRecord): string {
  const { result } = input;
  const issues = (list: ValidatedRecord["result"]["warnings"]) =>
    list.map((i) => ({ field: i.field, code: i.code, message: i.message, hint: i.hint ?? "" }));
  const line: Record<string, unknown> = { line: input.line, eventId: input.eventId, ok: result.ok };
  if (result.ok) {
    const { contact, phoneTypes } = result.value;
    line.contact = {
      ...(contact.mobilePhone !== undefined ? { mobilePhone: contact.mobilePhone } : {}),
      ...(contact.officePhone !== undefined ? { officePhone: contact.officePhone } : {}),
      ...(contact.alternateEmail !== undefined ? { alternateEmail: contact.alternateEmail } : {}),
    };
    if ((phoneTypes.mobilePhone ?? phoneTypes.officePhone) !== undefined) {
      line.phoneTypes = {
        ...(phoneTypes.mobilePhone !== undefined ? { mobilePhone: phoneTypes.mobilePhone } : {}),
        ...(phoneTypes.officePhone !== undefined ? { officePhone: phoneTypes.officePhone } : {}),
      };
    }
    line.errors = [];
  } else {
    line.contact = {};
    line.errors = issues(result.issues);
  }
  line.warnings = issues(result.warnings);
  return `${JSON.stringify(line)}\n`;
}

describe("toOutputLine", () => {
  it("writes exactly what JSON.stringify writes, whatever the ids and issues hold", () => {
    fc.assert(
      fc.property(record, (input) => {
        expect(toOutputLine(input)).toBe(reference(input));
      }),
      { numRuns: 3000 },
    );
  });
});
