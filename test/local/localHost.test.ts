import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixContactInfo } from "../../functions/fixContactInfo.js";
import { outcomeRetention } from "../../functions/outcomeRetention.js";
import { emulateEasyAuth, localPrincipal } from "../../local/emulateEasyAuth.js";
import { loadFunctions } from "../../local/loadFunctions.js";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import { appServices } from "../../shared/app/appServices.js";
import type { Registration } from "../../shared/app/functionRegistry.js";
import { queueClient } from "../../shared/app/storageClients.js";
import { StorageEventQueue } from "../../shared/storage/storageEventQueue.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { eventFor } from "../support/factories.js";
import { aSeedUser } from "../support/graphEmulatorFixtures.js";
import { principal } from "../support/helpdeskRequests.js";
import { pipelineTenant, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";

let env: TestEnvironment;
let host: LocalHost;
let registrations: readonly Registration[];
const logs: string[] = [];

beforeAll(async () => {
  env = await startTestEnvironment({ graph: { tenant: pipelineTenant() }, env: { GRAPH_MAX_RETRIES: "0" } });
  registrations = await loadFunctions();
  host = await startLocalHost({
    registrations,
    settings: appServices().settings,
    port: 0,
    maxPollingIntervalMs: 200,
    log: (l) => logs.push(l),
  });
});
afterAll(async () => {
  await host?.close();
  await env?.close();
});

async function waitFor<T>(read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finalOutcome = (eventId: string) => async (): Promise<Outcome | undefined> => {
  const outcome = await appServices().outcomes.get(eventId);
  return outcome && outcome.status !== "deferred" ? outcome : undefined;
};

describe("the local host", () => {
  it("registers every function the app defines, each HTTP one with function-level auth but the doctor's probe", () => {
    // doctor takes no key so `doctor --app-url` can tell Easy Auth's refusal from the app's (functions/doctor.ts).
    const http = registrations.filter((r) => r.kind === "http" && r.name !== "doctor");
    expect(registrations.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        "onboardingQueue",
        "outcomeRetention",
        "queueDepth",
        "readinessMetrics",
        "getContactInfo",
        "fixContactInfo",
        "doctor",
      ]),
    );
    expect(http.every((r) => r.kind === "http" && r.options.authLevel === "function")).toBe(true);
  });

  it("runs the queue trigger on a base64 message and records the outcome", async () => {
    const { settings } = appServices();
    const event = eventFor(users.newHire, { mobilePhone: "(425) 555-0147" });
    await new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE)).send(event);
    host.poke();
    const outcome = await waitFor(finalOutcome(String(event.eventId)));
    expect(outcome.status).toBe("updated");
    expect(env.graph.tenant.user(users.newHire.id)?.mobilePhone).toBe("+1 4255550147");
  });

  it("moves a message that keeps failing to the poison queue after maxDequeueCount attempts, recording failed", async () => {
    const { settings } = appServices();
    env.graph.setFaults({ unavailableRate: 1 });
    try {
      const event = eventFor(users.reformat, { mobilePhone: "(425) 555-0148" });
      await new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE)).send(event);
      host.poke();
      const outcome = await waitFor(finalOutcome(String(event.eventId)));
      expect(outcome).toMatchObject({ status: "failed" });
      expect(outcome.message).toContain("gave up after 5 attempts");
      const poisoned = await waitFor(async () => {
        const messages = await env.peekQueue(`${settings.ONBOARDING_QUEUE}-poison`);
        return messages.length > 0 ? messages : undefined;
      });
      expect(poisoned).toEqual([event]);
      expect(logs.filter((l) => /\] attempt \d failed/.test(l))).toHaveLength(5);
    } finally {
      env.graph.setFaults({ unavailableRate: 0 });
    }
  });

  it("serves HTTP functions under /api with route parameters, 404 for unknown routes and 405 for wrong methods", async () => {
    const found = await fetch(`${host.url}/api/users/${users.newHire.userPrincipalName}/contact-info`);
    expect(found.status).toBe(200);
    expect(((await found.json()) as { user: { id: string } }).user.id).toBe(users.newHire.id);
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/users/x/contact-info`, { method: "DELETE" })).status).toBe(405);
  });

  it("answers 404 with an error body that lists the routes, not an empty one", async () => {
    const response = await fetch(`${host.url}/api/nothing-here`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("route_not_found");
    expect(body.error.message).toContain("No function serves /api/nothing-here.");
    expect(body.error.message).toContain("GET|PATCH /api/users/{user}/contact-info");
  });

  it("answers 405 with Allow and an error body naming the methods the route takes", async () => {
    const response = await fetch(`${host.url}/api/users/x/contact-info`, { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, PATCH");
    expect(await response.json()).toEqual({
      error: {
        code: "method_not_allowed",
        message: "/api/users/x/contact-info answers GET, PATCH, not DELETE.",
      },
    });
  });

  it("answers 400, not 500, for a path with malformed percent-encoding (a fuzzer's counterexample)", async () => {
    const response = await fetch(`${host.url}/api/users/%E0%A4%A/contact-info`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("path_invalid");
    expect(logs.filter((line) => line.includes("unhandled error"))).toEqual([]);
  });
});

describe("the local host's emulated App Service authentication", () => {
  const forged = {
    "content-type": "application/json",
    "x-ms-client-principal": principal("attacker@example.com", ["ContactInfo.ReadWrite"]),
    "x-ms-client-principal-name": "attacker@example.com",
    "x-ms-client-principal-id": "00000000-0000-4000-8000-00000000bad0",
  };

  it("replaces a forged principal with the local one: the audit actor is local-developer, not the forged name", async () => {
    const response = await fetch(`${host.url}/api/users/${users.reformat.userPrincipalName}/contact-info`, {
      method: "PATCH",
      headers: forged,
      body: JSON.stringify({ officePhone: "(425) 555-0100", country: "US" }),
    });
    expect(response.status).toBe(200);
    const outcome = (await response.json()) as Outcome;
    expect(outcome.actor).toBe(localPrincipal.name);
    expect((await appServices().outcomes.get(outcome.eventId))?.actor).toBe(localPrincipal.name);
    expect(logs.some((line) => line.includes("attacker@example.com"))).toBe(false);
  });

  it("drops every client-sent x-ms-client-principal* and x-ms-token-* header, keeping the others", () => {
    const headers = emulateEasyAuth(
      {
        ...forged,
        "x-ms-client-principal-idp": "forged",
        "x-ms-token-aad-access-token": "forged",
        "idempotency-key": "ticket-1",
      },
      appServices().settings,
    );
    expect(
      Object.values(headers).filter((value) => value.includes("forged") || value.includes("attacker")),
    ).toEqual([]);
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "idempotency-key": "ticket-1",
      "x-ms-client-principal-name": localPrincipal.name,
      "x-ms-client-principal-id": localPrincipal.id,
    });
    expect(headers).not.toHaveProperty("x-ms-token-aad-access-token");
  });

  it("signs in even a request that names no caller, with both app roles (the README's curl examples)", async () => {
    const view = await fetch(`${host.url}/api/users/${users.reformat.userPrincipalName}/contact-info`);
    expect(view.status).toBe(200);
    // An admin's view: values whole.
    expect(((await view.json()) as { profile: { mobilePhone: string } }).profile.mobilePhone).toBe(
      "(425) 555-0147",
    );
  });

  it("turns Easy Auth on for the app only inside the local host: the same forged request straight to the handler gets 401", async () => {
    expect(appServices().settings.WEBSITE_AUTH_ENABLED).toBe(false);
    const response = await fixContactInfo(
      new HttpRequest({
        method: "PATCH",
        url: `${host.url}/api/users/${users.reformat.userPrincipalName}/contact-info`,
        params: { user: users.reformat.userPrincipalName },
        headers: forged,
        body: { string: JSON.stringify({ officePhone: "(425) 555-0100" }) },
      }),
      new InvocationContext({ logHandler: () => undefined }),
    );
    expect(response.status).toBe(401);
    expect((response.jsonBody as { error: { code: string } }).error.code).toBe("authentication_required");
  });
});

describe("the outcome retention timer", () => {
  it("runs daily and deletes exactly the final records older than the cutoff, keeping deferred and newer ones", async () => {
    const timer = registrations.find((r) => r.name === "outcomeRetention");
    expect(timer?.kind === "timer" && timer.options.schedule).toBe("0 30 3 * * *");
    const { outcomes } = appServices();
    const { syncContactEvent } = await import("../../shared/sync/syncContactEvent.js");
    // The other tests' final records are swept first, so the counts below are this test's own.
    await outcomes.deleteOlderThan(new Date(Date.now() + 86_400_000));
    const run = (event: Record<string, unknown>) =>
      syncContactEvent(event, { dequeueCount: 1, maxDequeueCount: 5 }, appServices());
    // A new hire of this test's own, so no other test's event or helpdesk fix decides what these two do.
    const hire = aSeedUser(4242);
    env.graph.tenant.addUser(hire);
    const updated = eventFor({ id: hire.id }, { mobilePhone: "(425) 555-0148" });
    const unchanged = eventFor({ id: hire.id }, { mobilePhone: "(425) 555-0148" });
    const deferred = eventFor(
      { userPrincipalName: "later@contoso.example" },
      { mobilePhone: "(425) 555-0149" },
    );
    await appServices().queue.send(deferred, { delaySeconds: 3600 });
    for (const event of [updated, unchanged, deferred]) await run(event);
    const statusOf = async (event: Record<string, unknown>) =>
      (await outcomes.get(String(event.eventId)))?.status;
    expect([await statusOf(updated), await statusOf(unchanged), await statusOf(deferred)]).toEqual([
      "updated",
      "unchanged",
      "deferred",
    ]);

    // A cutoff before they were recorded deletes nothing; one after them deletes the two final records only.
    expect(await outcomes.deleteOlderThan(new Date(Date.now() - 3_600_000))).toBe(0);
    expect(await outcomes.deleteOlderThan(new Date(Date.now() + 86_400_000))).toBe(2);
    expect([await statusOf(updated), await statusOf(unchanged), await statusOf(deferred)]).toEqual([
      undefined,
      undefined,
      "deferred",
    ]);

    // The timer's own cutoff is OUTCOME_RETENTION_DAYS ago: nothing here is that old, so it deletes nothing.
    const messages: string[] = [];
    await outcomeRetention(
      {
        isPastDue: false,
        schedule: { adjustForDST: false },
        scheduleStatus: { last: "", next: "", lastUpdated: "" },
      },
      new InvocationContext({ logHandler: (_l, ...args) => messages.push(args.join(" ")) }),
    );
    expect(messages[0]).toMatch(/^deleted 0 outcome records/);
    expect(await statusOf(deferred)).toBe("deferred");
  });
});
