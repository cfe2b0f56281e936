// app/: the composition root — settings, host.json, and building the services everything else uses.

import { AsyncLocalStorage } from "node:async_hooks";
import type { TokenCredential } from "@azure/identity";
import type { ContactRuleOptions } from "../contact/contactEvent.js";
import type { BulkDirectory } from "../directory/directory.js";
import type { ThrottlePriority } from "../graph/graphClient.js";
import type { WriteLimiter } from "../graph/writeLimiter.js";
import type { DeliveryDeps } from "../http/deliverEvents.js";
import { WindowLimiter } from "../http/windowLimiter.js";
import type { WebhookReceipts } from "../intake/webhookReceipts.js";
import { MeteredOutcomeLog } from "../metrics/meteredOutcomeLog.js";
import { type Metrics, noMetrics } from "../metrics/metrics.js";
import type {
  PrivilegedWrittenDeps,
  ReadinessRunDeps,
  ReadinessSource,
} from "../metrics/readinessMetrics.js";
import type { QueueDepthSource } from "../metrics/recordQueueDepths.js";
import { StorageEventQueue } from "../storage/storageEventQueue.js";
import { StorageQueueDepths } from "../storage/storageQueueDepths.js";
import { TableCounterStore, usageCountersTable } from "../storage/tableCounterStore.js";
import { TableWebhookReceipts, webhookReceiptsTable } from "../storage/tableWebhookReceipts.js";
import { appKeysFrom } from "../sync/appKeys.js";
import type { CounterStore } from "../sync/counterStore.js";
import type { DeploymentPolicyStore } from "../sync/deploymentPolicy.js";
import type { EventQueue } from "../sync/eventQueue.js";
import type { FixDeps } from "../sync/fixContact.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import type { SyncDeps } from "../sync/syncContactEvent.js";
import type { SyncPolicy } from "../sync/syncPlanner.js";
import { loadSettings, type Settings } from "./config.js";
import { deploymentPolicyFromSettings } from "./deploymentPolicyFromSettings.js";
import { graphDirectoryFromSettings, writeLimiterFromSettings } from "./graphDirectoryFromSettings.js";
import { type QueueHostSettings, readQueueHostSettings } from "./hostJson.js";
import { metricsFromSettings } from "./metricsFromSettings.js";
import { outcomeLogFromSettings } from "./outcomeLogFromSettings.js";
import { contactRuleOptionsFrom, policyFrom } from "./ruleOptions.js";
import { poisonQueueName, queueClient, tableClient } from "./storageClients.js";

/**
 * Everything the functions, the CLI, the local host and the timers use, built from one settings object. It is
 * itself the queue pipeline's `SyncDeps`, so each adapter exists once. Read-only: a different setup is a
 * different `buildServices` call.
 */
export interface AppServices extends Readonly<Omit<SyncDeps, "log" | "now">> {
  readonly settings: Settings;
  readonly directory: BulkDirectory;
  /**
   * The same tenant for the helpdesk routes: requests marked `x-ms-throttle-priority: high` (a person is waiting;
   * Graph throttles low and normal first), drawing from the same write budget.
   */
  readonly helpdeskDirectory: BulkDirectory;
  readonly outcomes: OutcomeLog;
  /** The onboarding queue: where webhooks put events and where the pipeline puts deferred ones back. */
  readonly queue: EventQueue;
  /** Which webhook events were already taken in. */
  readonly webhookReceipts: WebhookReceipts;
  /** Where the app publishes the protection policy it runs with, for the CLI (shared/app/onAppStart.ts). */
  readonly deploymentPolicy: DeploymentPolicyStore;
  readonly rules: ContactRuleOptions;
  readonly policy: SyncPolicy;
  /** host.json's queue settings (poison threshold, encoding), read once. */
  readonly queueHost: QueueHostSettings;
  /** The write budget every Graph write of this process draws from (Graph counts per app and tenant). */
  readonly writeLimiter: WriteLimiter;
  /** Where the operator's signals go (Application Insights in Azure); `outcomes` already counts into it. */
  readonly metrics: Metrics;
  /**
   * The tenant for the daily readiness run: every user listed, requests marked `x-ms-throttle-priority: low`
   * like the CLI's report, so Graph throttles it before the pipeline and the helpdesk.
   */
  readonly readinessDirectory: ReadinessSource;
  /** How many messages wait on the onboarding queue and its poison queue (the queue-depth timer). */
  readonly queueDepths: QueueDepthSource;
  /** Where the use limits count, seen by every instance (the `UsageCounters` table). */
  readonly counters: CounterStore;
  /** HELPDESK_READS_PER_MINUTE per caller, counted in `counters`. */
  readonly readLimiter: WindowLimiter;
  /** HR_EVENTS_PER_SENDER_PER_HOUR per verified webhook sender, counted in `counters`. */
  readonly eventLimiter: WindowLimiter;
}

