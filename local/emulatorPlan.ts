import { randomBytes } from "node:crypto";
import { type LocalRole, localCallerRoles } from "./emulateEasyAuth.js";
import { defaultEmulatorToken } from "./graphEmulator/startGraphEmulator.js";
import { isLoopbackUrl } from "./isLoopbackUrl.js";
import { remoteStorageProblem } from "./remoteStorageProblem.js";
import { azuriteDefaultPorts } from "./startAzurite.js";
import { type PlannedPort, StartProblem } from "./startProblem.js";

/** What `npm start` will start, decided from the environment before anything starts. */
export interface EmulatorPlan {
  /** Azurite's ports, or undefined when AzureWebJobsStorage names an account already. */
  storagePorts?: { blob: number; queue: number; table: number };
  /** The emulated tenant's port, or undefined when GRAPH_BASE_URL names a tenant already. */
  graphPort?: number;
  /** Settings to set before they are checked (the emulated tenant's URL and token, the demo's policy). */
  env: Record<string, string>;
  /** The roles the local principal holds. */
  callerRoles: readonly LocalRole[];
  /**
   * Whether Graph is an emulated tenant: the one npm start starts, or one GRAPH_BASE_URL names on loopback. Only
   * then does the local host sign requests in (anything else is a real tenant: every helpdesk call is 401) and
   * are the sample new hires sent (fictional people, whose employee ids a real tenant may well use).
   */
  emulatedTenant: boolean;
  /** Every port npm start will listen on, checked free before anything starts. */
  ports: PlannedPort[];
}

/** The emulated tenant's default port: fixed, like Azurite's, so exports survive a restart. */
export const graphEmulatorDefaultPort = 4000;

/**
 * The plan, or the one line that says which local knob is wrong: LOCAL_STORAGE_PORT (Azurite's blob port; queue
 * and table take the next two; 0 for free ports), GRAPH_EMULATOR_PORT, PORT (the local host's), LOCAL_CALLER_ROLES
 * (only before an emulated tenant: in front of a real one nobody is signed in, so there are no roles to narrow), or
 * storage that isn't this machine's (`remoteStorageProblem`).
 */
export function emulatorPlan(env: NodeJS.ProcessEnv): EmulatorPlan | StartProblem {
  const storagePort = portOf(env, "LOCAL_STORAGE_PORT", azuriteDefaultPorts.blob);
  const graphPort = portOf(env, "GRAPH_EMULATOR_PORT", graphEmulatorDefaultPort);
  const hostPort = portOf(env, "PORT", 7071);
  if (storagePort instanceof StartProblem) return storagePort;
  if (graphPort instanceof StartProblem) return graphPort;
  if (hostPort instanceof StartProblem) return hostPort;
  const remote = remoteStorageProblem(env);
  if (remote) return remote;
  const startsTenant = !env.GRAPH_BASE_URL;
  const roles = localCallerRoles(env.LOCAL_CALLER_ROLES);
  if (roles instanceof Error) return new StartProblem(roles.message);
  const emulatedTenant = startsTenant || isLoopbackUrl(env.GRAPH_BASE_URL);
  if (!emulatedTenant && env.LOCAL_CALLER_ROLES)
    return new StartProblem(
      "LOCAL_CALLER_ROLES works only before the emulated tenant: unset it, or unset GRAPH_BASE_URL",
    );
  const plan: EmulatorPlan = {
    env: {},
    callerRoles: roles,
    emulatedTenant,
    ports: [{ port: hostPort, what: "the local Functions host", setting: "PORT" }],
  };
  if (!env.AzureWebJobsStorage) {
    plan.storagePorts =
      storagePort === 0
        ? { blob: 0, queue: 0, table: 0 }
        : { blob: storagePort, queue: storagePort + 1, table: storagePort + 2 };
    for (const port of new Set(Object.values(plan.storagePorts)))
      plan.ports.push({ port, what: "Azurite", setting: "LOCAL_STORAGE_PORT" });
  }
  if (startsTenant) {
    plan.graphPort = graphPort;
    plan.ports.push({ port: graphPort, what: "the emulated tenant", setting: "GRAPH_EMULATOR_PORT" });
    // Set before the settings are checked; the real URL (the same, or with the free port) once it listens.
    plan.env.GRAPH_BASE_URL = `http://127.0.0.1:${graphPort || graphEmulatorDefaultPort}/v1.0`;
    plan.env.GRAPH_ACCESS_TOKEN = defaultEmulatorToken;
    // The demo tenant's Tier 0 Accounts group: its members are never written, like admins.
    plan.env.PROTECTED_GROUP_IDS = env.PROTECTED_GROUP_IDS ?? "3876bc5a-40b4-4d23-bd51-120c5746ec76";
  }
  // The app's own secret, as a deployment has one in Key Vault: without it the queue records every webhook event's
  // sender as `queue`. A fresh one per run: nothing signed with it outlives the run but in a persistent Azurite,
  // where a message of an earlier run is then recorded as `queue`, as the deployed app records an unsigned one.
  if (!env.APP_SIGNING_KEY) plan.env.APP_SIGNING_KEY = randomBytes(32).toString("base64url");
  // The demo tenant's own domain: an alternate email there is useless to a locked-out user.
  plan.env.ORGANIZATION_DOMAINS = env.ORGANIZATION_DOMAINS ?? "contoso.example";
  return plan;
}

function portOf(env: NodeJS.ProcessEnv, name: string, fallback: number): number | StartProblem {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const port = Number(text);
  // The storage port takes the two after it too.
  const top = name === "LOCAL_STORAGE_PORT" ? 65533 : 65535;
  if (!Number.isInteger(port) || port < 0 || port > top)
    return new StartProblem(`${name} must be a port number (0 for any free one), not ${text}`);
  return port;
}
