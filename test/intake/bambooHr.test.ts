import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hrBambooHr } from "../../functions/hrBambooHr.js";
import { validateContactEvent } from "../../shared/contact/contactEvent.js";
import { verifyBambooHrSignature } from "../../shared/intake/bambooHrSignature.js";
import { fromBambooHr } from "../../shared/intake/fromBambooHr.js";
import type { IntakeRecord } from "../../shared/intake/intakeRecord.js";
import {
  aContext,
  aPost,
  bambooHrHeaders,
  bodyOf,
  takeQueued,
  testSecrets,
  useWebhookEnvironment,
} from "../support/webhookRequests.js";

const sample = readFileSync(new URL("../../samples/bamboohr-webhook.json", import.meta.url));
const sentAt = new Date("2026-11-24T16:06:00Z");
const rules = { phoneValidation: "valid" as const, organizationDomains: ["contoso.example"] };

function headers(values: Record<string, string | undefined>) {
  const map = new Map(Object.entries(values).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name: string) => map.get(name.toLowerCase()) ?? null };
}

function eventsOf(records: readonly IntakeRecord[]): unknown[] {
  return records.map((record) => (record.ok ? record.event : record));
}

function anEmployee(overrides: Record<string, unknown> = {}) {
  return {
    id: "50001",
    action: "Updated",
    timestamp: "2026-11-24T16:10:00+00:00",
    fields: {
      "Employee #": "E50001",
      "Work Email": "sam.ortiz@contoso.example",
      "Mobile Phone": "(201) 555-0123",
      Country: "USA",
    },
    ...overrides,
  };
}

describe("verifying a BambooHR signature", () => {
  const body = Buffer.from(sample);
  const key = "bamboo-private-key";
  const now = new Date("2026-11-24T16:06:00Z");
  const signed = (overrides: { timestamp?: Date | string; key?: string } = {}) =>
    headers(bambooHrHeaders(body, { key, timestamp: now, ...overrides }));

  it("accepts the hex HMAC-SHA256 of body + timestamp under the private key", () => {
    expect(verifyBambooHrSignature(body, signed(), key, { now })).toEqual({ ok: true, timestamp: now });
  });

  it("accepts the signature in upper-case hex", () => {
    const values = bambooHrHeaders(body, { key, timestamp: now });
    const upper = headers({
      ...values,
      "x-bamboohr-signature": values["x-bamboohr-signature"]?.toUpperCase(),
    });
    expect(verifyBambooHrSignature(body, upper, key, { now }).ok).toBe(true);
  });

  it("accepts an ISO 8601 timestamp header too", () => {
    const verdict = verifyBambooHrSignature(body, signed({ timestamp: "2026-11-24T16:05:00Z" }), key, {
      now,
    });
    expect(verdict).toEqual({ ok: true, timestamp: new Date("2026-11-24T16:05:00Z") });
  });

  it.each([
    ["a tampered body", Buffer.from(sample.toString("utf8").replace("0147", "0148")), signed()],
    ["another key", body, signed({ key: "another-key" })],
    [
      "a signature that is not hex",
      body,
      headers({ ...bambooHrHeaders(body, { key, timestamp: now }), "x-bamboohr-signature": "zz" }),
    ],
    [
      "a timestamp that differs from the signed one",
      body,
      headers({
        ...bambooHrHeaders(body, { key, timestamp: now }),
        "x-bamboohr-timestamp": String(now.getTime() / 1000 - 1),
      }),
    ],
  ])("refuses %s", (_case, payload, given) => {
    expect(verifyBambooHrSignature(payload, given, key, { now })).toEqual({
      ok: false,
      reason: "invalid_signature",
    });
  });

  it.each([
    ["stale (6 minutes old)", -6, "timestamp_too_old"],
    ["from the future (6 minutes ahead)", 6, "timestamp_too_new"],
    ["4 minutes old", -4, true],
  ])("judges a timestamp %s by the injected clock", (_case, minutes, expected) => {
    const timestamp = new Date(now.getTime() + minutes * 60_000);
    const verdict = verifyBambooHrSignature(body, signed({ timestamp }), key, { now });
    expect(verdict.ok ? true : verdict.reason).toBe(expected);
  });

  it.each(["x-bamboohr-signature", "x-bamboohr-timestamp"])("refuses a delivery without %s", (name) => {
    const values: Record<string, string | undefined> = bambooHrHeaders(body, { key, timestamp: now });
    values[name] = undefined;
    expect(verifyBambooHrSignature(body, headers(values), key, { now })).toEqual({
      ok: false,
      reason: "missing_headers",
    });
  });
});

