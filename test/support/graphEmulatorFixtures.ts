import type { SeedUser, TenantSeed } from "../../local/graphEmulator/EmulatedTenant.js";
import {
  type GraphEmulator,
  type GraphEmulatorOptions,
  startGraphEmulator,
} from "../../local/graphEmulator/startGraphEmulator.js";
import {
  createGraphDirectory,
  type GraphDirectory,
  type GraphDirectoryOptions,
} from "../../shared/graph/graphDirectory.js";
import { WriteLimiter } from "../../shared/graph/writeLimiter.js";

/** Demo tenant user ids, by first name, as in local/demo-tenant.json. */
export const demo = {
  dana: "7883ff62-16ec-4b7c-8172-8ee4ec8218db", // Global Administrator (privileged)
  mei: "17c69a1c-5da1-4a71-96a2-077e0c286c26", // cloud-only new hire, empty contact fields
  oliver: "a7c95785-7191-4d28-b4fa-e3690f0bdd56", // synced from AD
  kwame: "47ac8d8f-816f-4db3-a52d-3b093329fee5", // registered his own phone and email methods
  avery: "f30e2287-aec9-422f-902a-defd2e84ed43", // non-canonical mobile "(425) 555-0147"
  jonas: "a32afb44-c9a1-44ba-baad-c71858534ddd", // synced from AD
  priya: "d6d59f2e-4037-4ecc-b002-abaadb10832e", // existing otherMails
  tom: "5694f294-d854-4c1c-b562-f095c1af73aa", // cloud-only new hire
  noor: "884f6b15-ec24-4318-bdd3-c372d2c4febe", // PIM-eligible Helpdesk Administrator, no active role
  lars: "fc1f90e0-1eb1-45af-8184-80634d61cb3b", // Privileged Authentication Administrator through a group
  zoe: "6999b249-a028-4db0-b222-0102af4cbe27", // in the protected group Tier 0 Accounts, through Executives
  rafael: "2c7e5a91-3b4d-4f60-9a8e-1d2b3c4d5e6f", // PIM-eligible member of Emergency Global Admins
  hana: "8d1f0b2a-6c3e-4a5b-8f7d-9e0a1b2c3d4e", // owner of Emergency Global Admins
} as const;

/** Demo tenant group ids, as in local/demo-tenant.json. */
export const demoGroups = {
  authenticationAdmins: "3b8aec79-5dd7-4f31-a1de-fae77ee587ce", // role-assignable, Privileged Authentication Administrator
  tier0: "3876bc5a-40b4-4d23-bd51-120c5746ec76", // the protected group npm start configures
  executives: "e9117e8f-16a4-439b-97d7-872aeb7d59d7", // member of Tier 0 Accounts
  emergencyGlobalAdmins: "b4f7e2c1-9a3d-4e6b-8c5f-0a1d2e3f4b5c", // role-assignable, Global Administrator; PIM for Groups
} as const;

/** Starts the emulator on the demo tenant (or the given one) on a free loopback port. */
export function startEmulator(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  return startGraphEmulator({ port: 0, ...options });
}

/** Puts an emulator shared by a test file back to a fresh tenant, zeroed stats, no faults or latency, Graph's budgets. */
export function resetEmulator(emulator: GraphEmulator): void {
  emulator.tenant.reset();
  emulator.stats.reset();
  emulator.setFaults({ unavailableRate: 0, timeoutAfterWriteRate: 0 });
  emulator.setLatency(0);
  emulator.setThrottle({
    enabled: true,
    writeBudget: 3000,
    writeWindowMs: 150_000,
    resourceUnits: 3500,
    resourceWindowMs: 10_000,
    reportRequests: 5,
    reportWindowMs: 10_000,
  });
}

/** A limiter that never gets in the way of functional tests. */
export function roomyLimiter(): WriteLimiter {
  return new WriteLimiter({ budget: 10_000, windowMs: 1000 });
}

/** The real adapter pointed at the emulator, with retry delays shortened so fault tests stay fast. */
export function directoryFor(
  emulator: GraphEmulator,
  overrides: Partial<GraphDirectoryOptions> = {},
): GraphDirectory {
  return createGraphDirectory({
    baseUrl: emulator.url,
    accessToken: emulator.token,
    limiter: roomyLimiter(),
    retry: { delaySeconds: 0, maxRetries: 3 },
    batch: { retryDelayMs: 0 },
    ...overrides,
  });
}

/** A cloud-only user with empty contact fields; `n` makes id, UPN and employeeId unique. */
export function aSeedUser(n: number, overrides: Partial<SeedUser> = {}): SeedUser {
  return {
    id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`,
    userPrincipalName: `user${n}@contoso.example`,
    displayName: `User ${n}`,
    mail: `user${n}@contoso.example`,
    employeeId: `T${n}`,
    ...overrides,
  };
}

/** A tenant of `count` generated cloud-only users. */
export function aTenant(count: number, tenant: TenantSeed["tenant"] = {}): TenantSeed {
  return { tenant, users: Array.from({ length: count }, (_, i) => aSeedUser(i + 1)) };
}

/** Calls Graph on the emulator directly, the way a client without our adapter would. */
export async function graphFetch(
  emulator: GraphEmulator,
  path: string,
  init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect Graph's JSON ad hoc, as a client reading the docs would
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== null) headers.Authorization = `Bearer ${init.token ?? emulator.token}`;
  if (init.body !== undefined) headers["Content-Type"] ??= "application/json";
  const response = await fetch(`${emulator.url}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
