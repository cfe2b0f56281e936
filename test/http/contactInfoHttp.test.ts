import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getOutcome } from "../../functions/getOutcome.js";
import { listOutcomes } from "../../functions/listOutcomes.js";
import { localPrincipal } from "../../local/emulateEasyAuth.js";
import { loadFunctions } from "../../local/loadFunctions.js";
import { startLocalHost } from "../../local/localHost.js";
import { appServices } from "../../shared/app/appServices.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import {
  bodyOf,
  callers,
  context,
  easyAuthOn,
  errorCode,
  fix,
  json,
  principal,
  read,
  request,
} from "../support/helpdeskRequests.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

let env: TestEnvironment;

// App Service authentication is on in this file, as in a default deployment: every call names its caller.
beforeAll(async () => {
  env = await startTestEnvironment({
    graph: { tenant: pipelineTenant() },
    env: { GRAPH_MAX_RETRIES: "0", DEFAULT_COUNTRY: "US", ...easyAuthOn },
  });
});
afterAll(async () => env?.close());
beforeEach(() => {
  env.graph.tenant.reset();
  env.graph.setFaults({ unavailableRate: 0 });
  env.isolate();
  env.graph.stats.reset();
});

describe("GET /api/users/{user}/contact-info", () => {
  it.each([
    ["UPN", users.reformat.userPrincipalName],
    ["employeeId", users.reformat.employeeId],
    ["object id", users.reformat.id],
  ])("finds the user by %s", async (_, key) => {
    const response = await read(key);
    expect(response.status).toBe(200);
    expect(bodyOf<{ user: { id: string } }>(response).user.id).toBe(users.reformat.id);
  });

  it("gives an SSPR readiness verdict per field, with what to do", async () => {
    const body = bodyOf<{
      readiness: { field: string; source: string; verdict: string; canonical?: string }[];
    }>(await read(users.reformat.userPrincipalName));
    const verdicts = Object.fromEntries(body.readiness.map((r) => [`${r.field}/${r.source}`, r.verdict]));
    expect(verdicts).toMatchObject({
      "mobilePhone/profile": "notCanonical",
      "officePhone/profile": "missing",
      "alternateEmail/profile": "missing",
    });
    expect(body.readiness.find((r) => r.field === "mobilePhone")?.canonical).toBe("+1 4255550147");
  });

  it.each([
    ["profile", "methods", "the user registers it at https://aka.ms/mysecurityinfo; this deployment writes"],
    ["methods", "profile", "set it in the Entra admin center"],
    ["both", "methods", "PATCH contact-info or run backfill"],
  ])(
    "under CONTACT_TARGET=%s, advises for a missing %s value only a write the deployment allows",
    async (target, source, advice) => {
      env.configure({ CONTACT_TARGET: target });
      const body = bodyOf<{ readiness: { field: string; source: string; action: string }[] }>(
        await read(users.reformat.userPrincipalName),
      );
      const email = body.readiness.find((r) => r.field === "alternateEmail" && r.source === source);
      expect(email?.action).toContain(advice);
      if (target !== "both") expect(email?.action).not.toContain("PATCH");
    },
  );

  it("shows the authentication methods a user registered", async () => {
    const body = bodyOf<{ methods: { phoneMethods: { phoneType: string }[] } }>(
      await read(users.registered.userPrincipalName),
    );
    expect(body.methods.phoneMethods.map((m) => m.phoneType)).toEqual(["mobile"]);
  });

  it("answers 404 for a user who does not exist", async () => {
    const response = await read("nobody@contoso.example");
    expect([response.status, errorCode(response)]).toEqual([404, "user_not_found"]);
  });

  it("answers 503 with Retry-After when Graph is unavailable, never 500", async () => {
    env.graph.setFaults({ unavailableRate: 1 });
    const response = await read(users.newHire.userPrincipalName);
    expect(response.status).toBe(503);
    expect(response.headers).toMatchObject({ "Retry-After": expect.any(String) });
  });
});