describe("mapping a BambooHR field-based webhook", () => {
  it("maps the sample's new hire to a ContactEvent without the work extension", () => {
    const result = fromBambooHr(JSON.parse(sample.toString("utf8")), { sentAt });
    expect(result.ok && eventsOf(result.value)[0]).toEqual({
      eventId: "bamboohr-40412-2026-11-24T16:02:11+00:00",
      source: "bamboohr",
      occurredAt: "2026-11-24T16:02:11+00:00",
      user: { employeeId: "E40412", userPrincipalName: "avery.lindqvist@contoso.example" },
      country: "US",
      contact: {
        mobilePhone: "(425) 555-0147",
        officePhone: "425.555.0100",
        alternateEmail: "Avery.L@Example.com",
      },
    });
  });

  it("sends only the changed mobile phone of an update, with the identifiers and country", () => {
    const result = fromBambooHr(JSON.parse(sample.toString("utf8")), { sentAt });
    expect(result.ok && eventsOf(result.value)[1]).toEqual({
      eventId: "bamboohr-40413-2026-11-24T16:05:40+00:00",
      source: "bamboohr",
      occurredAt: "2026-11-24T16:05:40+00:00",
      user: { employeeId: "E40413", userPrincipalName: "jonas.weber@contoso.example" },
      country: "DE",
      contact: { mobilePhone: "0151 23456789" },
    });
  });

  it("produces events the contact rules accept", () => {
    const result = fromBambooHr(JSON.parse(sample.toString("utf8")), { sentAt });
    const contacts = result.ok
      ? eventsOf(result.value).map((event) => {
          const valid = validateContactEvent(event, rules);
          return valid.ok ? valid.value.contact : valid.issues;
        })
      : [];
    expect(contacts).toEqual([
      { mobilePhone: "+1 4255550147", officePhone: "+1 4255550100", alternateEmail: "Avery.L@example.com" },
      { mobilePhone: "+49 15123456789" },
    ]);
  });

  it.each([
    [
      "no changedFields: every contact field present",
      undefined,
      { mobilePhone: "(201) 555-0123", alternateEmail: "sam@example.com" },
    ],
    [
      "an empty changedFields (a Created entry that carries fields): every contact field present",
      [],
      { mobilePhone: "(201) 555-0123", alternateEmail: "sam@example.com" },
    ],
    ["changedFields naming only the home email", ["Home Email"], { alternateEmail: "sam@example.com" }],
    ["changedFields naming no contact field", ["Job Title"], {}],
    [
      "changedFields spelled differently",
      ["mobile_phone", "HOME EMAIL"],
      { mobilePhone: "(201) 555-0123", alternateEmail: "sam@example.com" },
    ],
  ])("reads contact fields for %s", (_case, changedFields, contact) => {
    const employee = anEmployee({
      ...(changedFields ? { changedFields } : {}),
      fields: { ...anEmployee().fields, "Home Email": "sam@example.com" },
    });
    const result = fromBambooHr({ employees: [employee] }, { sentAt });
    expect(result.ok && eventsOf(result.value)[0]).toMatchObject({ contact });
    expect(result.ok && (eventsOf(result.value)[0] as { contact: object }).contact).toEqual(contact);
  });

  it("reads fields the customer renamed", () => {
    const employee = anEmployee({
      fields: { "Emp No": "E50001", Handy: "0151 23456789", Land: "Deutschland" },
    });
    const result = fromBambooHr(
      { employees: [employee] },
      { sentAt, fieldNames: { employeeId: "Emp No", mobilePhone: "Handy", country: "Land" } },
    );
    expect(result.ok && eventsOf(result.value)[0]).toMatchObject({
      user: { employeeId: "E50001" },
      country: "DE",
      contact: { mobilePhone: "0151 23456789" },
    });
  });

  it("passes an unknown country name on for the rules to report", () => {
    const result = fromBambooHr(
      { employees: [anEmployee({ fields: { "Employee #": "E1", Country: "Atlantis" } })] },
      { sentAt },
    );
    const event = result.ok ? eventsOf(result.value)[0] : undefined;
    expect(event).toMatchObject({ country: "Atlantis" });
    expect(validateContactEvent(event, rules)).toMatchObject({
      ok: false,
      issues: [{ code: "country_unknown" }],
    });
  });

  it("reads BambooHR's own timestamp form, an offset without a colon, as the event time", () => {
    const result = fromBambooHr(
      { employees: [anEmployee({ timestamp: "2026-11-24T16:02:11+0000" })] },
      { sentAt },
    );
    expect(result.ok && eventsOf(result.value)[0]).toMatchObject({
      eventId: "bamboohr-50001-2026-11-24T16:02:11+0000",
      occurredAt: "2026-11-24T16:02:11+00:00",
    });
    expect(validateContactEvent(result.ok && eventsOf(result.value)[0], rules)).toMatchObject({ ok: true });
  });

  it("takes the event time from the signed header when an entry has no timestamp", () => {
    const { timestamp: _omitted, ...employee } = anEmployee();
    const result = fromBambooHr({ employees: [employee] }, { sentAt });
    expect(result.ok && eventsOf(result.value)[0]).toMatchObject({
      eventId: "bamboohr-50001-2026-11-24T16:06:00.000Z",
      occurredAt: "2026-11-24T16:06:00.000Z",
    });
  });

  it("carries a security-question field by name so the rules refuse the record", () => {
    const employee = anEmployee({ fields: { ...anEmployee().fields, "Security Answer 1": "Rex" } });
    const result = fromBambooHr({ employees: [employee] }, { sentAt });
    const event = result.ok ? eventsOf(result.value)[0] : undefined;
    expect(JSON.stringify(event)).not.toContain("Rex");
    expect(validateContactEvent(event, rules)).toMatchObject({
      ok: false,
      issues: [{ code: "security_questions_not_settable" }],
    });
  });

  it.each([
    [
      "a deleted employee",
      anEmployee({ action: "Deleted" }),
      "bamboohr_employee_deleted",
      "bamboohr-50001-2026-11-24T16:10:00+00:00",
    ],
    ["an entry without an id", anEmployee({ id: "" }), "bamboohr_employee_id_missing", undefined],
    ["an entry that is not an object", "40412", "bamboohr_employee_invalid", undefined],
  ])("refuses %s", (_case, employee, code, eventId) => {
    const result = fromBambooHr({ employees: [employee] }, { sentAt });
    expect(result.ok && result.value[0]).toEqual({
      ok: false,
      ...(eventId ? { eventId } : {}),
      issues: [expect.objectContaining({ code })],
    });
  });

  it.each([[[]], [{}], [{ employees: "none" }], [null]])(
    "refuses a body without an employees array: %j",
    (payload) => {
      expect(fromBambooHr(payload, { sentAt })).toMatchObject({
        ok: false,
        issues: [{ code: "invalid_body" }],
      });
    },
  );
});