/**
 * How a process that is not the app reaches Graph (the CLI): its own sign-in instead of the app's identity, the
 * priority of its requests, and its Ctrl-C, which drops writes still waiting for budget instead of sending them.
 */
export interface GraphAccess {
  credential?: TokenCredential | undefined;
  priority?: ThrottlePriority;
  stopSignal?: AbortSignal | undefined;
}

/**
 * Builds the services from settings; `overrides` replaces parts (a test's in-memory double, the local host's
 * shorter lease, the CLI's own metrics), `graph` is a CLI's way to Graph. Each part is built on its first use and
 * kept, so a command that never touches the queue needs no queue setting. Nothing is read from the environment.
 */
export function buildServices(
  settings: Settings,
  overrides: Partial<AppServices> = {},
  graph: GraphAccess = {},
): AppServices {
  const o = overrides;
  const directoryAt = (priority: ThrottlePriority | undefined) =>
    graphDirectoryFromSettings(settings, services.writeLimiter, priority, graph.credential, graph.stopSignal);
  const services: AppServices = builtOnFirstUse<AppServices>({
    settings: () => settings,
    metrics: () => o.metrics ?? metricsFromSettings(settings),
    writeLimiter: () => o.writeLimiter ?? writeLimiterFromSettings(settings, undefined, services.metrics),
    directory: () => o.directory ?? directoryAt(graph.priority),
    helpdeskDirectory: () => o.helpdeskDirectory ?? o.directory ?? directoryAt("high"),
    readinessDirectory: () => o.readinessDirectory ?? directoryAt("low"),
    // Counted where every use case records (docs/operations.md): one decorator around the port.
    outcomes: () => metered(o.outcomes ?? outcomeLogFromSettings(settings), services.metrics),
    queue: () => o.queue ?? new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE)),
    webhookReceipts: () =>
      o.webhookReceipts ?? new TableWebhookReceipts(tableClient(settings, webhookReceiptsTable)),
    deploymentPolicy: () => o.deploymentPolicy ?? deploymentPolicyFromSettings(settings),
    rules: () => o.rules ?? contactRuleOptionsFrom(settings),
    policy: () => o.policy ?? policyFrom(settings),
    userWaitHours: () => o.userWaitHours ?? settings.USER_WAIT_HOURS,
    newHireDays: () => o.newHireDays ?? settings.NEW_HIRE_DAYS,
    queueHost: () => o.queueHost ?? readQueueHostSettings(),
    queueDepths: () =>
      o.queueDepths ??
      new StorageQueueDepths(
        queueClient(settings, settings.ONBOARDING_QUEUE),
        queueClient(settings, poisonQueueName(settings.ONBOARDING_QUEUE)),
      ),
    counters: () => o.counters ?? new TableCounterStore(tableClient(settings, usageCountersTable)),
    readLimiter: () =>
      o.readLimiter ??
      new WindowLimiter(
        { name: "reads", perWindow: settings.HELPDESK_READS_PER_MINUTE, windowSeconds: 60 },
        services.counters,
      ),
    eventLimiter: () =>
      o.eventLimiter ??
      new WindowLimiter(
        { name: "events", perWindow: settings.HR_EVENTS_PER_SENDER_PER_HOUR, windowSeconds: 3600 },
        services.counters,
      ),
    ...(o.leaseMs !== undefined ? { leaseMs: () => o.leaseMs } : {}),
    keys: () => o.keys ?? (settings.APP_SIGNING_KEY ? appKeysFrom(settings.APP_SIGNING_KEY) : undefined),
  });
  return services;
}

/**
 * A CLI command's services: built as the app's, reaching Graph with the command's own sign-in, and counting no
 * metrics (an operator's shell is no app instance; its counts would mix with the app's in Application Insights).
 */
export function commandServices(
  settings: Settings,
  overrides: Partial<AppServices>,
  graph: GraphAccess,
): AppServices {
  return buildServices(settings, { metrics: noMetrics, ...overrides }, graph);
}

