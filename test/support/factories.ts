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

/** A ContactEvent as a sender would post it: the keys every test reads, and whatever else a test adds. */
export type EventInput = {
  eventId: string;
  source: string;
  occurredAt: string;
  user: Record<string, unknown>;
  contact: Record<string, unknown>;
} & Record<string, unknown>;

let sequence = 0;

/**
 * A valid ContactEvent input, overridable key by key (`user` and `contact` are replaced whole): a fresh eventId
 * (unique across runs, since shared Azurite keeps webhook receipts), a new employeeId and a fictional NANP mobile.
 */
export function anEvent(overrides: Record<string, unknown> = {}): EventInput {
  sequence += 1;
  return {
    eventId: `test-${process.pid}-${Date.now().toString(36)}-${sequence}`,
    source: "test",
    occurredAt: "2026-11-24T09:00:00Z",
    user: { employeeId: `E${sequence}` },
    country: "US",
    contact: { mobilePhone: "(425) 555-0147" },
    ...overrides,
  };
}

/**
 * An event for `user` (only its identifiers: a seed user carries more than an event may name) asking for `contact`;
 * each one a second later than the last, so events made later are newer.
 */
export function eventFor(
  user: { userPrincipalName?: string; employeeId?: string; id?: string },
  contact: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): EventInput {
  const ref = Object.fromEntries(
    (["id", "userPrincipalName", "employeeId"] as const)
      .filter((key) => user[key])
      .map((key) => [key, user[key]]),
  );
  const event = anEvent({ user: ref, contact });
  return {
    ...event,
    occurredAt: new Date(Date.UTC(2026, 10, 24, 9, 0, sequence)).toISOString(),
    ...overrides,
  };
}
