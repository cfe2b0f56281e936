import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { hrScim } from "../../functions/hrScim.js";
import { appServices } from "../../shared/app/appServices.js";
import { validateContactEvent } from "../../shared/contact/contactEvent.js";
import { hasBearerToken } from "../../shared/http/hasBearerToken.js";
import { fromScim, fromScimUser, scimSchemas } from "../../shared/intake/fromScim.js";
import {
  aContext,
  aPost,
  bodyOf,
  takeQueued,
  testSecrets,
  useWebhookEnvironment,
} from "../support/webhookRequests.js";

const sampleText = readFileSync(new URL("../../samples/scim-bulk-request.json", import.meta.url), "utf8");
const sample = () =>
  JSON.parse(sampleText) as { Operations: { bulkId: string; data: Record<string, unknown> }[] };
const receivedAt = new Date("2026-11-24T17:00:00Z");
const rules = { phoneValidation: "valid" as const, organizationDomains: ["contoso.example"] };

function aUser(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [scimSchemas.user, scimSchemas.enterpriseUser],
    externalId: "900001",
    userName: "sam.ortiz@contoso.example",
    phoneNumbers: [{ value: "+1 201-555-0123", type: "mobile" }],
    [scimSchemas.enterpriseUser]: { employeeNumber: "900001" },
    ...overrides,
  };
}

function eventOf(user: unknown, bulkId?: string): Record<string, unknown> {
  const record = fromScimUser(user, { receivedAt, ...(bulkId ? { bulkId } : {}) });
  if (!record.ok) throw new Error(`refused: ${record.issues.map((issue) => issue.code).join(", ")}`);
  return record.event as Record<string, unknown>;
}

describe("checking the SCIM bearer token", () => {
  it.each([
    ["the right token", "Bearer s3cret-token", true],
    ["the scheme in lower case", "bearer s3cret-token", true],
    ["another token", "Bearer s3cret-tokem", false],
    ["a prefix of the token", "Bearer s3cret", false],
    ["the token without the scheme", "s3cret-token", false],
    ["Basic authentication", "Basic czNjcmV0LXRva2Vu", false],
    ["an empty header", "", false],
    ["no header", null, false],
  ])("accepts only the configured token: %s", (_case, header, expected) => {
    expect(hasBearerToken(header, "s3cret-token")).toBe(expected);
  });

  it("never matches an empty configured token", () => {
    expect(hasBearerToken("Bearer ", "")).toBe(false);
  });
});

