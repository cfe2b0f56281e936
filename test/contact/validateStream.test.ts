import { describe, expect, it } from "vitest";
import type { ContactRuleOptions } from "../../shared/contact/contactEvent.js";
import {
  type SourceRecord,
  type ValidatedRecord,
  validateStream,
} from "../../shared/contact/validateStream.js";
import { anEvent } from "../support/factories.js";

const rules: ContactRuleOptions = { phoneValidation: "valid", organizationDomains: [], defaultCountry: "US" };

async function collect(records: AsyncIterable<ValidatedRecord>): Promise<ValidatedRecord[]> {
  const out: ValidatedRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

describe("validateStream", () => {
  it("yields one result per record, in input order, from an async source", async () => {
    async function* source(): AsyncGenerator<SourceRecord> {
      yield { line: 1, input: anEvent({ eventId: "a", contact: { mobilePhone: "(425) 555-0147" } }) };
      yield {
        line: 2,
        issues: [{ field: "event", code: "json_invalid", message: "Line 2 is not valid JSON." }],
      };
      yield { line: 3, input: anEvent({ eventId: "c", contact: { mobilePhone: "12" } }) };
    }
    const results = await collect(validateStream(source(), rules));
    expect(results.map((r) => [r.line, r.eventId, r.result.ok])).toEqual([
      [1, "a", true],
      [2, null, false],
      [3, "c", false],
    ]);
    expect(results[0]?.result.ok && results[0].result.value.contact).toEqual({
      mobilePhone: "+1 4255550147",
    });
  });

  it("accepts a plain array and leaves out an eventId that is not a plausible id", async () => {
    const results = await collect(
      validateStream(
        [{ line: 1, input: anEvent({ eventId: "x".repeat(129), contact: { mobilePhone: "" } }) }],
        rules,
      ),
    );
    expect(results[0]?.eventId).toBeNull();
  });
});