/** What the queue pipeline uses: the services' `SyncDeps`, logging each event's masked line to `log`. */
export function pipelineDeps(services: AppServices, log: (line: string) => void): SyncDeps {
  const { directory, outcomes, queue, rules, policy, userWaitHours, newHireDays, leaseMs, keys } = services;
  return {
    directory,
    outcomes,
    queue,
    rules,
    policy,
    userWaitHours,
    newHireDays,
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    log,
    keys,
  };
}

/** What the helpdesk fix uses: the services with the helpdesk's directory (high priority). */
export function helpdeskDeps(services: AppServices): FixDeps {
  const { outcomes, rules, policy } = services;
  return { directory: services.helpdeskDirectory, outcomes, rules, policy };
}

/**
 * What the HR webhooks take events in with: the onboarding queue, the webhook receipts, the contact rules, the
 * senders' hourly event limit and the key the intake signs each queued event's sender with.
 */
export function intakeDeps(services: AppServices): DeliveryDeps {
  const { queue, webhookReceipts: receipts, rules, eventLimiter } = services;
  return { queue, receipts, rules, eventLimiter, actorStampKey: services.keys?.actorStamp };
}

/** What the daily readiness run uses: the readiness directory (low priority) with rules, policy, outcomes, metrics. */
export function readinessDeps(services: AppServices): ReadinessRunDeps & PrivilegedWrittenDeps {
  const { outcomes, rules, policy, metrics, newHireDays } = services;
  return {
    directory: services.readinessDirectory,
    outcomes,
    rules,
    policy: { ...policy, newHireDays },
    metrics,
  };
}

/**
 * A frozen object whose every property is built by its function on the first read and kept: one instance of
 * each adapter, none built that the process never uses.
 */
function builtOnFirstUse<T extends object>(parts: { [K in keyof T]: () => T[K] }): T {
  const built = {} as T;
  for (const [key, build] of Object.entries(parts) as [string, () => unknown][]) {
    let value: unknown;
    let done = false;
    Object.defineProperty(built, key, {
      enumerable: true,
      get() {
        if (!done) {
          value = build();
          done = true;
        }
        return value;
      },
    });
  }
  return Object.freeze(built);
}

/**
 * Builds every adapter of `services` now (all but the readiness directory, which only the readiness timer
 * uses), so a setting that cannot build one is found when the process takes its services, not mid-invocation.
 */
function builtNow(services: AppServices): AppServices {
  void [
    services.metrics,
    services.writeLimiter,
    services.directory,
    services.helpdeskDirectory,
    services.outcomes,
    services.queue,
    services.webhookReceipts,
    services.deploymentPolicy,
    services.rules,
    services.policy,
    services.queueHost,
    services.counters,
    services.readLimiter,
    services.eventLimiter,
  ];
  return services;
}

/** The log counting into `metrics`; one already counting (services rebuilt from services) is not wrapped twice. */
function metered(log: OutcomeLog, metrics: Metrics): OutcomeLog {
  return log instanceof MeteredOutcomeLog ? log : new MeteredOutcomeLog(log, metrics);
}

// The one process-wide instance: Azure Functions loads each function module once per worker and calls its
// handler many times, so the handlers share the services built on the first call.
let current: AppServices | undefined;
const scoped = new AsyncLocalStorage<AppServices>();

/**
 * The services a handler uses: those of the invocation's scope (`withAppServices`), else this process's, built
 * from the environment's settings on first use (never at import time) unless `useAppServices` gave them.
 */
export function appServices(): AppServices {
  const inScope = scoped.getStore();
  if (inScope) return inScope;
  current ??= builtNow(buildServices(loadSettings()));
  return current;
}

/**
 * Makes `services` the process's services (the local host with its own lease, a test with fresh emulators);
 * undefined forgets them, so the next `appServices()` reads the environment again.
 */
export function useAppServices(services: AppServices | undefined): void {
  current = services && builtNow(services);
}

/**
 * Sends the metrics this process still holds, if its services were built: the Functions host's graceful
 * shutdown calls it, so counts recorded after the last periodic export are not lost with the instance.
 */
export async function flushAppMetrics(): Promise<void> {
  await current?.metrics.flush();
}

/**
 * Runs `run` (and everything it awaits) with `services` as the services `appServices()` gives. The local host
 * runs each HTTP invocation this way with the platform settings Azure would inject (Easy Auth on), so the app
 * sees them inside the local host only and the rest of the process, tests included, keeps its own.
 */
export function withAppServices<T>(services: AppServices, run: () => T): T {
  return scoped.run(services, run);
}