describe("mapping SCIM users", () => {
  it("maps the sample's first operation the way Entra inbound provisioning reads it", () => {
    const result = fromScim(sample(), { receivedAt });
    const first = result.ok ? result.value.operations[0] : undefined;
    expect(first?.method).toBe("POST");
    expect(first?.bulkId).toBe("701984");
    expect(first?.record.ok && first.record.event).toEqual({
      eventId: expect.stringMatching(/^scim-701984-[0-9a-f]{16}$/),
      source: "scim",
      occurredAt: receivedAt.toISOString(),
      user: { userPrincipalName: "priya.raman@contoso.example", employeeId: "701984" },
      country: "IN",
      contact: {
        mobilePhone: "tel:+91-81234-56789",
        officePhone: "+91 74104 10123 ext 210",
        alternateEmail: "priya.r@example.net",
      },
    });
  });

  it("produces sample events the rules accept (first) and reject (second, mobile n/a)", () => {
    const result = fromScim(sample(), { receivedAt });
    const verdicts = result.ok
      ? result.value.operations.map((op) => {
          const valid = op.record.ok ? validateContactEvent(op.record.event, rules) : undefined;
          return valid?.ok ? valid.value.contact : valid?.issues.map((issue) => issue.code);
        })
      : [];
    expect(verdicts).toEqual([
      { mobilePhone: "+91 8123456789", officePhone: "+91 7410410123", alternateEmail: "priya.r@example.net" },
      ["phone_placeholder"],
    ]);
  });

  it.each([
    [
      "a primary home email over an earlier one",
      [
        { value: "a@example.com", type: "home" },
        { value: "b@example.com", type: "home", primary: true },
      ],
      "b@example.com",
    ],
    [
      'a primary home email marked with the string "True", as Entra\'s provisioning service sends booleans',
      [
        { value: "a@example.com", type: "home", primary: "False" },
        { value: "b@example.com", type: "home", primary: "True" },
      ],
      "b@example.com",
    ],
    [
      'the first home email when "primary" is neither true nor "true"',
      [
        { value: "a@example.com", type: "home", primary: "yes" },
        { value: "b@example.com", type: "home", primary: "False" },
      ],
      "a@example.com",
    ],
    [
      "a home email over an other one",
      [
        { value: "o@example.com", type: "other" },
        { value: "h@example.com", type: "home" },
      ],
      "h@example.com",
    ],
    [
      "an other email when there is no home one",
      [
        { value: "w@contoso.example", type: "work" },
        { value: "o@example.com", type: "other" },
      ],
      "o@example.com",
    ],
    [
      "nothing from a work email alone",
      [{ value: "w@contoso.example", type: "work", primary: true }],
      undefined,
    ],
  ])("picks the alternate email: %s", (_case, emails, expected) => {
    expect((eventOf(aUser({ emails })).contact as Record<string, unknown>).alternateEmail).toBe(expected);
  });

  it.each([
    ["the primary address's country", [{ country: "GB" }, { country: "IE", primary: true }], "IE"],
    [
      'the address marked primary "true" (a string)',
      [{ country: "GB" }, { country: "IE", primary: "true" }],
      "IE",
    ],
    ["the first address's country", [{ country: "GB" }, { country: "IE" }], "GB"],
    ["the first address that has a country", [{ locality: "Paris" }, { country: "FR" }], "FR"],
    ["no country without addresses", undefined, undefined],
  ])("reads %s", (_case, addresses, expected) => {
    expect(eventOf(aUser(addresses ? { addresses } : {})).country).toBe(expected);
  });

  it("ignores home and other phone types", () => {
    const user = aUser({
      phoneNumbers: [
        { value: "+1 201-555-0123", type: "home" },
        { value: "+1 201-555-0124", type: "other" },
      ],
    });
    expect(eventOf(user).contact).toEqual({});
  });

  it("reads attribute names without regard to case, as SCIM defines them", () => {
    const user = {
      username: "sam.ortiz@contoso.example",
      PHONENUMBERS: [{ Value: "+1 201-555-0123", Type: "Mobile" }],
    };
    expect(eventOf(user)).toMatchObject({
      user: { userPrincipalName: "sam.ortiz@contoso.example" },
      contact: { mobilePhone: "+1 201-555-0123" },
    });
  });

  it("keeps the event id for an identical redelivery and changes it when any value changes", () => {
    const id = (user: unknown, bulkId?: string) => eventOf(user, bulkId).eventId;
    expect(id(aUser(), "b1")).toBe(id(aUser(), "b1"));
    expect(id(aUser(), "b1")).not.toBe(
      id(aUser({ phoneNumbers: [{ value: "+1 201-555-0124", type: "mobile" }] }), "b1"),
    );
    expect(id(aUser())).toMatch(/^scim-900001-[0-9a-f]{16}$/);
    expect(id(aUser({ externalId: undefined }))).toMatch(/^scim-[0-9a-f]{16}$/);
  });

  it("takes the event time from meta.lastModified when the User has one", () => {
    expect(eventOf(aUser({ meta: { lastModified: "2026-11-20T08:00:00Z" } })).occurredAt).toBe(
      "2026-11-20T08:00:00Z",
    );
  });

  it.each([
    [
      "a PATCH operation",
      { method: "PATCH", path: "/Users/1", data: { Operations: [] } },
      "scim_method_not_supported",
    ],
    ["a DELETE operation", { method: "DELETE", path: "/Users/1" }, "scim_method_not_supported"],
    ["a group", { method: "POST", path: "/Groups", data: { displayName: "HR" } }, "scim_path_not_supported"],
    ["data that is not an object", { method: "POST", path: "/Users", data: "user" }, "scim_invalid_syntax"],
  ])("refuses %s with a reason", (_case, operation, code) => {
    const result = fromScim(
      { schemas: [scimSchemas.bulkRequest], Operations: [{ bulkId: "x", ...operation }] },
      { receivedAt },
    );
    expect(result.ok && result.value.operations[0]?.record).toMatchObject({ ok: false, issues: [{ code }] });
  });

  it("refuses a PatchOp by name instead of reading its operations as a BulkRequest's", () => {
    const patch = {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "Replace", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 201 555 0123" }],
    };
    expect(fromScim(patch, { receivedAt })).toMatchObject({
      ok: false,
      issues: [{ field: "schemas", code: "scim_patch_not_supported" }],
    });
  });

  it.each([[[]], ["text"], [{ schemas: ["urn:example:Other"] }], [{ schemas: [scimSchemas.bulkRequest] }]])(
    "refuses a body that is neither a User nor a BulkRequest: %j",
    (payload) => {
      expect(fromScim(payload, { receivedAt })).toMatchObject({
        ok: false,
        issues: [{ code: "scim_invalid_syntax" }],
      });
    },
  );
});

