import { type CountryCode, getExampleNumber } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import {
  type NormalizedPhone,
  normalizePhone,
  type PhoneRuleOptions,
} from "../../shared/contact/phoneRule.js";
import type { RuleIssue } from "../../shared/core/result.js";

const field = "contact.mobilePhone";

function options(overrides: Partial<PhoneRuleOptions> = {}): PhoneRuleOptions {
  return { field, validation: "valid", expect: "mobile", ...overrides };
}

function accepted(
  input: string,
  overrides: Partial<PhoneRuleOptions> = {},
): NormalizedPhone & { warnings: RuleIssue[] } {
  const result = normalizePhone(input, options(overrides));
  if (!result.ok) throw new Error(`expected ${input} to be accepted, got ${JSON.stringify(result.issues)}`);
  return { ...result.value, warnings: result.warnings };
}

function rejected(input: string, overrides: Partial<PhoneRuleOptions> = {}): RuleIssue {
  const result = normalizePhone(input, options(overrides));
  if (result.ok) throw new Error(`expected ${input} to be rejected, got ${result.value.canonical}`);
  expect(result.issues).toHaveLength(1);
  return result.issues[0] as RuleIssue;
}

function example(region: CountryCode) {
  const number = getExampleNumber(region, examples);
  if (!number) throw new Error(`no example number for ${region}`);
  return number;
}

// 45 regions across every continent and numbering-plan style (open/closed, with and without trunk prefix).
// biome-ignore format: a compact table reads better than one region per line
const testRegions: CountryCode[] = [
  "US", "CA", "MX", "BR", "AR", "CL", "CO", "PE", "GB", "IE", "DE", "FR", "ES", "IT", "PT", "NL", "BE",
  "CH", "AT", "SE", "NO", "DK", "FI", "PL", "CZ", "HU", "RO", "GR", "TR", "RU", "UA", "IL", "AE", "SA",
  "EG", "NG", "KE", "ZA", "IN", "CN", "JP", "KR", "SG", "AU", "NZ",
];

describe("normalizePhone across regions", () => {
  it("covers at least 30 regions", () => {
    expect(new Set(testRegions).size).toBeGreaterThanOrEqual(30);
  });

  it.each(testRegions)("normalizes %s's example mobile number in every written form", (region) => {
    const number = example(region);
    const canonical = `+${number.countryCallingCode} ${number.nationalNumber}`;
    const forms = [
      number.formatNational(),
      number.formatInternational(),
      number.number,
      number.getURI(),
      `00${number.formatInternational().slice(1)}`,
    ];
    for (const form of forms) {
      expect(accepted(form, { defaultCountry: region }).canonical, form).toBe(canonical);
    }
    for (const form of forms.slice(1)) {
      expect(accepted(form).canonical, `${form} without a region`).toBe(canonical);
    }
  });

  it.each(testRegions)("reports %s's example mobile number as able to receive a text", (region) => {
    const phone = accepted(example(region).formatNational(), { defaultCountry: region });
    expect(["MOBILE", "FIXED_LINE_OR_MOBILE"]).toContain(phone.type);
    expect(phone.region).toBe(region);
    expect(phone.warnings).toEqual([]);
  });

  it.each([
    ["US", "(425) 555-0147", "+1 4255550147"],
    ["US", "425.555.0147", "+1 4255550147"],
    ["US", "425/555-0147", "+1 4255550147"],
    ["US", "1-425-555-0147", "+1 4255550147"],
    ["US", "+1 (425) 555-0147", "+1 4255550147"],
    ["US", "011 49 151 23456789", "+49 15123456789"],
    ["US", "0049 151 23456789", "+49 15123456789"],
    ["CA", "(604) 555-0123", "+1 6045550123"],
    ["GB", "07400 123456", "+44 7400123456"],
    ["GB", "+44 (0)7400 123456", "+44 7400123456"],
    ["GB", "020 7946 0958", "+44 2079460958"],
    ["DE", "0151 23456789", "+49 15123456789"],
    ["DE", "(0151) 234 567 89", "+49 15123456789"],
    ["DE", "030/1234567", "+49 301234567"],
    ["DE", "+49 (0)30 1234567", "+49 301234567"],
    ["DE", "0049 (0)30 1234567", "+49 301234567"],
    ["FR", "06 12 34 56 78", "+33 612345678"],
    ["FR", "+33 (0)6 12 34 56 78", "+33 612345678"],
    ["ES", "612 34 56 78", "+34 612345678"],
    ["IT", "312 345 6789", "+39 3123456789"],
    ["IT", "02 1234 5678", "+39 0212345678"],
    ["NL", "06-12345678", "+31 612345678"],
    ["CH", "078 123 45 67", "+41 781234567"],
    ["AU", "0412 345 678", "+61 412345678"],
    ["AU", "0491 570 006", "+61 491570006"],
    ["JP", "090-1234-5678", "+81 9012345678"],
    ["BR", "(11) 96123-4567", "+55 11961234567"],
    ["IN", "+91-98765-43210", "+91 9876543210"],
    ["IN", "tel:+91-98765-43210", "+91 9876543210"],
  ] as const)("normalizes the %s number %s to %s", (region, input, canonical) => {
    expect(accepted(input, { defaultCountry: region }).canonical).toBe(canonical);
  });

  it("prefers an international number's own country over the default region", () => {
    expect(accepted("+44 7400 123456", { defaultCountry: "DE" }).canonical).toBe("+44 7400123456");
  });

  it("outputs exactly +{countryCode} {nationalSignificantNumber} plus E.164 and the calling code", () => {
    expect(accepted("(425) 555-0147", { defaultCountry: "US" })).toMatchObject({
      canonical: "+1 4255550147",
      e164: "+14255550147",
      countryCode: "1",
      region: "US",
      type: "FIXED_LINE_OR_MOBILE",
    });
  });
});

