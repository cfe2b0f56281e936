import {
  type GraphEmulator,
  type GraphEmulatorOptions,
  startGraphEmulator,
} from "../../local/graphEmulator/startGraphEmulator.js";
import type { RunningAzurite } from "../../local/startAzurite.js";
import { appServices, useAppServices } from "../../shared/app/appServices.js";
import type { Settings } from "../../shared/app/config.js";
import { queueClient } from "../../shared/app/storageClients.js";
import { useAzurite } from "./sharedAzurite.js";

/** Azurite + the emulated tenant, with the app's settings pointed at them. */
export interface TestEnvironment {
  azurite: RunningAzurite;
  graph: GraphEmulator;
  /** Re-reads settings after `env` changes and rebuilds the app's services. */
  configure(env?: Record<string, string | undefined>): Settings;
  /** Switches to a new queue and outcome table, so one test's records can't change the next test's result. */
  isolate(): Settings;
  /** Decoded messages currently visible on a queue (peek, not dequeued). */
  peekQueue(name: string): Promise<unknown[]>;
  close(): Promise<void>;
}

let counter = 0;

/** The APP_SIGNING_KEY every test environment runs with (fictional; 32 characters or more). */
export const testAppSigningKey = "test-app-signing-key-not-a-secret-0147";

/**
 * Starts fresh emulators for one test file: its own Graph emulator, and its own storage account on the run's
 * Azurite (test/support/sharedAzurite.ts), so files running in parallel never see each other's messages or rows.
 */
export async function startTestEnvironment(
  options: { graph?: GraphEmulatorOptions; env?: Record<string, string> } = {},
): Promise<TestEnvironment> {
  const [azurite, graph] = await Promise.all([useAzurite(), startGraphEmulator(options.graph ?? {})]);
  const names = () => {
    const suffix = `${process.pid}x${counter++}`;
    return {
      ONBOARDING_QUEUE: `hr-onboarding-${suffix}`,
      OUTCOMES_TABLE: `Outcomes${suffix.replace(/\W/g, "")}`,
    };
  };
  const base: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    GRAPH_BASE_URL: graph.url,
    GRAPH_ACCESS_TOKEN: graph.token,
    // A test reads and delivers far faster than a person or an HR feed, under one test caller: the limits stay on
    // (counted in Azurite) but out of reach. The files about the limits set their own (test/http/readLimits.test.ts).
    HELPDESK_READS_PER_MINUTE: "100000",
    HR_EVENTS_PER_SENDER_PER_HOUR: "10000000",
    // As a deployment has it: the intake signs the actor it stamps, the queue notes keyed hashes of its writes.
    APP_SIGNING_KEY: testAppSigningKey,
    ...names(),
    ...options.env,
  };
  let applied: string[] = [];
  const configure = (env: Record<string, string | undefined> = {}) => {
    for (const name of applied) delete process.env[name];
    const merged = { ...base, ...env };
    applied = Object.keys(merged);
    for (const [name, value] of Object.entries(merged)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    useAppServices(undefined);
    return appServices().settings;
  };
  configure();
  return {
    azurite,
    graph,
    configure,
    isolate() {
      Object.assign(base, names());
      return configure();
    },
    async peekQueue(name) {
      const client = queueClient(appServices().settings, name);
      if (!(await client.exists())) return [];
      const peeked = await client.peekMessages({ numberOfMessages: 32 });
      return peeked.peekedMessageItems.map((m) =>
        JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")),
      );
    },
    async close() {
      await Promise.all([graph.close(), azurite.stop()]);
    },
  };
}
