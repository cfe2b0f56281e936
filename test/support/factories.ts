import type { AuthMethods, UserContactState } from "../../shared/directory/directory.js";
import type { SyncPolicy } from "../../shared/sync/syncPlanner.js";

/** A cloud-only user with empty contact fields, overridable field by field. */
export function aUser(overrides: Partial<UserContactState> = {}): UserContactState {
  return {
    id: "6f1c2a40-0000-4000-8000-000000000001",
    userPrincipalName: "new.hire@contoso.example",
    mail: "new.hire@contoso.example",
    mobilePhone: null,
    businessPhones: [],
    otherMails: [],
    onPremisesSyncEnabled: null,
    employeeId: "E1",
    createdDateTime: new Date(Date.now() - 86_400_000).toISOString(),
    ...overrides,
  };
}

/** The default policy (profile target, fill empty only, skip synced mobiles), overridable. */
export function aPolicy(
  overrides: Partial<Omit<SyncPolicy, "target">> & {
    target?: SyncPolicy["target"][keyof SyncPolicy["target"]];
  } = {},
): SyncPolicy {
  const target = overrides.target ?? "profile";
  return {
    mode: overrides.mode ?? "fillEmpty",
    syncedMobile: overrides.syncedMobile ?? "skip",
    keepUserMethods: overrides.keepUserMethods ?? false,
    target: { mobilePhone: target, officePhone: target, alternateEmail: target },
  };
}

/** Authentication methods as Graph lists them. */
export function someMethods(overrides: Partial<AuthMethods> = {}): AuthMethods {
  return { phoneMethods: [], emailMethods: [], otherMethods: [], ...overrides };
}