describe("normalizePhone and extensions", () => {
  it.each([
    "+1 425 555 0147 x12",
    "+1 425 555 0147X12",
    "+1 425 555 0147 ext. 12",
    "+1 425 555 0147 extension 12",
    "+1 425 555 0147 #12",
    "+1 425 555 0147;ext=12",
    "tel:+1-425-555-0147;ext=12",
  ])("drops the extension of %s and says so without quoting it", (input) => {
    const phone = accepted(input);
    expect(phone.canonical).toBe("+1 4255550147");
    expect(phone.extension).toBe("12");
    expect(phone.warnings.map((w) => w.code)).toEqual(["phone_extension_dropped"]);
    expect(phone.warnings[0]?.message).not.toMatch(/12/);
  });
});

describe("normalizePhone rejections", () => {
  it.each([
    ["phone_placeholder", "n/a", "US"],
    ["phone_placeholder", "None", "US"],
    ["phone_placeholder", "-", "US"],
    ["phone_placeholder", "TBD", "US"],
    ["phone_not_a_number", "call the front desk", "US"],
    ["phone_not_a_number", "425-555-0147 / 425-555-0148 or so", "US"],
    ["phone_missing_country", "425 555 0147", undefined],
    ["phone_missing_country", "0151 23456789", undefined],
    ["phone_invalid_country_code", "+999 123 4567", undefined],
    ["phone_too_short", "12", "US"],
    ["phone_too_short", "+1 555 0147", undefined],
    ["phone_too_long", "+39 312 345 67891234", undefined],
    ["phone_too_long", `+1 ${"4".repeat(120)}`, undefined],
    ["phone_invalid_length", "+44 4444 4444", undefined],
    ["phone_invalid_length", "+47 444 4444", undefined],
    ["phone_invalid_for_region", "+44 1000 000000", undefined],
    ["phone_invalid_for_region", "+49 100 1234567", undefined],
    ["phone_invalid_for_region", "+1 4251234567", undefined],
  ] as const)("answers %s for %s", (code, input, region) => {
    const issue = rejected(input, region ? { defaultCountry: region } : {});
    expect(issue.code).toBe(code);
    expect(issue.field).toBe(field);
    expect(issue.message.startsWith(field)).toBe(true);
    expect(issue.hint).toBeTruthy();
    // Masked: never five digits in a row, so no phone number can be read back from a message.
    expect(issue.message).not.toMatch(/\d{5,}/);
  });

  it("explains that Microsoft's documentation example +1 4251234567 is not a valid NANP number", () => {
    for (const input of ["+1 4251234567", "+1 4251234567X12345"]) {
      const issue = rejected(input);
      expect(issue.code).toBe("phone_invalid_for_region");
      expect(issue.message).toContain("NANP exchange codes cannot start with 0 or 1");
      expect(issue.message).toContain("Microsoft's SSPR documentation example");
      expect(issue.message).toContain("+1 ***567");
      expect(issue.message).not.toContain("4251234567");
      expect(issue.message).not.toContain("12345");
    }
  });

  it("names the area code when a NANP area code starts with 0 or 1", () => {
    expect(rejected("+1 0255550147").message).toContain("NANP area codes cannot start with 0 or 1");
  });

  it("quotes the masked input in its message", () => {
    expect(rejected("+49 100 1234567").message).toContain('"+***567"');
  });

  it("accepts a number of plausible length when PHONE_VALIDATION=possible, with a warning", () => {
    const phone = accepted("+1 4251234567", { validation: "possible" });
    expect(phone.canonical).toBe("+1 4251234567");
    expect(phone.warnings.map((w) => w.code)).toEqual(["phone_possible_only"]);
    expect(rejected("12", { validation: "possible", defaultCountry: "US" }).code).toBe("phone_too_short");
  });

  it("returns a rejection instead of throwing for a value that is not text", () => {
    expect(rejected(42 as unknown as string).code).toBe("phone_not_a_number");
  });
});