describe("POST /api/hr/scim", () => {
  const env = useWebhookEnvironment();

  let sequence = 0;
  /** The sample with bulkIds unique to this test, so receipts of other tests never match. */
  function freshSample(failOnErrors?: number) {
    sequence += 1;
    const body = sample() as Record<string, unknown> & ReturnType<typeof sample>;
    for (const op of body.Operations) op.bulkId = `${op.bulkId}-${Date.now()}-${sequence}`;
    if (failOnErrors !== undefined) body.failOnErrors = failOnErrors;
    return body;
  }

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    hrScim(
      aPost("hr/scim", typeof body === "string" ? body : JSON.stringify(body), {
        "content-type": "application/scim+json",
        authorization: `Bearer ${testSecrets.scim}`,
        ...headers,
      }),
      aContext(),
    );

  it("answers a BulkRequest with a BulkResponse: 202 for the good operation, 400 with a SCIM error for the bad one", async () => {
    const body = freshSample();
    const response = await post(body);
    expect(response.status).toBe(202);
    expect(response.headers).toMatchObject({ "Content-Type": "application/scim+json" });
    expect(bodyOf(response)).toEqual({
      schemas: [scimSchemas.bulkResponse],
      Operations: [
        { method: "POST", bulkId: body.Operations[0]?.bulkId, status: "202" },
        {
          method: "POST",
          bulkId: body.Operations[1]?.bulkId,
          status: "400",
          response: {
            schemas: [scimSchemas.error],
            status: "400",
            scimType: "invalidValue",
            detail: expect.stringContaining("[phone_placeholder]"),
          },
        },
      ],
    });
    const queued = await takeQueued();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({
      source: "scim",
      actor: "webhook:hr/scim",
      user: { employeeId: "701984" },
      contact: { alternateEmail: "priya.r@example.net" },
    });
  });

  it("acknowledges an identical redelivery without queueing it again", async () => {
    const body = freshSample();
    await post(body);
    await takeQueued();
    const again = await post(body);
    expect(bodyOf(again)).toMatchObject({ Operations: [{ status: "202" }, { status: "400" }] });
    expect(await takeQueued()).toEqual([]);
  });

  it("stops after failOnErrors failed operations", async () => {
    const body = freshSample(1);
    body.Operations.reverse();
    const response = await post(body);
    expect(bodyOf(response)).toMatchObject({ Operations: [{ status: "400" }] });
    expect((bodyOf(response) as { Operations: unknown[] }).Operations).toHaveLength(1);
    expect(await takeQueued()).toEqual([]);
  });

  it("answers a single User with 202 and its operation result", async () => {
    const response = await post(aUser({ externalId: `single-${Date.now()}` }), {
      "content-type": "application/json",
    });
    expect(response.status).toBe(202);
    expect(bodyOf(response)).toEqual({ method: "POST", status: "202" });
    expect(await takeQueued()).toHaveLength(1);
  });

  it("answers a single invalid User with 400 and a SCIM error", async () => {
    const response = await post(aUser({ phoneNumbers: [{ value: "n/a", type: "mobile" }] }));
    expect(response.status).toBe(400);
    expect(bodyOf(response)).toMatchObject({
      schemas: [scimSchemas.error],
      status: "400",
      scimType: "invalidValue",
    });
    expect(await takeQueued()).toEqual([]);
  });

  it.each([
    ["a wrong token", { authorization: "Bearer not-the-token" }],
    ["no token", { authorization: "" }],
    [
      "Basic credentials",
      { authorization: `Basic ${Buffer.from(`x:${testSecrets.scim}`).toString("base64")}` },
    ],
  ])("answers 401 without detail and queues nothing for %s", async (_case, headers) => {
    const response = await post(freshSample(), headers);
    expect(response.status).toBe(401);
    expect(bodyOf(response)).toEqual({ schemas: [scimSchemas.error], status: "401" });
    expect(response.headers).toMatchObject({ "WWW-Authenticate": expect.stringMatching(/^Bearer/) });
    expect(await takeQueued()).toEqual([]);
  });

  it.each([
    ["415 for text/plain", 415, () => post(freshSample(), { "content-type": "text/plain" })],
    ["400 invalidSyntax for malformed JSON", 400, () => post("{")],
    ["400 invalidSyntax for JSON that is no SCIM resource", 400, () => post({ hello: "world" })],
    [
      "501 for a PatchOp (RFC 7644 §3.12: an operation this provider does not support), not a 202",
      501,
      () =>
        post({
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: [
            { op: "Replace", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 2015550123" },
          ],
        }),
    ],
    ["413 for a body over 1 MB", 413, () => post({ ...freshSample(), padding: "x".repeat(1024 * 1024) })],
    [
      "413 for more than 500 operations",
      413,
      () =>
        post({
          schemas: [scimSchemas.bulkRequest],
          Operations: Array.from({ length: 501 }, () => ({ method: "POST" })),
        }),
    ],
  ])("answers %s as a SCIM error and queues nothing", async (_case, status, send) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(bodyOf(response)).toMatchObject({ schemas: [scimSchemas.error], status: String(status) });
    expect(await takeQueued()).toEqual([]);
  });

  it("answers 503 with Retry-After as a SCIM error when the queue fails, and queues on the retry", async () => {
    const body = freshSample();
    const send = vi.spyOn(appServices().queue, "send").mockRejectedValueOnce(new Error("queue down"));
    const failed = await post(body);
    expect(failed.status).toBe(503);
    expect(failed.headers).toMatchObject({ "Retry-After": "5" });
    expect(bodyOf(failed)).toMatchObject({ schemas: [scimSchemas.error], status: "503" });
    send.mockRestore();
    const retried = await post(body);
    expect(bodyOf(retried)).toMatchObject({ Operations: [{ status: "202" }, { status: "400" }] });
    expect(await takeQueued()).toHaveLength(1);
  });

  it("answers 503 endpoint_not_configured without SCIM_TOKEN, whatever the caller sends", async () => {
    env().configure({ SCIM_TOKEN: undefined });
    const response = await post(freshSample());
    expect(response.status).toBe(503);
    expect(bodyOf(response)).toMatchObject({
      schemas: [scimSchemas.error],
      detail: expect.stringMatching(/^endpoint_not_configured/),
    });
    expect(await takeQueued()).toEqual([]);
  });
});
