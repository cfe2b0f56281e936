import { describe, expect, it } from "vitest";
import { maskContact, maskEmail, maskPhone } from "../../shared/contact/mask.js";

describe("masking personal data", () => {
  it.each([
    ["+1 4255550100", "+1 425***0100"],
    ["+44 7400123456", "+44 740***3456"],
    ["(425) 555-0147", "425***0147"],
    ["+49 30123", "+49 ***23"],
    ["12", "***"],
    ["n/a", "***"],
    ["", ""],
  ])("masks the phone %s as %s", (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it.each([
    ["jonas.weber@example.com", "j***@example.com"],
    ["a@example.org", "a***@example.org"],
    ["not-an-email", "***"],
  ])("masks the email %s as %s", (input, expected) => {
    expect(maskEmail(input)).toBe(expected);
  });

  it("chooses the form by the value's shape", () => {
    expect(maskContact("mei.chen@example.org")).toBe("m***@example.org");
    expect(maskContact("+61 491570006")).toBe("+61 491***0006");
  });
});
