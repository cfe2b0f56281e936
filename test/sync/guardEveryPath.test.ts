import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixContactInfo } from "../../functions/fixContactInfo.js";
import { hrBambooHr } from "../../functions/hrBambooHr.js";
import { hrEvents } from "../../functions/hrEvents.js";
import { hrScim } from "../../functions/hrScim.js";
import { appServices } from "../../shared/app/appServices.js";
import {
  graphDirectoryFromSettings,
  writeLimiterFromSettings,
} from "../../shared/app/graphDirectoryFromSettings.js";
import { contactRuleOptionsFrom, policyFrom } from "../../shared/app/ruleOptions.js";
import { runBackfill } from "../../shared/backfill/backfill.js";
import { scimSchemas } from "../../shared/intake/fromScim.js";
import type { Outcome } from "../../shared/sync/outcome.js";
import { deliverToQueue } from "../support/deliverToQueue.js";
import { eventFor } from "../support/factories.js";
import { callers, easyAuthOn } from "../support/helpdeskRequests.js";
import { guardTenant, p2Only, protectedGroupsEnv, shapes, users } from "../support/tenantSeeds.js";
import { startTestEnvironment, type TestEnvironment } from "../support/testEnvironment.js";
import {
  aPost,
  bambooHrHeaders,
  standardWebhookHeaders,
  takeQueued,
  testSecrets,
  webhookEnv,
} from "../support/webhookRequests.js";

// The attack, through every door: an HR event (or a helpdesk fix, or a backfill row) carrying an attacker's phone and
// email for an account that is privileged — or one activation or one self-service membership away from it — or a
// guest. With CONTACT_TARGET=both and mode overwrite, a write would become the account's recovery phone and email.
// Every shape, every entry point, both editions: the event ends `skipped` with its code, and the tenant is unchanged.

const attacker = { mobilePhone: "+1 425 555 0166", alternateEmail: "attacker@example.net" };
/** How the attacker names an account: the identifiers an HR record carries. */
type Person = { id: string; userPrincipalName: string; employeeId: string };
type Shape = readonly [name: string, user: Person, code: "privileged_account" | "guest_account"];

const everyShape: Shape[] = [
  ["an active Global Administrator", users.admin, "privileged_account"],
  ["a PIM-eligible Helpdesk Administrator", users.eligibleAdmin, "privileged_account"],
  ["a role holder through a role-assignable group", users.groupAdmin, "privileged_account"],
  ["a User Administrator scoped to an administrative unit", shapes.scopedAdmin, "privileged_account"],
  [
    "a PIM-eligible member of a group holding Global Administrator",
    shapes.eligibleGroupMember,
    "privileged_account",
  ],
  ["a PIM-eligible owner of that group", shapes.eligibleGroupOwner, "privileged_account"],
  ["an owner of that group (who can add themself)", shapes.groupOwner, "privileged_account"],
  [
    "a member of a role-assignable group that holds no role yet",
    shapes.quietGroupMember,
    "privileged_account",
  ],
  ["a nested member of a protected group", users.protectedMember, "privileged_account"],
  ["an owner of a protected group", shapes.protectedOwner, "privileged_account"],
  ["a guest account", shapes.guest, "guest_account"],
];

/** One way in: sends the attack for `user` and returns the outcome the pipeline recorded for it. */
type EntryPoint = (user: Person) => Promise<Outcome | undefined>;

const context = (functionName: string) =>
  new InvocationContext({ functionName, logHandler: () => undefined });

const deliver = (message: unknown) => deliverToQueue(message);

/** The queue function, on each message a webhook put on the queue; the outcome of the only one. */
async function drainQueue(): Promise<Outcome | undefined> {
  const queued = await takeQueued();
  expect(queued).toHaveLength(1);
  return deliver(queued[0]);
}

let sequence = 0;
const fresh = (prefix: string) => `${prefix}-${process.pid}-${Date.now()}-${++sequence}`;

