import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import type { HttpRequest } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { localPrincipal } from "../../local/emulateEasyAuth.js";
import { loadFunctions } from "../../local/loadFunctions.js";
import { type LocalHost, startLocalHost } from "../../local/localHost.js";
import {
  type AppServices,
  appServices,
  buildServices,
  withAppServices,
} from "../../shared/app/appServices.js";
import { loadSettings } from "../../shared/app/config.js";
import type { Registration } from "../../shared/app/functionRegistry.js";
import { admins } from "../../shared/http/callerAccess.js";
import { withCaller } from "../../shared/http/withCaller.js";
import { callers } from "../support/helpdeskRequests.js";

// Who the local host lets in, over real HTTP: a web page reaching it under another name (DNS rebinding), and
// anyone at all when Graph is a real tenant. Nothing here needs storage or Graph: the functions that must not run
// only count their calls, and the real helpdesk routes must answer before they reach either (the test setup
// fails the file on any connection off loopback).

/** Every function call, as `<name> <caller>`: a refused request must never show up here. */
const called: string[] = [];
const logs: string[] = [];

/** A helpdesk-style route (Easy Auth, admin role, as every helpdesk route) that only records its caller. */
function recording(name: string, route: string, method: "GET" | "PATCH"): Registration {
  return {
    kind: "http",
    name,
    options: {
      route,
      methods: [method],
      authLevel: "function",
      handler: withCaller(
        () => admins(appServices().settings),
        async (_request: HttpRequest, _context, caller) => {
          called.push(`${name} ${caller.name}`);
          return { status: 200, jsonBody: { caller: caller.name } };
        },
      ),
    },
  };
}

const stubs = [recording("fix", "users/{user}/contact-info", "PATCH"), recording("view", "whoami", "GET")];

/** A host with `registrations` whose services read Graph at `graphBaseUrl`, `env` added to the settings. */
function hostFor(
  graphBaseUrl: string,
  registrations: readonly Registration[],
  env: Record<string, string> = {},
  easyAuth?: boolean,
): Promise<LocalHost> {
  const services: AppServices = buildServices(
    // Azurite's address: the host builds its storage clients (it never connects here).
    loadSettings({
      GRAPH_BASE_URL: graphBaseUrl,
      // The emulator's kind of token, accepted only for a loopback Graph (a real one signs in instead).
      ...(graphBaseUrl.startsWith("http://127.0.0.1") ? { GRAPH_ACCESS_TOKEN: "local-test-token" } : {}),
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      ...env,
    }),
  );
  return startLocalHost({
    registrations,
    settings: services.settings,
    port: 0,
    ...(easyAuth === undefined ? {} : { easyAuth }),
    app: { appServices: () => services, withAppServices },
    log: (line) => logs.push(line),
  });
}

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: { hint?: string }[] }; caller?: string };
}

/**
 * One request with `host` as its Host header (undefined: none at all), through node:http, carrying `caller`'s
 * principal headers (by default a forged admin's, which no host here may believe).
 */
