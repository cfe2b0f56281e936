import { describe, expect, it } from "vitest";
import { maskContactValues } from "../../shared/graph/graphRequestError.js";
import { PiiCatalog } from "./support/piiCatalog.js";

const catalog = new PiiCatalog();
catalog.addPhone("(206) 555-0147", "US");
catalog.addPhone("07400 123456", "GB");
catalog.addEmail("sam.ortiz@example.org");

describe("the PII scanner the reliability runs rely on", () => {
  it.each([
    "+1 2065550147",
    "(206) 555-0147",
    "206-555-0147",
    "2065550147",
    "+12065550147",
    "tel:+1-206-555-0147",
    '{"mobilePhone":"206.555.0147 x12"}',
    "+44 7400 123456",
    "07400123456",
    "SAM.ORTIZ@example.org",
    "mailto:sam.ortiz@example.org",
  ])("finds a full value written as %s", (text) => {
    expect(catalog.findIn(`before ${text} after`)).not.toEqual([]);
  });

  it.each([
    "+1 ***147",
    "s***@e***.org",
    "ortiz@example.org",
    "event 00000000-0000-4000-8000-002065550147 at 2026-11-24T09:00:00.000Z",
    "+1 2065550148",
  ])("does not flag %s", (text) => {
    expect(catalog.findIn(text)).toEqual([]);
  });

  it("agrees with the product's own masking: masked text holds nothing it would flag", () => {
    const text = "PATCH for (206) 555-0147 and sam.ortiz@example.org failed";
    expect(catalog.findIn(text).length).toBeGreaterThanOrEqual(2);
    expect(catalog.findIn(maskContactValues(text))).toEqual([]);
  });
});
