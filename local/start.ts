import { chmodSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { type AppServices, buildServices, useAppServices } from "../shared/app/appServices.js";
import { loadSettings, type Settings } from "../shared/app/config.js";
import { inMemoryMetrics, type MetricPoint } from "../shared/app/metricsFromSettings.js";
import { onAppStart } from "../shared/app/onAppStart.js";
import { projectFile } from "../shared/app/projectFile.js";
import { runDoctor } from "../shared/app/runDoctor.js";
import { settingsProblem } from "../shared/app/settingsCheck.js";
import { toDoctorTable } from "../shared/doctor/doctorReport.js";
import { isFinalStatus, type Outcome } from "../shared/sync/outcome.js";
import type { OutcomeLog } from "../shared/sync/outcomeLog.js";
import { localPrincipal } from "./emulateEasyAuth.js";
import { type EmulatorPlan, emulatorPlan } from "./emulatorPlan.js";
import { startGraphEmulator } from "./graphEmulator/startGraphEmulator.js";
import { loadFunctions } from "./loadFunctions.js";
import { type LocalHost, startLocalHost } from "./localHost.js";
import { startAzurite } from "./startAzurite.js";
import {
  isAddressInUse,
  portInUse,
  refuseDeadLoopback,
  refuseTakenPorts,
  StartProblem,
} from "./startProblem.js";

/**
 * `npm start`: the main job on embedded emulators. Starts Azurite and the emulated Entra tenant (unless
 * AzureWebJobsStorage / GRAPH_BASE_URL point elsewhere: storage only ever at Azurite on this machine), runs the
 * functions in the local host, enqueues the sample new-hire events (only for an emulated tenant) and prints their
 * outcomes, then serves until Ctrl-C. `--once` exits after the samples.
 */
async function main(): Promise<void> {
  const once = process.argv.includes("--once");
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  // From the first line, not only once serving: a Ctrl-C or SIGTERM while Azurite starts or the samples run
  // must still stop Azurite (a child process), or it lives on holding its ports.
  const stopping = stopOnSignal(stopAll);

  try {
    const plan = await startEmulators(stops);
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

    const host = await startHost(s, plan, stopping.signal);
    // Pushed after the metrics: stops run last first, so the host ends before the counters are printed.
    stops.push(host.close);
    console.log(`functions http://127.0.0.1:${new URL(host.url).port}/api/…  queue ${s.ONBOARDING_QUEUE}\n`);

    if (plan.emulatedTenant) await runSamples(host, services, stopping.signal);
    else console.log("samples   not sent: they are fictional people, for the emulated tenant only\n");
    if (stopping.signal.aborted) return await stopping.done;
    // What `sspr-prepop doctor` says of this deployment: every check ok on the emulated tenant.
    console.log(`\n${toDoctorTable(await runDoctor(s, { appUrl: host.url }))}`);
    if (once) {
      await stopAll();
      return;
    }
    printServing(host.url, s, published.publishedAt, plan);
    await stopping.done;
  } catch (err) {
    // Once stopping, what fails is the work being abandoned: the stop itself ends the process.
    if (stopping.signal.aborted) return await stopping.done;
    await stopAll();
    throw err;
  }
}

/**
 * The local host, with host.json's maxPollingInterval (2 s) as in Azure: an event waits at most that long after
 * a quiet spell. Its close drains in-flight work for at most `drainMs`, then abandons it; once stopping, the
 * log drops what abandoned work says as Azurite goes away (nothing it says then is news).
 */
async function startHost(
  s: Settings,
  plan: EmulatorPlan,
  stopping: AbortSignal,
  drainMs = 3_000,
): Promise<LocalHost> {
  try {
    const host = await startLocalHost({
      registrations: await loadFunctions(),
      settings: s,
      easyAuth: plan.emulatedTenant,
      callerRoles: plan.callerRoles,
      log: (line) => {
        if (!stopping.aborted) console.log(line);
      },
    });
    const close = () =>
      Promise.race([host.close(), new Promise<void>((resolve) => setTimeout(resolve, drainMs).unref())]);
    return { ...host, close };
  } catch (err) {
    if (isAddressInUse(err)) throw portInUse(s.PORT, "the local Functions host", "PORT");
    throw err;
  }
}

/**
 * On the first SIGINT or SIGTERM: says so, aborts `signal` (no new samples; waits end), runs `stopAll` (the host
 * first, which drains in-flight work for a few seconds, then the emulators) and exits: 0 for Ctrl-C (a stop
 * asked for, so `npm start` reports no failure), 143 for SIGTERM (as a supervisor expects). A second signal
 * exits at once, but not one within a second of the first: `npm start` forwards the terminal's Ctrl-C, so one
 * keypress arrives twice. `done` never resolves: the process ends in the handler.
 */
function stopOnSignal(stopAll: () => Promise<void>): { signal: AbortSignal; done: Promise<never> } {
  const controller = new AbortController();
  let firstAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === "SIGINT" ? 0 : 143;
    if (firstAt > 0) {
      if (Date.now() - firstAt > 1_000) process.exit(code);
      return;
    }
    firstAt = Date.now();
    console.log("\nstopping (Ctrl-C again to quit now)…");
    controller.abort();
    void stopAll().finally(() => process.exit(code));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { signal: controller.signal, done: new Promise<never>(() => undefined) };
}

/**
 * Starts Azurite and the emulated tenant unless AzureWebJobsStorage / GRAPH_BASE_URL point elsewhere, on stable
 * ports (Azurite's own 10000-10002, the tenant's 4000: a second shell's exports stay valid across restarts), and
 * points the settings at them; each one's stop goes on `stops`. Before anything starts or connects: storage off
 * this machine is refused (the plan), then stale loopback exports, the settings, and every port to listen on, the
 * local host's included. Returns the plan: the roles the local principal holds, and whether Graph is emulated.
 */
async function startEmulators(stops: (() => Promise<void>)[]): Promise<EmulatorPlan> {
  const plan = emulatorPlan(process.env);
  if (plan instanceof StartProblem) throw plan;
  await refuseDeadLoopback("AzureWebJobsStorage", process.env.AzureWebJobsStorage);
  await refuseDeadLoopback("GRAPH_BASE_URL", process.env.GRAPH_BASE_URL);
  Object.assign(process.env, plan.env);
  // Every setting checked before anything starts: a typo costs one line, not an emulator start.
  const invalid = settingsProblem();
  if (invalid) throw new StartProblem(`settings: ${invalid.message}`);
  await refuseTakenPorts(plan.ports);
  if (plan.storagePorts) {
    const azurite = await startAzurite({ ports: plan.storagePorts }).catch((err: unknown) => {
      throw isAddressInUse(err)
        ? portInUse(plan.storagePorts?.blob ?? 0, "Azurite", "LOCAL_STORAGE_PORT")
        : err;
    });
    stops.push(azurite.stop);
    process.env.AzureWebJobsStorage = azurite.connectionString;
    console.log(`storage   local Azurite (in memory, loopback, pid ${azurite.pid})`);
  } else console.log("storage   Azurite on this machine, as AzureWebJobsStorage names it");
  if (plan.graphPort !== undefined) {
    const emulator = await startGraphEmulator({
      port: plan.graphPort,
      tenantFile: projectFile("local/demo-tenant.json"),
    }).catch((err: unknown) => {
      throw isAddressInUse(err)
        ? portInUse(plan.graphPort ?? 0, "the emulated tenant", "GRAPH_EMULATOR_PORT")
        : err;
    });
    stops.push(emulator.close);
    process.env.GRAPH_BASE_URL = emulator.url;
    console.log(`graph     emulated tenant at ${emulator.url} (demo users from local/demo-tenant.json)`);
  } else if (plan.emulatedTenant)
    console.log(
      `graph     the emulated tenant GRAPH_BASE_URL names on this machine (${process.env.GRAPH_BASE_URL})`,
    );
  else
    console.log(
      `graph     the REAL tenant GRAPH_BASE_URL names (${process.env.GRAPH_BASE_URL}): nobody is signed in, every helpdesk call answers 401`,
    );
  return plan;
}
/** Enqueues the sample new-hire events, waits for their outcomes and prints them (not once stopping). */
async function runSamples(host: LocalHost, services: AppServices, stopping: AbortSignal): Promise<void> {
  const events = JSON.parse(await readFile(projectFile("samples/new-hires.json"), "utf8")) as {
    eventId: string;
  }[];
  for (const event of events) {
    if (stopping.aborted) return;
    await services.queue.send(event);
  }
  host.poke();
  console.log(
    `enqueued ${events.length} sample new-hire events from samples/new-hires.json; waiting for outcomes…\n`,
  );

  const outcomes = await waitForOutcomes(
    services.outcomes,
    events.map((e) => e.eventId),
    stopping,
  );
  if (!stopping.aborted) printOutcomes(outcomes);
}

/** What to try against the running host, and how to point the CLI at the same emulators and policy. */
function printServing(url: string, s: Settings, publishedAt: string, plan: EmulatorPlan): void {
  if (!plan.emulatedTenant) {
    console.log(`\nServing at ${url} with nobody signed in: Easy Auth is emulated only in front of the emulated tenant, so every helpdesk call answers 401 authentication_required, as the deployed app without Easy Auth.
Press Ctrl-C to stop (the run's metrics are printed then).`);
    return;
  }
  // The local host signs every request in as local-developer (emulated Easy Auth), so plain curl works.
  const held = plan.callerRoles.length > 0 ? plan.callerRoles.join(" and ") : "no app role";
  console.log(`\nServing at ${url}, every request signed in as ${localPrincipal.name} (${held}; LOCAL_CALLER_ROLES=reader to try the reader's view). Try:
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
    writeLocalEnv(exports);
    console.log(`To run the sspr-prepop CLI against this tenant, in another shell (npm exec --offline -- sspr-prepop …),
  source ${localEnvFile}   # written now, the same across restarts; or paste:
${exports.map(([name, value]) => `  export ${name}='${value}'`).join("\n")}
or in PowerShell (node dist/cli/sspr-prepop.js …):
${exports.map(([name, value]) => `  $env:${name} = '${value}'`).join("\n")}
backfill and report there apply the policy this app published to Azurite at ${publishedAt} (table DeploymentPolicy).
then check it: sspr-prepop doctor --app-url ${url}`);
  }
}

/** The exports for a second shell, in a git-ignored file only its owner reads (it holds Azurite's key). */
const localEnvFile = ".sspr-local.env";

function writeLocalEnv(exports: [string, string][]): void {
  const text = `# Written by npm start: source it in a second shell to point sspr-prepop at the local emulators.\n${exports
    .map(([name, value]) => `export ${name}='${value}'`)
    .join("\n")}\n`;
  // LOCAL_ENV_FILE moves it (the tests point it at a temporary folder, so a run never replaces a developer's own).
  const file = process.env.LOCAL_ENV_FILE || projectFile(localEnvFile);
  writeFileSync(file, text, { mode: 0o600 });
  // mode applies only to a new file: an older one keeps its own, so set it again.
  chmodSync(file, 0o600);
}

async function waitForOutcomes(
  log: OutcomeLog,
  eventIds: string[],
  stopping: AbortSignal,
  timeoutMs = 60_000,
): Promise<(Outcome | undefined)[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (stopping.aborted) return [];
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
  // A problem the admin can fix is its one line; anything else says npm start failed, with its message.
  if (err instanceof StartProblem) {
    console.error(`npm start: ${err.message}`);
    process.exitCode = err.exitCode;
    return;
  }
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
