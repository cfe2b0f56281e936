import { describe, expect, it } from "vitest";
import type { SeedDomain } from "../../local/graphEmulator/EmulatedTenant.js";
import type { Directory } from "../../shared/directory/directory.js";

/**
 * What `Directory.verifiedDomains` answers (see shared/directory/directory.ts), run against the Graph adapter on
 * the emulated tenant and the in-memory double alike. `withDomains` gives a directory whose tenant has them.
 */
export function verifiedDomainsContract(
  name: string,
  withDomains: (domains: SeedDomain[]) => Promise<Pick<Directory, "verifiedDomains">>,
): void {
  describe(`${name}.verifiedDomains`, () => {
    it("lists the verified domains, lower-case, and leaves the unverified ones out", async () => {
      const directory = await withDomains([
        { id: "Contoso.example", isVerified: true, isDefault: true },
        { id: "contoso.onmicrosoft.example", isVerified: true, isInitial: true },
        { id: "fabrikam.example", isVerified: false },
      ]);
      expect((await directory.verifiedDomains()).sort()).toEqual([
        "contoso.example",
        "contoso.onmicrosoft.example",
      ]);
    });

    it("gives an empty list when no domain is verified", async () => {
      const directory = await withDomains([{ id: "fabrikam.example", isVerified: false }]);
      expect(await directory.verifiedDomains()).toEqual([]);
    });
  });
}
