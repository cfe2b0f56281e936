import { describe, expect, it } from "vitest";
import type { DeploymentPolicyStore, ProtectionPolicy } from "../../shared/sync/deploymentPolicy.js";

/** A store under test, and a way to put a raw row in it, as an older app or a hand edit would. */
export interface PolicyStoreUnderTest {
  store: DeploymentPolicyStore;
  plant(row: Record<string, unknown>): Promise<void>;
}

const tier0 = "3876bc5a-40b4-4d23-bd51-120c5746ec76";
const executives = "5d1c7a3e-0b5f-4f7e-9a61-2f4c1b0de901";

const aPolicy = (overrides: Partial<ProtectionPolicy> = {}): ProtectionPolicy => ({
  protectedGroupIds: [tier0],
  target: { mobilePhone: "both", officePhone: "profile", alternateEmail: "methods" },
  mode: "fillEmpty",
  syncedMobile: "skip",
  ...overrides,
});

const aRow = (overrides: Record<string, unknown> = {}) => ({
  schema: 1,
  publishedAt: "2026-11-24T09:00:00.000Z",
  protectedGroupIds: tier0,
  contactTarget: JSON.stringify({
    mobilePhone: "profile",
    officePhone: "profile",
    alternateEmail: "profile",
  }),
  contactMode: "fillEmpty",
  syncedMobile: "skip",
  ...overrides,
});

/**
 * What a DeploymentPolicyStore promises (shared/sync/deploymentPolicy.ts), run against the in-memory double
 * and the Table adapter on Azurite alike: it reads back exactly what was published, a later publish replaces
 * it, and anything but a complete row of this schema is an unknown policy with its code, never a default.
 */
export function deploymentPolicyContract(name: string, create: () => PolicyStoreUnderTest): void {
  describe(`${name} as a DeploymentPolicyStore`, () => {
    it("knows no policy before the app has published one", async () => {
      expect(await create().store.read()).toMatchObject({ known: false, code: "policy_not_published" });
    });

    it("reads back the published policy with its schema and publication time", async () => {
      const { store } = create();
      const published = await store.publish(aPolicy({ protectedGroupIds: [executives, tier0] }));
      expect(published.schema).toBe(1);
      expect(Date.parse(published.publishedAt)).not.toBeNaN();
      expect(await store.read()).toEqual({ known: true, published });
    });

    it("keeps only the latest start's policy when the app publishes again", async () => {
      const { store } = create();
      await store.publish(aPolicy({ mode: "overwrite", protectedGroupIds: [] }));
      const latest = await store.publish(aPolicy());
      expect(await store.read()).toEqual({ known: true, published: latest });
    });

    it.each([
      ["a row without a schema number", { schema: undefined }, "policy_schema_older"],
      ["a row of an older schema", { schema: 0 }, "policy_schema_older"],
      ["a row of a newer schema", { schema: 2 }, "policy_schema_newer"],
      ["a group that is no object id", { protectedGroupIds: `${tier0},tier-0` }, "policy_unreadable"],
      ["a target that is not JSON", { contactTarget: "profile" }, "policy_unreadable"],
      ["a target missing a field", { contactTarget: '{"mobilePhone":"profile"}' }, "policy_unreadable"],
      ["an unknown mode", { contactMode: "replace" }, "policy_unreadable"],
      ["an unknown synced-mobile choice", { syncedMobile: "always" }, "policy_unreadable"],
      ["no publication time", { publishedAt: "yesterday" }, "policy_unreadable"],
      ["no protected groups column", { protectedGroupIds: undefined }, "policy_unreadable"],
    ])("refuses %s as unknown (%s)", async (_, overrides, code) => {
      const { store, plant } = create();
      const row: Record<string, unknown> = aRow(overrides);
      for (const key of Object.keys(row)) if (row[key] === undefined) delete row[key];
      await plant(row);
      const reading = await store.read();
      expect(reading).toMatchObject({ known: false, code });
    });

    it("reads a complete planted row of this schema", async () => {
      const { store, plant } = create();
      await plant(aRow({ protectedGroupIds: `${tier0.toUpperCase()}, ${executives}` }));
      expect(await store.read()).toEqual({
        known: true,
        published: {
          schema: 1,
          publishedAt: "2026-11-24T09:00:00.000Z",
          policy: {
            protectedGroupIds: [tier0, executives].sort(),
            target: { mobilePhone: "profile", officePhone: "profile", alternateEmail: "profile" },
            mode: "fillEmpty",
            syncedMobile: "skip",
          },
        },
      });
    });
  });
}