describe("normalizePhone and text messages", () => {
  it("warns when the mobile field holds a fixed line", () => {
    const phone = accepted("020 7946 0958", { defaultCountry: "GB" });
    expect(phone.type).toBe("FIXED_LINE");
    expect(phone.warnings.map((w) => w.code)).toEqual(["phone_not_sms_capable"]);
    expect(phone.warnings[0]?.message).toContain("+44 ***958");
  });

  it("does not warn for a fixed line in the office field", () => {
    expect(accepted("020 7946 0958", { defaultCountry: "GB", expect: "office" }).warnings).toEqual([]);
  });

  it("does not warn for FIXED_LINE_OR_MOBILE numbers such as every NANP number", () => {
    expect(accepted("(425) 555-0147", { defaultCountry: "US" }).warnings).toEqual([]);
  });

  it("warns for a toll-free number in the mobile field", () => {
    expect(accepted("+800 1234 5678").warnings.map((w) => w.code)).toEqual(["phone_not_sms_capable"]);
  });
});

describe("normalizePhone and digits in other writing systems", () => {
  it.each([
    ["US", "（２０１）５５５-０１２３", "+1 2015550123"],
    ["JP", "０９０－１２３４－５６７８", "+81 9012345678"],
    ["JP", "090ー1234ー5678", "+81 9012345678"],
    ["EG", "٠١٠٠ ١٢٣ ٤٥٦٧", "+20 1001234567"],
    ["SA", "٠٥٠ ١٢٣ ٤٥٦٧", "+966 501234567"],
    ["IR", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "+98 9123456789"],
    ["IN", "+९१ ९८७६५ ४३२१०", "+91 9876543210"],
    ["BD", "০১৮১২-৩৪৫৬৭৮", "+880 1812345678"],
    ["TH", "๐๘๑ ๒๓๔ ๕๖๗๘", "+66 812345678"],
    ["US", "𝟒𝟐𝟓 𝟓𝟓𝟓 𝟎𝟏𝟒𝟕", "+1 4255550147"],
    ["US", "425\u2013555\u20130147", "+1 4255550147"],
    ["US", "425\u2212555\u22120147", "+1 4255550147"],
    ["US", "425\u00A0555\u00A00147", "+1 4255550147"],
    ["US", "+1\u202F425\u3000555\u20070147", "+1 4255550147"],
    ["US", "\u200E+1 425 555 0147\u200E", "+1 4255550147"],
    ["US", "＋１ ４２５ ５５５ ０１４７ ｘ１２", "+1 4255550147"],
  ])("reads the %s number %s as %s", (region, input, canonical) => {
    expect(accepted(input, { defaultCountry: region as CountryCode }).canonical).toBe(canonical);
  });

  it.each([
    ["digits of two writing systems", "٤٢٥ ५५५ 0147", "mixes digits of two different writing systems"],
    [
      "a right-to-left override, which shows the digits in another order",
      "\u202E7410 555 524",
      "bidirectional",
    ],
    ["a left-to-right isolate", "\u2066425 555 0147\u2069", "bidirectional"],
  ])("refuses a number written with %s", (_, input, message) => {
    const issue = rejected(input, { defaultCountry: "US" });
    expect(issue.code).toBe("phone_not_a_number");
    expect(issue.message).toContain(message);
  });

  it.each([
    ["circled digits, which are not decimal digits", "④②⑤ 555 0147", "US"],
    ["superscript digits", "425 555 01⁴⁷", "US"],
    ["a Japanese range of numbers (wave dash)", "0120-123-456〜8", "JP"],
  ])("refuses %s", (_, input, region) => {
    expect(rejected(input, { defaultCountry: region as CountryCode }).code).toBe("phone_not_a_number");
  });
});

