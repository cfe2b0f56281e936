import { readFile } from "node:fs/promises";
import { type AppServices, buildServices, useAppServices } from "../shared/app/appServices.js";
import { loadSettings, type Settings } from "../shared/app/config.js";
import { inMemoryMetrics, type MetricPoint } from "../shared/app/metricsFromSettings.js";
import { onAppStart } from "../shared/app/onAppStart.js";
import { projectFile } from "../shared/app/projectFile.js";
import { runDoctor } from "../shared/app/runDoctor.js";
import { toDoctorTable } from "../shared/doctor/doctorReport.js";
import { isFinalStatus, type Outcome } from "../shared/sync/outcome.js";
import type { OutcomeLog } from "../shared/sync/outcomeLog.js";
import { localPrincipal } from "./emulateEasyAuth.js";
import { startGraphEmulator } from "./graphEmulator/startGraphEmulator.js";
import { loadFunctions } from "./loadFunctions.js";
import { type LocalHost, startLocalHost } from "./localHost.js";
import { startAzurite } from "./startAzurite.js";

/**
 * `npm start`: the main job on embedded emulators. Starts Azurite and the emulated Entra tenant (unless
 * AzureWebJobsStorage / GRAPH_BASE_URL point elsewhere), runs the functions in the local host, enqueues the
 * sample new-hire events and prints their outcomes, then serves until Ctrl-C. `--once` exits after the samples.
 */