const entryPoints: Array<readonly [string, EntryPoint]> = [
  ["a queue message", (user) => deliver(eventFor(user, attacker))],
  [
    "a signed Standard Webhooks delivery (hr/events)",
    async (user) => {
      const body = JSON.stringify([{ ...eventFor(user, attacker), eventId: fresh("hr") }]);
      const response = await hrEvents(
        aPost("hr/events", body, standardWebhookHeaders(body)),
        context("hrEvents"),
      );
      expect(response.status).toBe(202);
      return drainQueue();
    },
  ],
  [
    "a signed BambooHR webhook (hr/bamboohr)",
    async (user) => {
      const body = JSON.stringify({
        employees: [
          {
            id: fresh("bamboo"),
            action: "Created",
            timestamp: new Date().toISOString(),
            fields: {
              "Employee #": user.employeeId,
              "Mobile Phone": attacker.mobilePhone,
              "Home Email": attacker.alternateEmail,
              Country: "United States",
            },
          },
        ],
      });
      const response = await hrBambooHr(
        aPost("hr/bamboohr", body, bambooHrHeaders(body)),
        context("hrBambooHr"),
      );
      expect(response.status).toBe(202);
      return drainQueue();
    },
  ],
  [
    "a SCIM bulk request (hr/scim)",
    async (user) => {
      const body = JSON.stringify({
        schemas: [scimSchemas.bulkRequest],
        Operations: [
          {
            method: "POST",
            bulkId: fresh("scim"),
            path: "/Users",
            data: {
              schemas: [scimSchemas.user, scimSchemas.enterpriseUser],
              externalId: user.employeeId,
              userName: user.userPrincipalName,
              phoneNumbers: [{ value: attacker.mobilePhone, type: "mobile" }],
              emails: [{ value: attacker.alternateEmail, type: "home" }],
              addresses: [{ country: "US" }],
              [scimSchemas.enterpriseUser]: { employeeNumber: user.employeeId },
            },
          },
        ],
      });
      const response = await hrScim(
        aPost("hr/scim", body, {
          "content-type": "application/scim+json",
          authorization: `Bearer ${testSecrets.scim}`,
        }),
        context("hrScim"),
      );
      expect(response.status).toBe(202);
      return drainQueue();
    },
  ],
  [
    "a helpdesk fix (PATCH contact-info, target both, mode overwrite)",
    async (user) => {
      const response = await fixContactInfo(
        new HttpRequest({
          method: "PATCH",
          url: `http://127.0.0.1:7071/api/users/${user.id}/contact-info`,
          params: { user: user.id },
          headers: { "content-type": "application/json", ...callers.admin },
          body: { string: JSON.stringify({ ...attacker, target: "both", mode: "overwrite" }) },
        }),
        context("fixContactInfo"),
      );
      expect(response.status).toBe(200);
      return response.jsonBody as Outcome;
    },
  ],
  [
    "a backfill row",
    async (user) => {
      const settings = appServices().settings;
      const rows: Outcome[] = [];
      await runBackfill({
        records: (async function* () {
          yield { line: 2, input: eventFor(user, attacker) };
        })(),
        rules: contactRuleOptionsFrom(settings),
        policy: policyFrom(settings),
        directory: graphDirectoryFromSettings(settings, writeLimiterFromSettings(settings), "low"),
        sourceName: fresh("backfill"),
        onRow: (row) => {
          rows.push(row.outcome);
        },
      });
      return rows[0];
    },
  ],
];

describe.each(["P2", "P1"] as const)("on a %s tenant", (edition) => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({
      graph: { tenant: guardTenant(edition) },
      env: {
        ...protectedGroupsEnv,
        ...webhookEnv,
        ...easyAuthOn,
        CONTACT_TARGET: "both",
        CONTACT_MODE: "overwrite",
        GRAPH_MAX_RETRIES: "0",
      },
    });
  });
  afterAll(async () => env?.close());
  beforeEach(async () => {
    env.graph.tenant.reset();
    env.isolate();
    await takeQueued();
  });

  const shapesHere = everyShape.filter(([, user]) => edition === "P2" || !p2Only.has(user.id));
  const cases = entryPoints.flatMap(([door, send]) =>
    shapesHere.map(([who, user, code]) => [door, who, user, code, send] as const),
  );

  it.each(cases)("%s for %s: skipped, nothing written", async (_door, _who, user, code, send) => {
    const before = env.graph.tenant.user(user.id);
    env.graph.stats.reset();
    const outcome = await send(user);

    expect(outcome?.status).toBe("skipped");
    expect(outcome?.fields.length).toBeGreaterThan(0);
    expect(outcome?.fields.every((f) => f.action === "skipped" && f.code === code)).toBe(true);
    expect(env.graph.tenant.user(user.id)).toEqual(before);
    expect(env.graph.stats.writes).toEqual({});
    expect(JSON.stringify(outcome)).not.toMatch(/4255550166|attacker@example\.net/);
  });

  it.each(entryPoints)("%s still writes an ordinary new hire (the control)", async (_door, send) => {
    const outcome = await send(users.newHire);
    expect(outcome?.status).toBe("updated");
    expect(env.graph.tenant.user(users.newHire.id)).toMatchObject({ mobilePhone: "+1 4255550166" });
  });
});
