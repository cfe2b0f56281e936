import { describe, expect, it } from "vitest";
import { maskContact, maskEmail, maskedFirstLine, maskPhone } from "../../shared/contact/mask.js";

describe("masking personal data", () => {
  it.each([
    ["+1 4255550100", "+1 ***100"],
    ["+44 7400123456", "+44 ***456"],
    // A short national number: the old mask showed 7 of its 9 digits (+34 612***5678).
    ["+34 612345678", "+34 ***678"],
    ["(425) 555-0147", "***147"],
    ["+14255550147", "+***147"],
    ["+49 30123", "+49 ***"],
    ["555-0147", "***147"],
    ["12", "***"],
    ["n/a", "***"],
    ["", ""],
  ])("masks the phone %s as %s", (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it.each([["+1 4255550100"], ["+34 612345678"], ["+61 491570006"], ["+44 7400123456"], ["(425) 555-0147"]])(
    "shows at most the country code and three digits of %s",
    (input) => {
      const masked = maskPhone(input);
      const countryCode = /^\+(\d{1,3}) /.exec(masked)?.[1] ?? "";
      expect(masked.replace(/\D/g, "").length - countryCode.length).toBeLessThanOrEqual(3);
    },
  );

  it.each([
    ["jonas.weber@example.com", "j***@e***.com"],
    ["a@example.org", "a***@e***.org"],
    ["sam_example.com#EXT#@contoso.example", "s***@c***.example"],
    ["x@mail.example.co.uk", "x***@m***.uk"],
    ["a@localhost", "a***@l***"],
    // A label after the last dot that isn't a TLD (here digits) is not shown.
    ["a@b.4255550147", "a***@b***"],
    ["not-an-email", "***"],
    ["@example.com", "***"],
    ["trailing@", "***"],
  ])("masks the email %s as %s", (input, expected) => {
    expect(maskEmail(input)).toBe(expected);
  });

  it("chooses the form by the value's shape", () => {
    expect(maskContact("mei.chen@example.org")).toBe("m***@e***.org");
    expect(maskContact("+61 491570006")).toBe("+61 ***006");
  });
});

describe("the first line of an error message, for a log line or a finding", () => {
  it.each([
    [
      "a sign-in error naming the account",
      "AADSTS50076: user it.admin@contoso.example must use MFA\nTrace ID: 0000",
      "AADSTS50076: user i***@c***.example must use MFA",
    ],
    ["a message without an address", "  Please run 'az login'  \nmore", "Please run 'az login'"],
  ])("keeps only the first line and masks every address: %s", (_, message, line) => {
    expect(maskedFirstLine(message, 300)).toBe(line);
  });

  it("cuts the line at the length asked for", () => {
    expect(maskedFirstLine("x".repeat(400), 240)).toHaveLength(240);
  });
});