async function main(): Promise<void> {
  const once = process.argv.includes("--once");
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  // From the first line, not only once serving: a Ctrl-C or SIGTERM while Azurite starts or the samples run
  // must still stop Azurite (a child process), or it lives on holding its ports.
  const stopped = stopOnSignal(stopAll);

  try {
    await startEmulators(stops);
    // The same metrics as in Azure, kept in memory (nothing is sent, even with APPLICATIONINSIGHTS_* set) and
    // printed when npm start stops.
    const local = inMemoryMetrics();
    const services = buildServices(loadSettings(), { metrics: local.metrics });
    useAppServices(services);
    const s = services.settings;
    stops.push(async () => console.log(toMetricsTable(await local.read())));
    // What the Functions host's appStart hook does in Azure: the CLI in a second shell reads this policy.
    const published = await onAppStart((line) => console.log(`policy    ${line}`));
    if (!published) throw new Error("the deployment policy could not be published to Azurite");

    // host.json's maxPollingInterval (2 s), as in Azure: an event waits at most that long after a quiet spell.
    const host = await startLocalHost({ registrations: await loadFunctions(), settings: s });
    // Pushed after the metrics: stops run last first, so the host ends before the counters are printed.
    stops.push(host.close);
    console.log(`functions http://127.0.0.1:${new URL(host.url).port}/api/…  queue ${s.ONBOARDING_QUEUE}\n`);

    await runSamples(host, services);
    // What `sspr-prepop doctor` says of this deployment: every check ok on the emulated tenant.
    console.log(`\n${toDoctorTable(await runDoctor(s, { appUrl: host.url }))}`);
    if (once) {
      await stopAll();
      return;
    }
    printServing(host.url, s, published.publishedAt);
    await stopped;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * On the first SIGINT or SIGTERM: says so, runs `stopAll` and exits 130 or 143 (128 + the signal, as a shell
 * reports it). A second signal exits at once. Never resolves: the process ends in the handler.
 */
function stopOnSignal(stopAll: () => Promise<void>): Promise<never> {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === "SIGINT" ? 130 : 143;
    if (stopping) process.exit(code);
    stopping = true;
    console.log("\nstopping…");
    void stopAll().finally(() => process.exit(code));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return new Promise<never>(() => undefined);
}

/**
 * Starts Azurite and the emulated tenant unless AzureWebJobsStorage / GRAPH_BASE_URL point elsewhere, and
 * points the settings at them; each one's stop goes on `stops`.
 */
async function startEmulators(stops: (() => Promise<void>)[]): Promise<void> {
  if (!process.env.AzureWebJobsStorage) {
    const azurite = await startAzurite();
    stops.push(azurite.stop);
    process.env.AzureWebJobsStorage = azurite.connectionString;
    console.log(`storage   Azurite (in memory, loopback, pid ${azurite.pid})`);
  }
  if (!process.env.GRAPH_BASE_URL) {
    const emulator = await startGraphEmulator({
      port: Number(process.env.GRAPH_EMULATOR_PORT ?? 0),
      tenantFile: projectFile("local/demo-tenant.json"),
    });
    stops.push(emulator.close);
    process.env.GRAPH_BASE_URL = emulator.url;
    process.env.GRAPH_ACCESS_TOKEN = emulator.token;
    console.log(`graph     emulated tenant at ${emulator.url} (demo users from local/demo-tenant.json)`);
    // The demo tenant's Tier 0 Accounts group: its members are never written, like admins.
    process.env.PROTECTED_GROUP_IDS ??= "3876bc5a-40b4-4d23-bd51-120c5746ec76";
  }
  // The demo tenant's own domain: an alternate email there is useless to a locked-out user.
  process.env.ORGANIZATION_DOMAINS ??= "contoso.example";
}

/** Enqueues the sample new-hire events, waits for their outcomes and prints them. */
async function runSamples(host: LocalHost, services: AppServices): Promise<void> {
  const events = JSON.parse(await readFile(projectFile("samples/new-hires.json"), "utf8")) as {
    eventId: string;
  }[];
  for (const event of events) await services.queue.send(event);
  host.poke();
  console.log(
    `enqueued ${events.length} sample new-hire events from samples/new-hires.json; waiting for outcomes…\n`,
  );

  const outcomes = await waitForOutcomes(
    services.outcomes,
    events.map((e) => e.eventId),
  );
  printOutcomes(outcomes);
}

/** What to try against the running host, and how to point the CLI at the same emulators and policy. */
function printServing(url: string, s: Settings, publishedAt: string): void {
  // The local host signs every request in as local-developer (emulated Easy Auth), so plain curl works.
  console.log(`\nServing at ${url}, every request signed in as ${localPrincipal.name} (reader and admin). Try:
  curl ${url}/api/users/avery.lindqvist@contoso.example/contact-info
  curl -X PATCH ${url}/api/users/701985/contact-info -H 'content-type: application/json' -d '{"mobilePhone":"(425) 555-0148","country":"US","dryRun":true}'
  curl '${url}/api/outcomes?user=avery.lindqvist@contoso.example'
Press Ctrl-C to stop (the run's metrics are printed then).`);
  // The CLI (backfill, report) runs in another shell against this same emulated tenant and storage. Only
  // loopback emulator values are printed: a real storage key or Graph endpoint set by the user stays unshown.
  const local = (value: string | undefined) =>
    value && /127\.0\.0\.1|localhost|UseDevelopmentStorage/.test(value);
  if (local(s.GRAPH_BASE_URL) && local(s.AzureWebJobsStorage)) {
    // What a second shell needs: the emulators' fixed development values (Azurite's published key, the
    // emulator's token), and the contact rule npm start set. The protection policy (PROTECTED_GROUP_IDS,
    // CONTACT_TARGET, CONTACT_MODE, SYNCED_MOBILE) is not exported: the CLI reads what this app published.
    const exports: [string, string][] = [
      ["GRAPH_BASE_URL", s.GRAPH_BASE_URL],
      ["GRAPH_ACCESS_TOKEN", s.GRAPH_ACCESS_TOKEN ?? ""],
      ["AzureWebJobsStorage", s.AzureWebJobsStorage ?? ""],
      ["ORGANIZATION_DOMAINS", s.ORGANIZATION_DOMAINS.join(",")],
    ];
    console.log(`To run the sspr-prepop CLI against this tenant, in another shell (npm exec --offline -- sspr-prepop …):
${exports.map(([name, value]) => `  export ${name}='${value}'`).join("\n")}
or in PowerShell (node dist/cli/sspr-prepop.js …):
${exports.map(([name, value]) => `  $env:${name} = '${value}'`).join("\n")}
backfill and report there apply the policy this app published to Azurite at ${publishedAt} (table DeploymentPolicy).
then check it: sspr-prepop doctor --app-url ${url}`);
  }
}

async function waitForOutcomes(
  log: OutcomeLog,
  eventIds: string[],
  timeoutMs = 60_000,
): Promise<(Outcome | undefined)[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcomes = await Promise.all(eventIds.map((id) => log.get(id)));
    // A deferred event (user not provisioned yet) is an answer too: it waits on the queue.
    const settled = outcomes.every((o) => o && (isFinalStatus(o.status) || o.status === "deferred"));
    if (settled || Date.now() > deadline) return outcomes;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function printOutcomes(outcomes: (Outcome | undefined)[]): void {
  const rows = outcomes.map((o) => [
    o?.eventId ?? "?",
    o?.userPrincipalName ?? o?.employeeId ?? "",
    o?.status ?? "(no outcome yet)",
    o
      ? o.fields
          .map(
            (f) =>
              `${f.field}/${f.target} ${f.action}${f.code ? ` (${f.code})` : ""}${f.after ? ` ${f.after}` : ""}`,
          )
          .join("; ") || o.message
      : "",
  ]);
  const header = ["event", "user", "status", "fields (masked)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
  for (const o of outcomes) {
    if (
      o &&
      (o.status === "rejected" || o.status === "skipped" || o.status === "failed" || o.status === "partial")
    ) {
      const why =
        o.errors.length > 0
          ? o.errors.map((e) => `${e.field}: ${e.message}`).join(" | ")
          : o.fields
              .filter((f) => f.action === "skipped" || f.action === "failed")
              .map((f) => `${f.field}: ${f.reason}`)
              .join(" | ");
      console.log(`  ${o.eventId}: ${why || o.message}`);
    }
  }
}

/**
 * The counters as Application Insights would receive them (name, dimensions, value), one line each: what an
 * operator's alerts and workbook read in Azure, for this run.
 */
function toMetricsTable(points: MetricPoint[]): string {
  const title =
    "metrics of this run (in memory; in Azure they go to Application Insights, docs/operations.md):";
  if (points.length === 0) return `\n${title}\n  none recorded`;
  const rows = points
    .map((point) => [
      point.name,
      Object.entries(point.dimensions)
        .map(([key, value]) => `${key}=${value}`)
        .join(" "),
      point.count === undefined
        ? String(point.value)
        : `${point.count} waits, ${Math.round(point.value)} ms in all`,
    ])
    .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const lines = rows.map((row) =>
    `  ${(row[0] ?? "").padEnd(widths[0] ?? 0)}  ${(row[1] ?? "").padEnd(widths[1] ?? 0)}  ${row[2]}`.trimEnd(),
  );
  return `\n${title}\n${lines.join("\n")}`;
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
