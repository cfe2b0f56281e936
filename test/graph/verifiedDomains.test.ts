import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";
import { verifiedDomainsContract } from "../contracts/verifiedDomainsContract.js";
import { MemoryDirectory } from "../doubles/memoryDirectory.js";
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

verifiedDomainsContract("MemoryDirectory", async (domains) => new MemoryDirectory().withDomains(domains));

verifiedDomainsContract("GraphDirectory on the emulated tenant", async (domains) => {
  emulator.tenant.domains = domains;
  return directoryFor(emulator);
});

describe("GraphDirectory.verifiedDomains against the emulated tenant", () => {
  it("reads the demo tenant's domains with one GET /domains", async () => {
    expect(await directoryFor(emulator).verifiedDomains()).toEqual([
      "contoso.example",
      "contoso.onmicrosoft.example",
    ]);
    expect(emulator.stats.requestCount("GET domains")).toBe(1);
  });

  it("asks Graph once per process: later and concurrent callers share the answer", async () => {
    const directory = directoryFor(emulator);
    await Promise.all([directory.verifiedDomains(), directory.verifiedDomains()]);
    await directory.verifiedDomains();
    expect(emulator.stats.requestCount("GET domains")).toBe(1);
  });

  it("fails closed, naming Domain.Read.All, when the app lacks the permission, and asks again next time", async () => {
    const directory = directoryFor(emulator);
    emulator.tenant.revokePermission("Domain.Read.All");
    const err = await directory.verifiedDomains().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GraphRequestError);
    expect(err).toMatchObject({ kind: DirectoryErrorKind.missingPermission, permission: "Domain.Read.All" });
    emulator.tenant.grantPermission("Domain.Read.All");
    expect(await directory.verifiedDomains()).toContain("contoso.example");
    expect(emulator.stats.requestCount("GET domains")).toBe(2);
  });
});