describe("normalizePhone and labels", () => {
  it.each([
    ["US", "Mobile: (201) 555-0123", "Mobile", "+1 2015550123"],
    ["US", "M: (201) 555-0123", "M", "+1 2015550123"],
    ["US", "Phone - 201-555-0123", "Phone", "+1 2015550123"],
    ["US", "(201) 555-0123 (work)", "work", "+1 2015550123"],
    ["US", "201-555-0123 - office", "office", "+1 2015550123"],
    ["US", "201.555.0123 (cell)", "cell", "+1 2015550123"],
    ["US", "Cell Phone: 201 555 0123", "Cell Phone", "+1 2015550123"],
    ["US", "TEL: 201 555 0123", "TEL", "+1 2015550123"],
    ["US", "W: 201 555 0123", "W", "+1 2015550123"],
    ["US", "C - 201 555 0123", "C", "+1 2015550123"],
    ["US", "(M) 201 555 0123", "M", "+1 2015550123"],
    ["US", "O: 201 555 0123", "O", "+1 2015550123"],
    ["US", "[Office] 201 555 0123", "Office", "+1 2015550123"],
    ["DE", "Mobil: 0151 23456789", "Mobil", "+49 15123456789"],
    ["DE", "Handy: 0151 23456789", "Handy", "+49 15123456789"],
    ["DE", "Tel. 030 1234567", "Tel", "+49 301234567"],
    ["DE", "Tel.: +49 30 1234567", "Tel", "+49 301234567"],
    ["DE", "Tel:0151 23456789", "Tel", "+49 15123456789"],
    ["DE", "Büro: 030 1234567", "Büro", "+49 301234567"],
    ["DE", "030/1234567 (Büro)", "Büro", "+49 301234567"],
    ["FR", "Portable : 06 12 34 56 78", "Portable", "+33 612345678"],
    ["FR", "Tél. 01 23 45 67 89", "Tél", "+33 123456789"],
    ["FR", "Bureau : 01 23 45 67 89", "Bureau", "+33 123456789"],
    ["ES", "Móvil: 612 34 56 78", "Móvil", "+34 612345678"],
    ["ES", "MOVIL: 612 34 56 78", "MOVIL", "+34 612345678"],
    ["ES", "Oficina - 912 34 56 78", "Oficina", "+34 912345678"],
    ["MX", "Celular: 55 1234 5678", "Celular", "+52 5512345678"],
    ["BR", "Celular: (11) 96123-4567", "Celular", "+55 11961234567"],
    ["PT", "Telemóvel: 912 345 678", "Telemóvel", "+351 912345678"],
    ["IT", "Cellulare: 312 345 6789", "Cellulare", "+39 3123456789"],
    ["IT", "Ufficio: 02 1234 5678", "Ufficio", "+39 0212345678"],
    ["NL", "Mobiel: 06-12345678", "Mobiel", "+31 612345678"],
    ["JP", "携帯：０９０－１２３４－５６７８", "携帯", "+81 9012345678"],
    ["JP", "【携帯】090-1234-5678", "携帯", "+81 9012345678"],
    ["JP", "会社：03-1234-5678", "会社", "+81 312345678"],
    ["CN", "手机：138 0013 8000", "手机", "+86 13800138000"],
    ["CN", "139 1234 5678 (手机)", "手机", "+86 13912345678"],
    ["TW", "手機: 0912 345 678", "手機", "+886 912345678"],
    ["KR", "휴대폰: 010-1234-5678", "휴대폰", "+82 1012345678"],
    ["KR", "회사: 02-312-3456", "회사", "+82 23123456"],
    // A known label, then a space or nothing, then the number (issue 26: the last 3% of messy HR values).
    ["US", "Cell 201 555 0123", "Cell", "+1 2015550123"],
    ["US", "Cell (201) 555-0123", "Cell", "+1 2015550123"],
    ["US", "Mobile Phone 201-555-0123", "Mobile Phone", "+1 2015550123"],
    ["US", "Tel+1 201 555 0123", "Tel", "+1 2015550123"],
    ["AU", "Mobile 0491 570 006", "Mobile", "+61 491570006"],
    ["DE", "Handy 0151 23456789", "Handy", "+49 15123456789"],
    ["JP", "携帯09012345678", "携帯", "+81 9012345678"],
  ])("removes the label from the %s number %s, naming %s", (region, input, label, canonical) => {
    const phone = accepted(input, { defaultCountry: region as CountryCode, expect: "office" });
    expect(phone.canonical).toBe(canonical);
    expect(phone.warnings[0]).toMatchObject({ field, code: "phone_label_removed" });
    expect(phone.warnings[0]?.message).toContain(`"${label}"`);
    expect(phone.warnings[0]?.message).not.toMatch(/\d{3,}/);
  });

  it("keeps the other warnings after the label's", () => {
    expect(accepted("Work Phone: +1 201 555 0123 x12").warnings.map((w) => w.code)).toEqual([
      "phone_label_removed",
      "phone_extension_dropped",
    ]);
  });

  it.each([
    ["a word that is not a label (Fax)", "Fax: 201 555 0123", "US"],
    ["a word that is not a label (Home)", "Home: 201 555 0123", "US"],
    ["a name in front of the number", "Mei: 201 555 0123", "US"],
    ["two labels in one", "Tel/Fax: 030 1234567", "DE"],
    ["a word that is not a label, without a colon (Fax)", "Fax 201 555 0123", "US"],
    ["a single letter with a space, which may be an initial", "M 201 555 0123", "US"],
    ["a label after the number without brackets or dash", "201 555 0123 mobile", "US"],
    ["a single letter with a dot, which may be an initial", "M. 201 555 0123", "US"],
    ["the letter O in brackets, which may be a mistyped trunk 0", "(O) 7400 123456", "GB"],
    ["the letter O without a colon", "O 7400 123456", "GB"],
    ["a label at both ends", "Mobile: 201-555-0123 (work)", "US"],
    ["two labelled numbers", "Mobile: 201-555-0123 / Office: 201-555-0124", "US"],
  ])("refuses %s", (_, input, region) => {
    expect(rejected(input, { defaultCountry: region as CountryCode }).code).toBe("phone_not_a_number");
  });

  it("reads a label around a placeholder as the placeholder it is", () => {
    expect(rejected("Mobile: n/a", { defaultCountry: "US" }).code).toBe("phone_placeholder");
  });

  it("reads tel: directly before the digits as an RFC 3966 URI, not a label", () => {
    const phone = accepted("tel:+1-201-555-0123;ext=12");
    expect(phone.canonical).toBe("+1 2015550123");
    expect(phone.warnings.map((w) => w.code)).toEqual(["phone_extension_dropped"]);
  });

  it("never lets a tel: URI carry text after the number", () => {
    expect(rejected("tel:+12015550123(home)").code).toBe("phone_not_a_number");
  });
});

