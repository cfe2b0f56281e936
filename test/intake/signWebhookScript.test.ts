import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hrEvents } from "../../functions/hrEvents.js";
import { runNode } from "../support/transpiledCli.js";
import { aContext, aPost, bodyOf, testSecrets, useWebhookEnvironment } from "../support/webhookRequests.js";

// docs/webhooks.md, "Sending a signed sample": what scripts/sign-webhook.mjs prints, sent twice, answers as the doc
// says. The printed curl command is read rather than run, so the test needs no curl: its URL, headers and file.

interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  file: string;
}

/** Signs `file` with the script as the doc runs it, and reads the curl command it prints. */
async function signed(file: string, ...args: string[]): Promise<SignedRequest> {
  const run = await runNode("scripts/sign-webhook.mjs", [
    "standard",
    file,
    "--secret",
    testSecrets.standard,
    ...args,
  ]);
  expect(run.code).toBe(0);
  const quoted = (pattern: RegExp) => [...run.stdout.matchAll(pattern)].map((m) => m[1] ?? "");
  const headers = Object.fromEntries(
    quoted(/-H '([^']*)'/g).map((header) => [
      header.slice(0, header.indexOf(":")).toLowerCase(),
      header.slice(header.indexOf(":") + 2),
    ]),
  );
  return {
    url: quoted(/-X POST '([^']*)'/g)[0] ?? "",
    headers,
    file: quoted(/--data-binary @'([^']*)'/g)[0] ?? "",
  };
}

/** Delivers a signed request to the hr/events function and gives each accepted event's duplicate flag. */
async function deliver(request: SignedRequest): Promise<boolean[]> {
  const response = await hrEvents(
    aPost("hr/events", readFileSync(request.file), request.headers),
    aContext(),
  );
  expect(response.status).toBe(202);
  const { accepted } = bodyOf(response) as { accepted: { duplicate?: boolean }[] };
  return accepted.map((event) => event.duplicate === true);
}

describe("scripts/sign-webhook.mjs, as docs/webhooks.md runs it", () => {
  useWebhookEnvironment();

  it("prints a command for the local host's hr/events route, signed so the endpoint accepts it", async () => {
    const request = await signed("samples/hr-events.json");
    expect(request.url).toBe("http://127.0.0.1:7071/api/hr/events");
    expect(request.file).toBe("samples/hr-events.json");
    expect(await deliver(request)).toEqual([false, false, false]);
  });

  it("sent again, marks the events with their own eventId duplicate; the one named after the webhook-id is new", async () => {
    await deliver(await signed("samples/hr-events.json"));
    expect(await deliver(await signed("samples/hr-events.json"))).toEqual([true, true, false]);
  });

  it("sent again with the same --id (an HR system's redelivery), marks every event duplicate", async () => {
    await deliver(await signed("samples/hr-events.json", "--id", "msg_docs_resend"));
    expect(await deliver(await signed("samples/hr-events.json", "--id", "msg_docs_resend"))).toEqual([
      true,
      true,
      true,
    ]);
  });
});
