import { describe, expect, it } from "vitest";
import { normalizeEmail } from "../../shared/contact/emailRule.js";
import type { RuleIssue } from "../../shared/core/result.js";

const field = "contact.alternateEmail";
const organizationDomains = ["contoso.example", "@Fabrikam.example"];

function normalized(input: string): string {
  const result = normalizeEmail(input, { field, organizationDomains });
  if (!result.ok) throw new Error(`expected ${input} to be accepted, got ${JSON.stringify(result.issues)}`);
  return result.value;
}

function rejected(input: string): RuleIssue {
  const result = normalizeEmail(input, { field, organizationDomains });
  if (result.ok) throw new Error(`expected ${input} to be rejected, got ${result.value}`);
  expect(result.issues).toHaveLength(1);
  return result.issues[0] as RuleIssue;
}

describe("normalizeEmail", () => {
  it.each([
    ["mei.chen@example.org", "mei.chen@example.org"],
    ["  Avery.L@Example.COM  ", "Avery.L@example.com"],
    ["KWAME@EXAMPLE.ORG", "KWAME@example.org"],
    ["first+tag@mail.example.net", "first+tag@mail.example.net"],
    ["o'brien@example.co.uk", "o'brien@example.co.uk"],
    ["user@sub-domain.example", "user@sub-domain.example"],
    ["user@contoso.example.evil.example", "user@contoso.example.evil.example"],
  ])("accepts %s as %s (trimmed, domain lower-cased, local part kept)", (input, expected) => {
    expect(normalized(input)).toBe(expected);
  });

  it.each([
    ["email_invalid_syntax", "hiro tanaka@example.jp"],
    ["email_invalid_syntax", "no-at-sign.example.com"],
    ["email_invalid_syntax", "@example.com"],
    ["email_invalid_syntax", "a..b@example.com"],
    ["email_invalid_syntax", ".ab@example.com"],
    ["email_invalid_syntax", "ab.@example.com"],
    ["email_invalid_syntax", '"john doe"@example.com'],
    ["email_invalid_syntax", "John <john@example.com>"],
    ["email_invalid_syntax", "user@example"],
    ["email_invalid_syntax", "user@-example.com"],
    ["email_invalid_syntax", "user@exa_mple.com"],
    ["email_invalid_syntax", "user@example..com"],
    ["email_invalid_syntax", "user@example.c"],
    ["email_invalid_syntax", "user@example.123"],
    ["email_invalid_syntax", `${"a".repeat(65)}@example.com`],
    ["email_non_ascii", "jösé@example.com"],
    ["email_non_ascii", "user@exämple.com"],
    ["email_too_long", `${"a".repeat(60)}@${"b".repeat(190)}.example`],
    ["email_multiple", "a@example.com, b@example.org"],
    ["email_multiple", "a@example.com;b@example.org"],
    ["email_multiple", "a@example.com b@example.org"],
    ["email_placeholder", "n/a"],
    ["email_placeholder", "N/A"],
    ["email_placeholder", "none"],
    ["email_placeholder", "-"],
    ["email_placeholder", "unknown"],
    ["email_placeholder", "TBD"],
    ["email_is_organizational", "sofia.rossi@contoso.example"],
    ["email_is_organizational", "sofia.rossi@Mail.Contoso.Example"],
    ["email_is_organizational", "someone@fabrikam.example"],
  ])("answers %s for %s", (code, input) => {
    const issue = rejected(input);
    expect(issue.code).toBe(code);
    expect(issue.field).toBe(field);
    expect(issue.hint).toBeTruthy();
    expect(issue.message.startsWith(field)).toBe(true);
  });

  it("never quotes the local part of the address it rejects", () => {
    for (const input of ["hiro tanaka@example.jp", "jösé@example.com", "sofia.rossi@contoso.example"]) {
      const issue = rejected(input);
      expect(issue.message).not.toContain(input.split("@")[0]);
      expect(issue.message).toMatch(/"[^"]\*\*\*@/);
    }
  });

  it("explains which part of the address is wrong", () => {
    expect(rejected("user@example.c").message).toContain("top-level domain must be at least two letters");
    expect(rejected("user@example").message).toContain("no dot");
    expect(rejected("a..b@example.com").message).toContain("single dots");
  });

  it("says why an address inside the organization is useless", () => {
    expect(rejected("sofia.rossi@contoso.example").message).toContain("a locked-out user cannot read it");
  });

  it("accepts an address at exactly 250 characters and rejects 251", () => {
    const at250 = `${"a".repeat(60)}@${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(59)}.example`;
    expect(at250).toHaveLength(250);
    expect(normalized(at250)).toBe(at250);
    expect(rejected(`a${at250}`).code).toBe("email_too_long");
  });

  it("rejects an empty value instead of throwing", () => {
    expect(rejected("   ").code).toBe("email_invalid_syntax");
    expect(rejected(undefined as unknown as string).code).toBe("email_invalid_syntax");
  });
});