describe("normalizePhone and several numbers in one field", () => {
  it.each([
    ["DE", "0151 23456789 / 030 1234567"],
    ["DE", "030 1234 / 030 5678"],
    ["US", "425-555-0147, 425-555-0148"],
    ["US", "425-555-0147; 425-555-0148"],
    ["US", "425-555-0147 | 425-555-0148"],
    ["US", "425-555-0147 & 425-555-0148"],
    ["US", "425-555-0147\n425-555-0148"],
    ["US", "425-555-0147 - 425-555-0148"],
    ["US", "tel:+14255550147,tel:+14255550148"],
    ["JP", "090-1234-5678、03-1234-5678"],
    // Found by fast-check: libphonenumber reads ", 57123456" as a dialling pause and an extension.
    ["BQ", "318 1234, 57123456"],
    ["US", "425-555-0147, 4255550148999"],
  ])("refuses the %s value %j as two numbers", (region, input) => {
    const issue = rejected(input, { defaultCountry: region as CountryCode });
    expect(issue.code).toBe("phone_multiple");
    expect(issue.message).not.toMatch(/\d{5,}/);
  });

  it.each([
    ["DE", "0151/23456789", "+49 15123456789"],
    ["DE", "+49 (0)30/1234567", "+49 301234567"],
    ["AT", "0664/1234567", "+43 6641234567"],
    ["CH", "079/123 45 67", "+41 791234567"],
    ["US", "425/555-0147", "+1 4255550147"],
    ["US", "425-555-0147,,12", "+1 4255550147"],
  ])(
    "still reads the %s value %s, whose slash or commas are inside one number, as %s",
    (region, input, canonical) => {
      expect(accepted(input, { defaultCountry: region as CountryCode, expect: "office" }).canonical).toBe(
        canonical,
      );
    },
  );
});