function send(
  url: string,
  method: string,
  host: string | undefined,
  body?: string,
  caller: Record<string, string> = callers.admin,
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        setHost: host !== undefined,
        headers: {
          ...(host !== undefined ? { host } : {}),
          ...caller,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The raw request `text` over a bare socket (what node:http won't send: two Host headers, an absolute target). */
function sendRaw(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(text));
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

beforeEach(() => {
  called.length = 0;
  logs.length = 0;
});

describe("the local host answers only requests addressed to its own loopback name and port", () => {
  let host: LocalHost;
  let port: string;
  beforeAll(async () => {
    host = await hostFor("http://127.0.0.1:9/v1.0", stubs);
    port = new URL(host.url).port;
  });
  afterAll(async () => {
    await host?.close();
  });

  it.each([["localhost:<port>"], ["127.0.0.1:<port>"], ["[::1]:<port>"], ["LocalHost:<port>"]])(
    "serves Host %s, signed in as the local developer",
    async (named) => {
      const answer = await send(`${host.url}/api/whoami`, "GET", named.replace("<port>", port));
      expect(logs).toEqual([]);
      expect(answer).toEqual({ status: 200, body: { caller: localPrincipal.name } });
      expect(called).toEqual([`view ${localPrincipal.name}`]);
    },
  );

  it.each([
    ["a rebinding attacker's name", "rebind.attacker.example:<port>"],
    ["an attacker's name that starts like loopback", "127.0.0.1.attacker.example:<port>"],
    ["an attacker's name under localhost's", "localhost.attacker.example:<port>"],
    ["loopback with another port", "127.0.0.1:1"],
    ["loopback without the port", "localhost"],
    ["loopback with credentials", "user@127.0.0.1:<port>"],
    ["no Host header at all", undefined],
  ])(
    "answers 421 host_not_allowed to %s, on a PATCH and a GET, before any function runs",
    async (_case, named) => {
      const forged = named?.replace("<port>", port);
      const patch = await send(
        `${host.url}/api/users/avery.lindqvist@contoso.example/contact-info`,
        "PATCH",
        forged,
        JSON.stringify({ mobilePhone: "+1 425 555 0148", country: "US" }),
      );
      const get = await send(`${host.url}/api/whoami`, "GET", forged);
      for (const answer of [patch, get]) {
        expect(answer.status).toBe(421);
        expect(answer.body.error?.code).toBe("host_not_allowed");
        expect(answer.body.error?.message).toContain(`127.0.0.1:${port}`);
        expect(answer.body.error?.details?.[0]?.hint).toMatch(/DNS rebinding/);
      }
      expect(called).toEqual([]);
    },
  );

  it("answers 421 to a request with two Host headers, the second one loopback", async () => {
    const answer = await sendRaw(
      host.url,
      `GET /api/whoami HTTP/1.1\r\nHost: rebind.attacker.example:${port}\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
    expect(answer).toContain('"host_not_allowed"');
    expect(called).toEqual([]);
  });

  it("answers 421 to an absolute request target naming another host, whatever the Host header says", async () => {
    const answer = await sendRaw(
      host.url,
      `GET http://rebind.attacker.example:${port}/api/whoami HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
    expect(called).toEqual([]);
  });

  it("answers 421 to an HTTP/1.0 request, which carries no Host", async () => {
    const answer = await sendRaw(host.url, "GET /api/whoami HTTP/1.0\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
    expect(called).toEqual([]);
  });
});

describe("the local host in front of a real tenant: nobody is signed in", () => {
  const realGraph = "https://graph.microsoft.com/v1.0";
  let host: LocalHost;
  beforeAll(async () => {
    // The real helpdesk fix route beside the recording ones; a developer's shell that hand-sets
    // WEBSITE_AUTH_ENABLED must not make the host believe a client's principal either.
    const fix = (await loadFunctions()).filter((r) => r.name === "fixContactInfo");
    host = await hostFor(realGraph, [...fix, recording("view", "whoami", "GET")], {
      WEBSITE_AUTH_ENABLED: "true",
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  it("answers the README's curl (no caller named) 401 authentication_required, as the deployed app without Easy Auth", async () => {
    const answer = await send(
      `${host.url}/api/whoami`,
      "GET",
      `127.0.0.1:${new URL(host.url).port}`,
      undefined,
      {},
    );
    expect(logs).toEqual(["[view] warning: view: caller refused (authentication_required)"]);
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe("authentication_required");
    expect(called).toEqual([]);
  });

  it("answers a PATCH carrying a forged admin principal 401, before the real fix route reads Graph or storage", async () => {
    const answer = await send(
      `${host.url}/api/users/avery.lindqvist@contoso.example/contact-info`,
      "PATCH",
      `127.0.0.1:${new URL(host.url).port}`,
      JSON.stringify({ mobilePhone: "+1 425 555 0148", country: "US" }),
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe("authentication_required");
    expect(logs.join("\n")).not.toMatch(/unhandled|helpdesk\.admin/);
  });

  it("refuses to start with Easy Auth asked for explicitly", async () => {
    await expect(hostFor(realGraph, stubs, {}, true)).rejects.toThrow(
      /emulates Easy Auth only in front of an emulated tenant/,
    );
  });
});
