import { describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { policyFrom } from "../../shared/app/ruleOptions.js";
import type { ContactMode, TargetPolicy } from "../../shared/contact/contactFields.js";
import { narrowPolicy } from "../../shared/sync/narrowPolicy.js";
import type { DesiredContact } from "../../shared/sync/syncPlanner.js";

/** The policy a deployment runs with, from its app settings, exactly as the app reads them. */
const deployment = (target: string, mode: ContactMode = "fillEmpty") =>
  policyFrom(loadSettings({ CONTACT_TARGET: target, CONTACT_MODE: mode }));

const mobile: DesiredContact = { mobilePhone: "+1 4255550147" };
const office: DesiredContact = { officePhone: "+1 4255550100" };
const email: DesiredContact = { alternateEmail: "avery.l@example.com" };
const all: DesiredContact = { ...mobile, ...office, ...email };

const ask = (
  contact: DesiredContact,
  options: { target?: TargetPolicy; mode?: ContactMode; admin?: boolean } = {},
) => ({
  contact,
  callerIsAdmin: options.admin ?? true,
  ...(options.target ? { target: options.target } : {}),
  ...(options.mode ? { mode: options.mode } : {}),
});

describe("a request may narrow the deployment's target, never widen it", () => {
  it.each([
    // deployment CONTACT_TARGET, what the request writes, the target it asks for, the answer
    ["profile", all, "profile", "allowed"],
    ["profile", all, "methods", "target_not_allowed"],
    ["profile", all, "both", "target_not_allowed"],
    ["methods", all, "methods", "allowed"],
    ["methods", all, "profile", "target_not_allowed"],
    ["methods", all, "both", "target_not_allowed"],
    ["both", all, "profile", "allowed"],
    ["both", all, "methods", "allowed"],
    ["both", all, "both", "allowed"],
    ["mobilePhone=both,officePhone=profile", mobile, "methods", "allowed"],
    ["mobilePhone=both,officePhone=profile", mobile, "profile", "allowed"],
    ["mobilePhone=both,officePhone=profile", office, "methods", "target_not_allowed"],
    ["mobilePhone=both,officePhone=profile", { ...mobile, ...office }, "methods", "target_not_allowed"],
    ["mobilePhone=both,officePhone=profile", { ...mobile, ...office }, "profile", "allowed"],
    // alternateEmail is not named, so it stays profile.
    ["mobilePhone=both,officePhone=profile", email, "both", "target_not_allowed"],
    ["mobilePhone=methods", mobile, "profile", "target_not_allowed"],
    ["mobilePhone=methods", email, "profile", "allowed"],
  ] as const)("deployment %s, request writing %j with target %s → %s", (target, contact, asked, answer) => {
    const narrowed = narrowPolicy(deployment(target), ask(contact, { target: asked }));
    expect(narrowed.ok ? "allowed" : narrowed.refusal.code).toBe(answer);
  });

  it("applies the asked target to the fields the request writes and keeps the deployment's for the others", () => {
    const narrowed = narrowPolicy(
      deployment("mobilePhone=both,officePhone=methods"),
      ask(mobile, { target: "methods" }),
    );
    expect(narrowed).toMatchObject({
      ok: true,
      policy: { target: { mobilePhone: "methods", officePhone: "methods", alternateEmail: "profile" } },
    });
  });

  it("keeps the deployment's policy whole when the request names no target or mode", () => {
    const policy = deployment("mobilePhone=both,officePhone=profile");
    expect(narrowPolicy(policy, ask(all))).toEqual({ ok: true, policy });
  });

  it("says which field the deployment keeps narrower, what it allows there, and who may widen it", () => {
    const narrowed = narrowPolicy(
      deployment("mobilePhone=both,officePhone=profile"),
      ask(office, { target: "both" }),
    );
    expect(narrowed.ok).toBe(false);
    if (narrowed.ok) return;
    expect(narrowed.refusal).toMatchObject({ code: "target_not_allowed", field: "target" });
    expect(narrowed.refusal.message).toContain("officePhone");
    expect(narrowed.refusal.message).toContain("officePhone=profile");
    expect(narrowed.refusal.hint).toContain("officePhone: profile");
    expect(narrowed.refusal.hint).toContain("operator");
  });
});

describe("a request may narrow the deployment's mode, never widen it", () => {
  it.each([
    // deployment CONTACT_MODE, the mode the request asks for, whether the caller is an admin, the answer
    ["fillEmpty", undefined, true, "allowed:fillEmpty"],
    ["fillEmpty", "fillEmpty", true, "allowed:fillEmpty"],
    ["fillEmpty", "overwrite", true, "mode_not_allowed"],
    ["fillEmpty", "overwrite", false, "mode_not_allowed"],
    ["overwrite", "fillEmpty", true, "allowed:fillEmpty"],
    ["overwrite", "fillEmpty", false, "allowed:fillEmpty"],
    ["overwrite", "overwrite", true, "allowed:overwrite"],
    ["overwrite", undefined, true, "allowed:overwrite"],
    // Overwrite replaces a value the user may rely on to reset their password: admins only, even where allowed.
    ["overwrite", "overwrite", false, "overwrite_needs_admin"],
    ["overwrite", undefined, false, "overwrite_needs_admin"],
  ] as const)("deployment %s, request mode %s, admin %s → %s", (mode, asked, admin, answer) => {
    const narrowed = narrowPolicy(
      deployment("profile", mode),
      ask(mobile, { admin, ...(asked ? { mode: asked } : {}) }),
    );
    expect(narrowed.ok ? `allowed:${narrowed.policy.mode}` : narrowed.refusal.code).toBe(answer);
  });

  it("refuses a wider mode with a message, a hint and the field, never silently narrowing it", () => {
    const narrowed = narrowPolicy(deployment("profile"), ask(mobile, { mode: "overwrite" }));
    expect(narrowed).toEqual({
      ok: false,
      refusal: {
        code: "mode_not_allowed",
        field: "mode",
        message: expect.stringContaining("CONTACT_MODE fillEmpty"),
        hint: expect.stringContaining("operator"),
      },
    });
  });

  it("leaves SYNCED_MOBILE to the deployment", () => {
    const policy = { ...deployment("both", "overwrite"), syncedMobile: "override" as const };
    const narrowed = narrowPolicy(policy, ask(mobile, { target: "profile", mode: "fillEmpty" }));
    expect(narrowed.ok && narrowed.policy.syncedMobile).toBe("override");
  });
});