describe("POST /api/hr/bamboohr", () => {
  const env = useWebhookEnvironment();

  /** A sample-shaped body with ids unique to this test, so receipts of other tests never match. */
  function freshSample(): string {
    const unique = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
    return sample.toString("utf8").replaceAll('"4041', `"${unique}`);
  }

  const post = (body: string, headers: Record<string, string> = bambooHrHeaders(body), logs: string[] = []) =>
    hrBambooHr(aPost("hr/bamboohr", body, headers), aContext(logs));

  it("queues one event per employee of a signed delivery", async () => {
    const body = freshSample();
    const response = await post(body);
    expect(response.status).toBe(202);
    const report = bodyOf(response) as { accepted: { eventId: string }[]; rejected: unknown[] };
    expect(report.rejected).toEqual([]);
    expect(report.accepted.map((record) => record.eventId)).toEqual([
      expect.stringMatching(/^bamboohr-\d+2-2026-11-24T16:02:11\+00:00$/),
      expect.stringMatching(/^bamboohr-\d+3-2026-11-24T16:05:40\+00:00$/),
    ]);
    const queued = await takeQueued();
    expect(queued.map((event) => [event.source, event.actor, event.contact])).toEqual([
      [
        "bamboohr",
        "webhook:hr/bamboohr",
        { mobilePhone: "(425) 555-0147", officePhone: "425.555.0100", alternateEmail: "Avery.L@Example.com" },
      ],
      ["bamboohr", "webhook:hr/bamboohr", { mobilePhone: "0151 23456789" }],
    ]);
  });

  it("acknowledges BambooHR's redelivery of the same change as duplicates", async () => {
    const body = freshSample();
    await post(body);
    await takeQueued();
    const again = await post(body, bambooHrHeaders(body));
    expect(bodyOf(again)).toMatchObject({ accepted: [{ duplicate: true }, { duplicate: true }] });
    expect(await takeQueued()).toEqual([]);
  });

  it.each([
    ["a bad signature", (body: string) => bambooHrHeaders(body, { key: "not-the-key" })],
    [
      "a stale timestamp",
      (body: string) => bambooHrHeaders(body, { timestamp: new Date(Date.now() - 6 * 60_000) }),
    ],
    ["no signature", () => ({})],
  ])("answers 401 without detail and queues nothing for %s", async (_case, make) => {
    const body = freshSample();
    const logs: string[] = [];
    const response = await post(body, make(body), logs);
    expect(response.status).toBe(401);
    expect(bodyOf(response)).toEqual({ error: { code: "unauthorized", message: "Unauthorized." } });
    expect(logs.join("\n")).toMatch(/delivery refused/);
    expect(await takeQueued()).toEqual([]);
  });

  it.each([
    [
      "415 for form data",
      415,
      () => aPost("hr/bamboohr", "a=1", { "content-type": "application/x-www-form-urlencoded" }),
    ],
    ["400 for signed malformed JSON", 400, () => aPost("hr/bamboohr", "{", bambooHrHeaders("{"))],
    ["400 for a signed body without employees", 400, () => aPost("hr/bamboohr", "{}", bambooHrHeaders("{}"))],
    [
      "413 for a body over 1 MB",
      413,
      () => {
        const body = JSON.stringify({ employees: [], padding: "x".repeat(1024 * 1024) });
        return aPost("hr/bamboohr", body, bambooHrHeaders(body));
      },
    ],
  ])("answers %s and queues nothing", async (_case, status, request) => {
    expect((await hrBambooHr(request(), aContext())).status).toBe(status);
    expect(await takeQueued()).toEqual([]);
  });

  it("answers 503 endpoint_not_configured without BAMBOOHR_WEBHOOK_KEY", async () => {
    env().configure({ BAMBOOHR_WEBHOOK_KEY: undefined });
    const body = freshSample();
    const response = await post(body, bambooHrHeaders(body, { key: testSecrets.bambooHr }));
    expect(response.status).toBe(503);
    expect(bodyOf(response)).toMatchObject({ error: { code: "endpoint_not_configured" } });
    expect(await takeQueued()).toEqual([]);
  });

  it("logs counts and ids but no contact value", async () => {
    const logs: string[] = [];
    await post(freshSample(), undefined, logs);
    expect(logs.join("\n")).toMatch(/2 accepted/);
    expect(logs.join("\n")).not.toMatch(/555-01|@example|@contoso|0151 2345/i);
  });
});
