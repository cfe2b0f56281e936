// app/: the composition root — settings, host.json, and building the services everything else uses.

import { AsyncLocalStorage } from "node:async_hooks";
import type { ContactRuleOptions } from "../contact/contactEvent.js";
import type { BulkDirectory } from "../directory/directory.js";
import type { WriteLimiter } from "../graph/writeLimiter.js";
import type { WebhookReceipts } from "../intake/webhookReceipts.js";
import { MeteredOutcomeLog } from "../metrics/meteredOutcomeLog.js";
import type { Metrics } from "../metrics/metrics.js";
import { StorageEventQueue } from "../storage/storageEventQueue.js";
import { TableWebhookReceipts, webhookReceiptsTable } from "../storage/tableWebhookReceipts.js";
import type { DeploymentPolicyStore } from "../sync/deploymentPolicy.js";
import type { EventQueue } from "../sync/eventQueue.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import type { SyncDeps } from "../sync/syncContactEvent.js";
import type { SyncPolicy } from "../sync/syncPlanner.js";
import { loadSettings, type Settings } from "./config.js";
import { deploymentPolicyFromSettings } from "./deploymentPolicyFromSettings.js";
import { graphDirectoryFromSettings, writeLimiterFromSettings } from "./graphDirectoryFromSettings.js";
import { type QueueHostSettings, readQueueHostSettings } from "./hostJson.js";
import { metricsFromSettings } from "./metricsFromSettings.js";
import { outcomeLogFromSettings } from "./outcomeLogFromSettings.js";
import type { ReadinessSource } from "./readinessMetrics.js";
import { contactRuleOptionsFrom, policyFrom } from "./ruleOptions.js";
import { queueClient, tableClient } from "./storageClients.js";

/**
 * Everything the functions and the CLI use, built from one settings object. It is itself the queue pipeline's
 * `SyncDeps`, so each adapter exists once. Read-only: a different setup is a different `buildServices` call.
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
}

/**
 * Builds the services from settings; `overrides` replaces parts (a test's in-memory double, the local host's
 * shorter lease). Nothing is cached here and nothing is read from the environment.
 */
export function buildServices(settings: Settings, overrides: Partial<AppServices> = {}): AppServices {
  const metrics = overrides.metrics ?? metricsFromSettings(settings);
  const writeLimiter = overrides.writeLimiter ?? writeLimiterFromSettings(settings, undefined, metrics);
  const directory = overrides.directory ?? graphDirectoryFromSettings(settings, writeLimiter);
  let readinessDirectory = overrides.readinessDirectory;
  return Object.freeze({
    settings,
    directory,
    helpdeskDirectory:
      overrides.helpdeskDirectory ??
      overrides.directory ??
      graphDirectoryFromSettings(settings, writeLimiter, "high"),
    // Counted where every use case records (docs/operations.md): one decorator around the port.
    outcomes: metered(overrides.outcomes ?? outcomeLogFromSettings(settings), metrics),
    queue: overrides.queue ?? new StorageEventQueue(queueClient(settings, settings.ONBOARDING_QUEUE)),
    webhookReceipts:
      overrides.webhookReceipts ?? new TableWebhookReceipts(tableClient(settings, webhookReceiptsTable)),
    deploymentPolicy: overrides.deploymentPolicy ?? deploymentPolicyFromSettings(settings),
    rules: overrides.rules ?? contactRuleOptionsFrom(settings),
    policy: overrides.policy ?? policyFrom(settings),
    userWaitHours: overrides.userWaitHours ?? settings.USER_WAIT_HOURS,
    newHireDays: overrides.newHireDays ?? settings.NEW_HIRE_DAYS,
    queueHost: overrides.queueHost ?? readQueueHostSettings(),
    writeLimiter,
    metrics,
    // Built on first use: only the readiness timer lists users, and a test's directory double needs no Graph.
    get readinessDirectory(): ReadinessSource {
      readinessDirectory ??= graphDirectoryFromSettings(settings, writeLimiter, "low");
      return readinessDirectory;
    },
    ...(overrides.leaseMs !== undefined ? { leaseMs: overrides.leaseMs } : {}),
  });
}

/** The log counting into `metrics`; one already counting (services rebuilt from services) is not wrapped twice. */
function metered(log: OutcomeLog, metrics: Metrics): OutcomeLog {
  return log instanceof MeteredOutcomeLog ? log : new MeteredOutcomeLog(log, metrics);
}

// The one process-wide instance: Azure Functions loads each function module once per worker and calls its
// handler many times, so the handlers share the services built on the first call.
let current: AppServices | undefined;
const scoped = new AsyncLocalStorage<AppServices>();

/** The services of this process, built from the environment's settings on first use (never at import time). */
export function appServices(): AppServices {
  const inScope = scoped.getStore();
  if (inScope) return inScope;
  current ??= buildServices(loadSettings());
  return current;
}

/**
 * Makes `services` the process's services (the local host with its own lease, a test with fresh emulators);
 * undefined forgets them, so the next `appServices()` reads the environment again.
 */
export function useAppServices(services: AppServices | undefined): void {
  current = services;
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