describe("access with Easy Auth", () => {
  it.each([
    ["a reader", ["ContactInfo.Read"], "GET", 200],
    ["an admin", ["ContactInfo.ReadWrite"], "GET", 200],
    ["someone without a role", [], "GET", 403],
    ["a reader", ["ContactInfo.Read"], "PATCH", 403],
    ["an admin", ["ContactInfo.ReadWrite"], "PATCH", 200],
  ])("lets %s with roles %j %s → %i", async (_, roles, method, status) => {
    const headers = { "x-ms-client-principal": principal("helpdesk@contoso.example", roles), ...json };
    const response =
      method === "GET"
        ? await read(users.newHire.userPrincipalName, headers)
        : await fix(users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0147" }, headers);
    expect(response.status).toBe(status);
  });

  it("refuses a malformed principal header with 401", async () => {
    const response = await read(users.newHire.userPrincipalName, {
      "x-ms-client-principal": "%%%not-base64-json",
    });
    expect(response.status).toBe(401);
  });

  it("records the signed-in caller as the actor of a fix", async () => {
    const headers = {
      "x-ms-client-principal": principal("helpdesk@contoso.example", ["ContactInfo.ReadWrite"]),
      ...json,
    };
    const response = await fix(users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0147" }, headers);
    const outcome = await appServices().outcomes.get(bodyOf<Outcome>(response).eventId);
    expect(outcome?.actor).toBe("helpdesk@contoso.example");
  });
});

describe("the helpdesk's Graph requests", () => {
  it.each([
    ["a read", () => read(users.newHire.userPrincipalName)],
    ["a fix", () => fix(users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0147" })],
  ])("mark %s x-ms-throttle-priority: high, since a person is waiting on it", async (_, call) => {
    expect((await call()).status).toBe(200);
    expect(Object.keys(env.graph.stats.priorities)).toEqual(["high"]);
  });
});

describe("PATCH /api/users/{user}/contact-info", () => {
  it("applies the same rules as the queue path and records the outcome", async () => {
    const response = await fix(users.newHire.userPrincipalName, {
      mobilePhone: "(425) 555-0147",
      officePhone: "425.555.0100 ext. 7",
      alternateEmail: "new.hire@example.com",
    });
    expect(response.status).toBe(200);
    const outcome = bodyOf<Outcome>(response);
    expect(outcome).toMatchObject({
      status: "updated",
      source: "http",
      actor: "helpdesk.admin@contoso.example",
    });
    expect(outcome.warnings.map((w) => w.code)).toContain("phone_extension_dropped");
    expect(await appServices().outcomes.get(outcome.eventId)).toEqual(outcome);
    expect(env.graph.tenant.user(users.newHire.id)?.businessPhones).toEqual(["+1 4255550100"]);
  });

  it("plans without writing anything, not even a record, on a dry run", async () => {
    env.configure({ CONTACT_MODE: "overwrite" });
    const response = await fix(users.reformat.userPrincipalName, {
      mobilePhone: "(425) 555-0199",
      mode: "overwrite",
      dryRun: true,
    });
    const outcome = bodyOf<Outcome>(response);
    expect(outcome).toMatchObject({ status: "updated", dryRun: true });
    expect(outcome.message).toContain("dry run");
    expect(env.graph.tenant.user(users.reformat.id)?.mobilePhone).toBe("(425) 555-0147");
    expect(await appServices().outcomes.get(outcome.eventId)).toBeUndefined();
  });

  it("keeps the user's own value with fillEmpty and replaces it with overwrite where the deployment allows", async () => {
    env.configure({ CONTACT_MODE: "overwrite" });
    const kept = bodyOf<Outcome>(
      await fix(users.reformat.userPrincipalName, { mobilePhone: "(425) 555-0199", mode: "fillEmpty" }),
    );
    expect(kept.fields[0]?.action).toBe("skipped");
    const replaced = bodyOf<Outcome>(
      await fix(users.reformat.userPrincipalName, { mobilePhone: "(425) 555-0199", mode: "overwrite" }),
    );
    expect(replaced.fields[0]?.action).toBe("replaced");
  });

  it("writes authentication methods when the request narrows a deployment target of both to methods", async () => {
    env.configure({ CONTACT_TARGET: "both" });
    const outcome = bodyOf<Outcome>(
      await fix(users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0147", target: "methods" }),
    );
    expect(outcome.fields[0]).toMatchObject({ target: "methods", action: "set" });
    expect(env.graph.tenant.user(users.newHire.id)?.phoneMethods.mobile).toBe("+1 4255550147");
  });

  it("returns the recorded outcome again for a repeated Idempotency-Key, writing nothing", async () => {
    const headers = { ...json, ...callers.admin, "idempotency-key": "ticket-4711" };
    const first = bodyOf<Outcome>(
      await fix(users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0147" }, headers),
    );
    env.graph.stats.reset();
    const second = bodyOf<Outcome>(
      await fix(users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0147" }, headers),
    );
    expect(second).toEqual(first);
    expect(env.graph.stats.totalRequests()).toBe(0);
  });

  describe("an Idempotency-Key is the caller's own", () => {
    const as = (name: string, key: string) => ({
      ...json,
      "idempotency-key": key,
      "x-ms-client-principal": principal(name, ["ContactInfo.ReadWrite"]),
    });
    const phone = { mobilePhone: "(425) 555-0147" };

    it("does not give another caller the outcome recorded for the same key: the other caller's fix runs", async () => {
      const key = `ticket-${Date.now()}`;
      const first = await fix(users.newHire.userPrincipalName, phone, as("mallory@contoso.example", key));
      const second = await fix(users.reformat.userPrincipalName, phone, as("helpdesk@contoso.example", key));
      expect(second.status).toBe(200);
      expect(bodyOf<Outcome>(second)).toMatchObject({
        userId: users.reformat.id,
        actor: "helpdesk@contoso.example",
      });
      expect(bodyOf<Outcome>(second).eventId).not.toBe(bodyOf<Outcome>(first).eventId);
    });

    it("tells two callers with the same display name apart by the principal id App Service sets", async () => {
      const key = `ticket-${Date.now()}`;
      const first = await fix(users.newHire.userPrincipalName, phone, {
        ...as("Sam Smith", key),
        "x-ms-client-principal-id": "11111111-0000-4000-8000-000000000001",
      });
      const second = await fix(users.reformat.userPrincipalName, phone, {
        ...as("Sam Smith", key),
        "x-ms-client-principal-id": "11111111-0000-4000-8000-000000000002",
      });
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(bodyOf<Outcome>(second)).toMatchObject({ userId: users.reformat.id });
    });

    it.each([
      ["another user", users.reformat.userPrincipalName, phone],
      ["another body", users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0199" }],
    ])(
      "answers 409 idempotency_key_reused for the same key with %s, writing nothing",
      async (_case, user, body) => {
        const headers = as("helpdesk@contoso.example", `ticket-${Date.now()}`);
        expect((await fix(users.newHire.userPrincipalName, phone, headers)).status).toBe(200);
        env.graph.stats.reset();
        const reused = await fix(user, body, headers);
        expect([reused.status, errorCode(reused)]).toEqual([409, "idempotency_key_reused"]);
        expect(env.graph.stats.totalRequests()).toBe(0);
      },
    );

    it("gives a true retry (same caller, user and body) the recorded outcome", async () => {
      const headers = as("helpdesk@contoso.example", `ticket-${Date.now()}`);
      const first = bodyOf<Outcome>(await fix(users.newHire.userPrincipalName, phone, headers));
      const again = await fix(users.newHire.userPrincipalName, phone, headers);
      expect([again.status, bodyOf<Outcome>(again)]).toEqual([200, first]);
    });

    it("never uses the raw key as the event id, and keeps no readable hash of the body", async () => {
      const outcome = bodyOf<Outcome>(
        await fix(users.newHire.userPrincipalName, phone, as("helpdesk@contoso.example", "ticket-4712")),
      );
      expect(outcome.eventId).toMatch(/^http-[0-9a-f]{40}$/);
      const bare = createHash("sha256").update(JSON.stringify(phone)).digest("hex");
      expect(outcome.requestHash).toMatch(/^[0-9a-f]{64}$/);
      expect(outcome.requestHash).not.toBe(bare);
    });

    it("refuses an Idempotency-Key over 100 characters with 400 instead of ignoring it", async () => {
      const response = await fix(
        users.newHire.userPrincipalName,
        phone,
        as("helpdesk@contoso.example", "k".repeat(101)),
      );
      expect([response.status, errorCode(response)]).toEqual([400, "idempotency_key_invalid"]);
    });
  });

  it.each([
    ["an invalid phone", { mobilePhone: "12" }, "mobilePhone", "phone_too_short"],
    [
      "an organizational email",
      { alternateEmail: "someone@contoso.example" },
      "alternateEmail",
      "email_is_organizational",
    ],
    [
      "a security question",
      { securityQuestions: [{ q: "pet", a: "x" }] },
      "securityQuestions",
      "security_questions_not_settable",
    ],
    ["an unknown field", { pager: "1" }, "pager", "unknown_field"],
    ["a bad mode", { mobilePhone: "(425) 555-0147", mode: "always" }, "mode", "option_invalid"],
  ])("answers 400 with per-field errors for %s", async (_, body, field, code) => {
    env.configure({ ORGANIZATION_DOMAINS: "contoso.example" });
    const response = await fix(users.newHire.userPrincipalName, body);
    expect(response.status).toBe(400);
    const details = bodyOf<{ error: { details: { field: string; code: string }[] } }>(response).error.details;
    expect(details).toContainEqual(expect.objectContaining({ field, code }));
    expect(JSON.stringify(response.jsonBody)).not.toContain('"x"');
  });

  it.each([
    ["malformed JSON", "{not json", json, 400, "malformed_json"],
    ["a non-object body", "[1,2]", json, 400, "invalid_contact"],
    [
      "a wrong content type",
      "mobilePhone=1",
      { "content-type": "application/x-www-form-urlencoded" },
      415,
      "unsupported_media_type",
    ],
    [
      "a body over 16 KiB",
      JSON.stringify({ mobilePhone: "1".repeat(20_000) }),
      json,
      413,
      "payload_too_large",
    ],
  ])("answers %s with %i", async (_, body, headers, status, code) => {
    const response = await fix(users.newHire.userPrincipalName, body, { ...headers, ...callers.admin });
    expect([response.status, errorCode(response)]).toEqual([status, code]);
  });

  it("answers 404 for a user who does not exist", async () => {
    expect((await fix("nobody@contoso.example", { mobilePhone: "(425) 555-0147" })).status).toBe(404);
  });
});

describe("outcome lookups", () => {
  it("finds an outcome by eventId and a user's outcomes latest first", async () => {
    const first = bodyOf<Outcome>(
      await fix(users.newHire.userPrincipalName, { mobilePhone: "(425) 555-0147" }),
    );
    await new Promise((r) => setTimeout(r, 5));
    const second = bodyOf<Outcome>(
      await fix(users.newHire.userPrincipalName, { alternateEmail: "new.hire@example.com" }),
    );
    const one = await getOutcome(
      request("GET", `outcomes/${first.eventId}`, {
        params: { eventId: first.eventId },
        headers: callers.reader,
      }),
      context(),
    );
    expect(bodyOf<Outcome>(one).eventId).toBe(first.eventId);
    for (const key of [users.newHire.userPrincipalName, users.newHire.id, users.newHire.employeeId]) {
      const list = await listOutcomes(
        request("GET", `outcomes?user=${encodeURIComponent(key)}&top=5`, { headers: callers.reader }),
        context(),
      );
      expect(bodyOf<{ value: Outcome[] }>(list).value.map((o) => o.eventId)).toEqual([
        second.eventId,
        first.eventId,
      ]);
    }
  });

  it.each([
    [
      "an unknown eventId",
      () =>
        getOutcome(
          request("GET", "outcomes/nope", { params: { eventId: "nope" }, headers: callers.reader }),
          context(),
        ),
      404,
    ],
    [
      "a list without user",
      () => listOutcomes(request("GET", "outcomes", { headers: callers.reader }), context()),
      400,
    ],
    [
      "a list with top=0",
      () =>
        listOutcomes(
          request("GET", "outcomes?user=a@contoso.example&top=0", { headers: callers.reader }),
          context(),
        ),
      400,
    ],
  ])("answers %s with %i", async (_, call, status) => {
    expect((await call()).status).toBe(status);
  });
});

describe("over HTTP through the local host", () => {
  it("fixes and reads a user with plain requests, signed in as the local developer", async () => {
    const host = await startLocalHost({
      registrations: await loadFunctions(),
      settings: appServices().settings,
      port: 0,
      log: () => undefined,
    });
    try {
      const upn = users.newHire.userPrincipalName;
      const patched = await fetch(`${host.url}/api/users/${upn}/contact-info`, {
        method: "PATCH",
        headers: json,
        body: JSON.stringify({ mobilePhone: "(425) 555-0147" }),
      });
      expect(patched.status).toBe(200);
      expect(((await patched.json()) as Outcome).actor).toBe(localPrincipal.name);
      const read = (await (await fetch(`${host.url}/api/users/${upn}/contact-info`)).json()) as {
        profile: { mobilePhone: string };
      };
      expect(read.profile.mobilePhone).toBe("+1 4255550147");
    } finally {
      await host.close();
    }
  });
});

describe("the tenant's verified domains, with ORGANIZATION_DOMAINS not set", () => {
  beforeEach(() => {
    env.configure({ ORGANIZATION_DOMAINS: undefined });
    env.graph.tenant.domains = [
      { id: "contoso.example", isVerified: true, isDefault: true },
      { id: "fabrikam.example", isVerified: false },
    ];
  });

  it.each([
    ["a verified domain of the tenant", "mei.chen@contoso.example"],
    ["a subdomain of one", "mei.chen@eu.contoso.example"],
  ])("refuse a fix whose alternate email is in %s, writing nothing", async (_, alternateEmail) => {
    const response = await fix(users.newHire.userPrincipalName, { alternateEmail });
    expect(response.status).toBe(400);
    const details = bodyOf<{ error: { details: { field: string; code: string }[] } }>(response).error.details;
    expect(details).toEqual([
      expect.objectContaining({ field: "contact.alternateEmail", code: "email_is_organizational" }),
    ]);
    expect(JSON.stringify(response.jsonBody)).not.toContain("mei.chen");
    expect(env.graph.tenant.user(users.newHire.id)?.otherMails).toEqual([]);
    expect(env.graph.stats.requestCount("GET domains")).toBe(1);
  });

  it("leave a domain the tenant holds but has not verified to the other rules", async () => {
    const response = await fix(users.newHire.userPrincipalName, { alternateEmail: "mei@fabrikam.example" });
    expect(response.status).toBe(200);
    expect(env.graph.tenant.user(users.newHire.id)?.otherMails).toEqual(["mei@fabrikam.example"]);
  });

  it("stop the fix, naming Domain.Read.All, when the app may not read them", async () => {
    env.graph.tenant.revokePermission("Domain.Read.All");
    const response = await fix(users.newHire.userPrincipalName, { alternateEmail: "mei@example.org" });
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(JSON.stringify(response.jsonBody)).toContain("Domain.Read.All");
    expect(env.graph.tenant.user(users.newHire.id)?.otherMails).toEqual([]);
  });
});
