import { describe, expect, it } from "vitest";
import { sameTargetForAll } from "../../shared/contact/contactFields.js";
import type { ProtectionPolicy } from "../../shared/sync/deploymentPolicy.js";
import { stricterPolicy } from "../../shared/sync/stricterPolicy.js";

const tier0 = "3876bc5a-40b4-4d23-bd51-120c5746ec76";
const executives = "5d1c7a3e-0b5f-4f7e-9a61-2f4c1b0de901";

const aPolicy = (overrides: Partial<ProtectionPolicy> = {}): ProtectionPolicy => ({
  protectedGroupIds: [],
  target: sameTargetForAll("profile"),
  mode: "fillEmpty",
  syncedMobile: "skip",
  ...overrides,
});

describe("the stricter of this shell's policy and the deployment's", () => {
  it("protects the groups of both, whichever names them", () => {
    const result = stricterPolicy(
      aPolicy({ protectedGroupIds: [executives] }),
      aPolicy({ protectedGroupIds: [tier0.toUpperCase()] }),
    );
    expect(result).toMatchObject({
      ok: true,
      policy: { protectedGroupIds: [tier0, executives].sort() },
      narrowed: [{ part: "protectedGroupIds" }],
    });
  });

  it("narrows nothing when this shell already protects every group the deployment does", () => {
    const result = stricterPolicy(aPolicy({ protectedGroupIds: [tier0, executives] }), aPolicy());
    expect(result).toMatchObject({ ok: true, narrowed: [] });
  });

  it.each([
    // local, deployment, result, narrowed
    ["both", "profile", "profile", true],
    ["both", "methods", "methods", true],
    ["profile", "both", "profile", false],
    ["both", "both", "both", false],
  ] as const)(
    "writes a field the shell targets %s and the deployment %s to %s",
    (local, deployed, result, narrowed) => {
      const outcome = stricterPolicy(
        aPolicy({ target: sameTargetForAll(local) }),
        aPolicy({ target: sameTargetForAll(deployed) }),
      );
      expect(outcome).toMatchObject({ ok: true, policy: { target: sameTargetForAll(result) } });
      if (outcome.ok) expect(outcome.narrowed.some((n) => n.part === "target")).toBe(narrowed);
    },
  );

  it("has no stricter target for a field one writes to the profile and the other to methods", () => {
    const outcome = stricterPolicy(
      aPolicy({ target: { ...sameTargetForAll("profile"), alternateEmail: "methods" } }),
      aPolicy(),
    );
    expect(outcome).toEqual({
      ok: false,
      conflicts: [{ field: "alternateEmail", local: "methods", deployment: "profile" }],
    });
  });

  it.each([
    ["overwrite", "fillEmpty", "fillEmpty", true],
    ["fillEmpty", "overwrite", "fillEmpty", false],
    ["overwrite", "overwrite", "overwrite", false],
  ] as const)("runs mode %s against a deployment's %s as %s", (local, deployed, result, narrowed) => {
    const outcome = stricterPolicy(aPolicy({ mode: local }), aPolicy({ mode: deployed }));
    expect(outcome).toMatchObject({ ok: true, policy: { mode: result } });
    if (outcome.ok) expect(outcome.narrowed.some((n) => n.part === "mode")).toBe(narrowed);
  });

  it.each([
    ["override", "skip", "skip", true],
    ["skip", "override", "skip", false],
    ["override", "override", "override", false],
  ] as const)(
    "runs synced mobile %s against a deployment's %s as %s",
    (local, deployed, result, narrowed) => {
      const outcome = stricterPolicy(aPolicy({ syncedMobile: local }), aPolicy({ syncedMobile: deployed }));
      expect(outcome).toMatchObject({ ok: true, policy: { syncedMobile: result } });
      if (outcome.ok) expect(outcome.narrowed.some((n) => n.part === "syncedMobile")).toBe(narrowed);
    },
  );
});
