import { afterAll, beforeAll, beforeEach } from "vitest";
import type { SeedUser as EmulatedSeedUser } from "../../local/graphEmulator/EmulatedTenant.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { emailMethodId, phoneMethodIds } from "../../shared/graph/graphAuthMethods.js";
import { type ContractUser, directoryContract } from "../contracts/directoryContract.js";
import { MemoryDirectory, type SeedUser } from "../doubles/memoryDirectory.js";
import { directoryFor, resetEmulator, startEmulator } from "../support/graphEmulatorFixtures.js";

let emulator: GraphEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
beforeEach(() => {
  resetEmulator(emulator);
});
afterAll(async () => {
  await emulator?.close();
});

/** The contract's user as the double holds it: Graph's fixed method ids, an admin's privilege as Graph reports it. */
function memorySeed(user: ContractUser): SeedUser {
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    mail: user.mail ?? null,
    mobilePhone: user.mobilePhone ?? null,
    businessPhones: user.businessPhones ?? [],
    otherMails: user.otherMails ?? [],
    onPremisesSyncEnabled: user.synced ? true : null,
    employeeId: user.employeeId ?? null,
    createdDateTime: null,
    methods: {
      phoneMethods: (user.phoneMethods ?? []).map((m) => ({ id: phoneMethodIds[m.phoneType], ...m })),
      emailMethods: user.emailMethod ? [{ id: emailMethodId, emailAddress: user.emailMethod }] : [],
      otherMethods: (user.otherMethods ?? []).map((kind) => ({ kind })),
    },
    ...(user.admin
      ? { privilege: { privileged: true, via: "activeRole", detail: "Global Administrator" } as const }
      : {}),
  };
}

/** The contract's user as the emulated tenant is seeded with it (an admin holds the role actively). */
function emulatedSeed(user: ContractUser): EmulatedSeedUser {
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    mail: user.mail ?? null,
    mobilePhone: user.mobilePhone ?? null,
    businessPhones: user.businessPhones ?? [],
    otherMails: user.otherMails ?? [],
    onPremisesSyncEnabled: user.synced ? true : null,
    employeeId: user.employeeId ?? null,
    adminRoles: user.admin ? ["Global Administrator"] : [],
    authentication: {
      phoneMethods: user.phoneMethods ?? [],
      emailMethods: user.emailMethod ? [{ emailAddress: user.emailMethod }] : [],
      otherMethods: user.otherMethods ?? [],
    },
  };
}

directoryContract("MemoryDirectory", async (users, tenant) =>
  new MemoryDirectory(users.map(memorySeed)).withDirSyncOverridesBypassed(tenant.bypassDirSyncOverrides),
);

directoryContract("GraphDirectory on the emulated tenant", async (users, tenant) => {
  emulator.tenant.bypassDirSyncOverridesEnabled = tenant.bypassDirSyncOverrides;
  for (const user of users) emulator.tenant.addUser(emulatedSeed(user));
  return directoryFor(emulator);
});
