import { type ContactRuleOptions, contactRuleOptionsFrom } from "../contact/contactEvent.js";
import type { Directory } from "../directory/directory.js";
import { type WebhookReceipts, webhookReceiptsFor } from "../intake/webhookReceipts.js";
import { TableOutcomeLog } from "../storage/tableOutcomeLog.js";
import { type EventQueue, StorageEventQueue } from "../sync/eventQueue.js";
import type { OutcomeLog } from "../sync/outcomeLog.js";
import type { SyncDeps } from "../sync/syncContactEvent.js";
import type { SyncPolicy } from "../sync/syncPlanner.js";
import { type Settings, settings } from "./config.js";
import { graphDirectoryFromSettings } from "./graphDirectoryFromSettings.js";
import { queueClient, tableClient } from "./storageClients.js";

/** The real adapters, built once per process from the settings. */
export interface AppServices {
  settings: Settings;
  directory: Directory;
  outcomes: OutcomeLog;
  onboardingQueue: EventQueue;
  /** Which webhook events were already taken in (built once: it creates its table on first use). */
  webhookReceipts: WebhookReceipts;
  rules: ContactRuleOptions;
  policy: SyncPolicy;
  syncDeps: SyncDeps;
}

let cached: AppServices | undefined;

/** The process-wide services, built on first use (never at import time). */
export function appServices(): AppServices {
  cached ??= buildServices(settings());
  return cached;
}

/** Forgets the built services; for tests that point the app at fresh emulators. */
export function resetAppServices(): void {
  cached = undefined;
}

/** The sync policy the settings ask for. */
export function policyFrom(s: Settings): SyncPolicy {
  return { target: s.CONTACT_TARGET, mode: s.CONTACT_MODE, syncedMobile: s.SYNCED_MOBILE };
}

function buildServices(s: Settings): AppServices {
  const directory = graphDirectoryFromSettings(s);
  const outcomes = new TableOutcomeLog(tableClient(s, s.OUTCOMES_TABLE));
  const onboardingQueue = new StorageEventQueue(queueClient(s, s.ONBOARDING_QUEUE));
  const rules = contactRuleOptionsFrom(s);
  const policy = policyFrom(s);
  return {
    settings: s,
    directory,
    outcomes,
    onboardingQueue,
    webhookReceipts: webhookReceiptsFor(s),
    rules,
    policy,
    syncDeps: {
      directory,
      outcomes,
      queue: onboardingQueue,
      rules,
      policy,
      userWaitHours: s.USER_WAIT_HOURS,
    },
  };
}
