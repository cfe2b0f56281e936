import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { contactRuleOptionsFrom } from "../../shared/app/ruleOptions.js";
import {
  type ContactRuleOptions,
  isSecurityQuestionField,
  type ValidContactEvent,
  validateContactEvent,
} from "../../shared/contact/contactEvent.js";
import { ConfigError } from "../../shared/core/errors.js";
import type { Result, RuleIssue } from "../../shared/core/result.js";

const rules: ContactRuleOptions = { phoneValidation: "valid", organizationDomains: ["contoso.example"] };

function anEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: "hr-2026-11-24-0001",
    source: "webhook",
    occurredAt: "2026-11-24T09:00:00Z",
    user: { userPrincipalName: "mei.chen@contoso.example", employeeId: "E10001" },
    country: "AU",
    contact: { mobilePhone: "0491 570 006", alternateEmail: "mei.chen@example.org" },
    ...overrides,
  };
}

function valid(input: unknown, options: ContactRuleOptions = rules): ValidContactEvent {
  const result = validateContactEvent(input, options);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result.issues)}`);
  return result.value;
}

function issuesOf(input: unknown, options: ContactRuleOptions = rules): RuleIssue[] {
  const result = validateContactEvent(input, options);
  if (result.ok) throw new Error("expected an invalid event");
  return result.issues;
}

function codesOf(input: unknown): string[] {
  return issuesOf(input).map((issue) => `${issue.field}:${issue.code}`);
}

describe("validateContactEvent", () => {
  it("accepts the seed's own event and returns canonical contact values", () => {
    const value = valid(anEvent());
    expect(value.contact).toEqual({ mobilePhone: "+61 491570006", alternateEmail: "mei.chen@example.org" });
    expect(value.country).toBe("AU");
    expect(value.phoneTypes).toEqual({ mobilePhone: "MOBILE" });
    expect(value.event.eventId).toBe("hr-2026-11-24-0001");
  });

  it("accepts the seed's British event with a (0) trunk mark and an office extension, with a warning", () => {
    const result = validateContactEvent(
      anEvent({
        user: { employeeId: "E10002" },
        country: "GB",
        contact: { mobilePhone: "+44 (0)7400 123456", officePhone: "020 7946 0958 ext. 12" },
      }),
      rules,
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.contact).toEqual({
      mobilePhone: "+44 7400123456",
      officePhone: "+44 2079460958",
    });
    expect(result.warnings.map((w) => `${w.field}:${w.code}`)).toEqual([
      "contact.officePhone:phone_extension_dropped",
    ]);
  });

  it("reads national numbers in the event's country before the default country", () => {
    const options = { ...rules, defaultCountry: "US" as const };
    expect(
      valid(anEvent({ country: "DE", contact: { mobilePhone: "0151 23456789" } }), options).contact,
    ).toEqual({
      mobilePhone: "+49 15123456789",
    });
    expect(
      valid(anEvent({ country: undefined, contact: { mobilePhone: "(425) 555-0147" } }), options).contact,
    ).toEqual({
      mobilePhone: "+1 4255550147",
    });
  });

  it.each([
    ["Germany", "DE"],
    ["Deutschland", "DE"],
    ["United States", "US"],
    ["de", "DE"],
  ])("maps the country %s to %s", (country, code) => {
    expect(valid(anEvent({ country, contact: {} })).country).toBe(code);
  });

  it("rejects a country it cannot map", () => {
    expect(codesOf(anEvent({ country: "Atlantis" }))).toContain("country:country_unknown");
  });

  it("does not quote a country value that looks like a phone number", () => {
    const [issue] = issuesOf(anEvent({ country: "+49 151 23456789", contact: {} }));
    expect(issue?.code).toBe("country_unknown");
    expect(issue?.message).not.toContain("151");
  });

  it.each([
    ["absent", {}],
    ["null", { mobilePhone: null, officePhone: null, alternateEmail: null }],
    ["empty", { mobilePhone: "", officePhone: "  ", alternateEmail: "" }],
  ])("leaves %s contact fields as they are", (_, contact) => {
    const result = validateContactEvent(anEvent({ contact }), rules);
    expect(result.ok && result.value.contact).toEqual({});
    expect(result.warnings.map((w) => w.code)).toEqual(["contact_empty"]);
  });

  it("rejects an unknown contact field by name", () => {
    const issues = issuesOf(anEvent({ contact: { mobilePhone: "0491 570 006", homePhone: "0491 570 006" } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: "contact.homePhone", code: "unknown_field" });
    expect(issues[0]?.message).toContain("mobilePhone, officePhone, alternateEmail");
  });

  it("rejects an unknown top-level field by name", () => {
    expect(codesOf(anEvent({ firstName: "Mei" }))).toEqual(["firstName:unknown_field"]);
  });

  it.each([
    ["contact", "securityQuestions"],
    ["contact", "securityAnswers"],
    ["contact", "Security Answer 2"],
    ["contact", "secret_question"],
    ["user", "securityQA"],
    ["event", "securityQuestions"],
  ])("rejects the security-question field %s.%s without echoing its value", (where, key) => {
    const secret = "my first pet was Rexford";
    const input =
      where === "event"
        ? anEvent({ [key]: [{ question: "pet", answer: secret }] })
        : anEvent({ [where]: { ...(anEvent()[where] as object), [key]: secret } });
    const result = validateContactEvent(input, rules);
    expect(result.ok).toBe(false);
    const issue = !result.ok
      ? result.issues.find((i) => i.code === "security_questions_not_settable")
      : undefined;
    expect(issue?.field).toBe(where === "event" ? key : `${where}.${key}`);
    expect(issue?.message).toContain("administrators can never set");
    expect(JSON.stringify(result)).not.toContain("Rexford");
  });

  it("needs at least one user identifier", () => {
    expect(codesOf(anEvent({ user: {} }))).toEqual(["user:user_missing_identifier"]);
    expect(codesOf(anEvent({ user: { userPrincipalName: " ", employeeId: null } }))).toEqual([
      "user:user_missing_identifier",
    ]);
  });

  it.each([
    [".."],
    ["../me"],
    ["me"],
    ["6f1c2a40-0000-4000-8000-00000000000g"],
    [" 6f1c2a40-0000-4000-8000-000000000001"],
  ])("rejects the object id %j as user_id_not_guid, without echoing it", (id) => {
    const issues = issuesOf(anEvent({ user: { id } }));
    expect(issues).toEqual([
      expect.objectContaining({
        field: "user.id",
        code: "user_id_not_guid",
        hint: expect.stringContaining("GUID"),
      }),
    ]);
    expect(JSON.stringify(issues)).not.toContain(JSON.stringify(id));
  });

  it.each([["6f1c2a40-0000-4000-8000-000000000001"], ["6F1C2A40-0000-4000-8000-00000000000A"], [""], [null]])(
    "accepts the object id %j (a GUID in either case, or none)",
    (id) => {
      expect(
        valid(anEvent({ user: { id, userPrincipalName: "mei.chen@contoso.example" } })).event.user.id,
      ).toBe(id || undefined);
    },
  );

  it.each([["webhook:hr/events#0a1b2c3d"], ["webhook:hr/bamboohr"], ["webhook:hr/scim"]])(
    "accepts the intake's stamp %s as actor",
    (actor) => {
      expect(valid(anEvent({ actor })).event.actor).toBe(actor);
    },
  );

  it.each([["helpdesk@contoso.example"], ["queue"], ["webhook:hr/events#0a1b2c3d admin"], [""], [42]])(
    "refuses %j as actor: only the intake names the sender",
    (actor) => {
      expect(codesOf(anEvent({ actor }))).toEqual(["actor:actor_not_settable"]);
    },
  );

  it.each([["not a stamp"], ["a".repeat(44)], [""], [42]])(
    "refuses %j as actorStamp: only an HMAC in base64url fits",
    (actorStamp) => {
      expect(codesOf(anEvent({ actor: "webhook:hr/scim", actorStamp }))).toEqual([
        "actorStamp:actor_not_settable",
      ]);
    },
  );

  it("drops blank identifiers from the event it returns", () => {
    expect(valid(anEvent({ user: { id: "", employeeId: "E1" } })).event.user).toEqual({ employeeId: "E1" });
  });

  it.each([
    ["eventId", "", "eventId:field_empty"],
    ["eventId", "e".repeat(129), "eventId:field_too_long"],
    ["eventId", 7, "eventId:field_invalid_type"],
    ["occurredAt", "yesterday", "occurredAt:field_invalid_format"],
    ["occurredAt", "2026-11-24T09:00:00", "occurredAt:field_invalid_format"],
    ["source", undefined, "source:field_required"],
    ["user", "E10001", "user:field_invalid_type"],
    ["contact", undefined, "contact:field_required"],
    ["contact", { mobilePhone: 4255550147 }, "contact.mobilePhone:field_invalid_type"],
  ])("rejects %s = %j with %s", (key, value, expected) => {
    expect(codesOf(anEvent({ [key]: value }))).toEqual([expected]);
  });

  it("accepts an eventId of exactly 128 characters", () => {
    expect(valid(anEvent({ eventId: "e".repeat(128) })).event.eventId).toHaveLength(128);
  });

  it("reports every problem of an event at once, in field order", () => {
    expect(
      codesOf(
        anEvent({
          eventId: "",
          user: {},
          contact: { mobilePhone: "+1 4251234567", officePhone: "n/a", alternateEmail: "x@contoso.example" },
        }),
      ),
    ).toEqual([
      "eventId:field_empty",
      "user:user_missing_identifier",
      "contact.mobilePhone:phone_invalid_for_region",
      "contact.officePhone:phone_placeholder",
      "contact.alternateEmail:email_is_organizational",
    ]);
  });

  it.each([
    [null, "null"],
    [[], "an array"],
    [42, "a number"],
    ["event", "a string"],
    [undefined, "a undefined"],
  ])("rejects %j as not an object", (input, kind) => {
    const [issue] = issuesOf(input);
    expect(issue).toMatchObject({ field: "event", code: "event_not_an_object" });
    expect(issue?.message).toContain(kind);
  });

  it("neither throws nor pollutes Object.prototype on __proto__ and constructor keys", () => {
    const input = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"eventId":"e1","source":"s","occurredAt":"2026-11-24T09:00:00Z","user":{"__proto__":{"admin":true},"employeeId":"E1"},"contact":{"__proto__":{"x":1}}}',
    );
    const codes = codesOf(input);
    expect(codes).toEqual(
      expect.arrayContaining([
        "__proto__:unknown_field",
        "constructor:unknown_field",
        "user.__proto__:unknown_field",
      ]),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("turns a throwing getter or a revoked proxy into an issue", () => {
    const getter = anEvent();
    Object.defineProperty(getter, "contact", {
      enumerable: true,
      get() {
        throw new Error("boom 4255550147");
      },
    });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const input of [getter, proxy]) {
      const result: Result<ValidContactEvent> = validateContactEvent(input, rules);
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain("4255550147");
    }
  });

  it("handles huge strings quickly", () => {
    const huge = "9".repeat(5_000_000);
    const started = performance.now();
    const codes = codesOf(
      anEvent({ eventId: huge, country: huge, contact: { mobilePhone: huge, alternateEmail: huge } }),
    );
    expect(codes).toEqual([
      "eventId:field_too_long",
      "country:field_too_long",
      "country:country_unknown",
      "contact.mobilePhone:phone_too_long",
      "contact.alternateEmail:email_too_long",
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("caps the number of unknown-field issues", () => {
    const extra = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`field${i}`, i]));
    const issues = issuesOf(anEvent(extra));
    expect(issues.length).toBeLessThanOrEqual(21);
    expect(issues.at(-1)?.message).toContain("480 more unknown fields");
  });
});

describe("isSecurityQuestionField", () => {
  it.each([
    "securityQuestions",
    "securityAnswers",
    "Security Question 1",
    "secret_answer",
    "challengeQuestion",
  ])("recognizes %s", (name) => expect(isSecurityQuestionField(name)).toBe(true));
  it.each(["mobilePhone", "question", "secretary", "securityGroup"])("leaves %s alone", (name) =>
    expect(isSecurityQuestionField(name)).toBe(false),
  );
});

describe("contactRuleOptionsFrom", () => {
  it("takes DEFAULT_COUNTRY, PHONE_VALIDATION and ORGANIZATION_DOMAINS from the settings", () => {
    const settings = loadSettings({
      DEFAULT_COUNTRY: "de",
      PHONE_VALIDATION: "possible",
      ORGANIZATION_DOMAINS: "contoso.example, fabrikam.example",
    });
    expect(contactRuleOptionsFrom(settings)).toEqual({
      defaultCountry: "DE",
      phoneValidation: "possible",
      organizationDomains: ["contoso.example", "fabrikam.example"],
    });
  });

  it("defaults to strict validation, no region and no organization domains", () => {
    expect(contactRuleOptionsFrom(loadSettings({}))).toEqual({
      phoneValidation: "valid",
      organizationDomains: [],
    });
  });

  it("refuses a DEFAULT_COUNTRY without a numbering plan, naming the setting", () => {
    expect(() => contactRuleOptionsFrom(loadSettings({ DEFAULT_COUNTRY: "ZZ" }))).toThrow(ConfigError);
    expect(() => contactRuleOptionsFrom(loadSettings({ DEFAULT_COUNTRY: "ZZ" }))).toThrow(/DEFAULT_COUNTRY/);
  });
});
