import { readFileSync } from "node:fs";

/** Phone method types Graph knows, each with a fixed method id. */
export const phoneMethodIds = {
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  office: "e37fc753-ff3b-4958-9484-eaa9425c82bc",
} as const;
export type EmulatedPhoneType = keyof typeof phoneMethodIds;
export const emailMethodId = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f";
/** Every user has a password method; Graph lists it with this id. */
export const passwordMethodId = "28c10230-6103-485e-b985-444c60001490";

/** One user as written in a tenant file. Omitted properties are null (or empty collections). */
export interface SeedUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  mail?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[];
  otherMails?: string[];
  officeLocation?: string | null;
  preferredLanguage?: string | null;
  usageLocation?: string | null;
  employeeId?: string | null;
  accountEnabled?: boolean;
  createdDateTime?: string;
  /** A creation time relative to seeding (the demo tenant uses it so its new hires stay new). */
  createdDaysAgo?: number;
  /** true = synced from on-premises AD; false = was synced; null/absent = cloud-only. */
  onPremisesSyncEnabled?: boolean | null;
  /** Directory roles held, e.g. ["Global Administrator"]; any role makes the user privileged. */
  adminRoles?: string[];
  authentication?: {
    phoneMethods?: Array<{ phoneType: EmulatedPhoneType; phoneNumber: string }>;
    emailMethods?: Array<{ emailAddress: string }>;
  };
}

/** A tenant file: tenant-wide switches and the users. */
export interface TenantSeed {
  tenant?: {
    domain?: string;
    /** Free text for people reading the file. */
    description?: string;
    /** When true, AD keeps mastering synced users' mobile phones, so Graph refuses to override them. */
    bypassDirSyncOverridesEnabled?: boolean;
  };
  users: SeedUser[];
}

/** A user's live state inside the emulator. */
export interface EmulatedUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  department: string | null;
  mail: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  otherMails: string[];
  officeLocation: string | null;
  preferredLanguage: string | null;
  usageLocation: string | null;
  employeeId: string | null;
  accountEnabled: boolean;
  createdDateTime: string;
  onPremisesSyncEnabled: boolean | null;
  adminRoles: string[];
  phoneMethods: Partial<Record<EmulatedPhoneType, string>>;
  emailMethod: string | null;
}

const guidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The emulated directory: users, tenant switches, and an in-process way to read, change and reset them. */
export class EmulatedTenant {
  domain: string;
  bypassDirSyncOverridesEnabled: boolean;
  private users: EmulatedUser[] = [];

  constructor(private readonly seed: TenantSeed) {
    this.domain = seed.tenant?.domain ?? "contoso.example";
    this.bypassDirSyncOverridesEnabled = seed.tenant?.bypassDirSyncOverridesEnabled ?? false;
    this.reset();
  }

  /** Reads a tenant file (JSON) and builds the tenant. */
  static fromFile(path: string): EmulatedTenant {
    return new EmulatedTenant(JSON.parse(readFileSync(path, "utf8")) as TenantSeed);
  }

  /** Puts every user and switch back as seeded. */
  reset(): void {
    this.domain = this.seed.tenant?.domain ?? "contoso.example";
    this.bypassDirSyncOverridesEnabled = this.seed.tenant?.bypassDirSyncOverridesEnabled ?? false;
    this.users = [];
    for (const user of this.seed.users) this.addUser(user);
  }

  /** Adds a user (tests build tenants of any size this way). */
  addUser(seed: SeedUser): EmulatedUser {
    if (!guidText.test(seed.id)) throw new Error(`Seed user id must be a GUID: ${seed.id}`);
    if (this.find(seed.id) || this.find(seed.userPrincipalName)) {
      throw new Error(`Duplicate seed user: ${seed.id} / ${seed.userPrincipalName}`);
    }
    const phoneMethods: EmulatedUser["phoneMethods"] = {};
    for (const method of seed.authentication?.phoneMethods ?? [])
      phoneMethods[method.phoneType] = method.phoneNumber;
    const user: EmulatedUser = {
      id: seed.id.toLowerCase(),
      userPrincipalName: seed.userPrincipalName,
      displayName: seed.displayName ?? null,
      givenName: seed.givenName ?? null,
      surname: seed.surname ?? null,
      jobTitle: seed.jobTitle ?? null,
      department: seed.department ?? null,
      mail: seed.mail ?? null,
      mobilePhone: seed.mobilePhone ?? null,
      businessPhones: [...(seed.businessPhones ?? [])],
      otherMails: [...(seed.otherMails ?? [])],
      officeLocation: seed.officeLocation ?? null,
      preferredLanguage: seed.preferredLanguage ?? null,
      usageLocation: seed.usageLocation ?? null,
      employeeId: seed.employeeId ?? null,
      accountEnabled: seed.accountEnabled ?? true,
      // Without a date the account is as new as the seeding: tests and the demo stay "new hires" whatever the day.
      createdDateTime:
        seed.createdDateTime ??
        new Date(Date.now() - (seed.createdDaysAgo ?? 0) * 86_400_000)
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z"),
      onPremisesSyncEnabled: seed.onPremisesSyncEnabled ?? null,
      adminRoles: [...(seed.adminRoles ?? [])],
      phoneMethods,
      emailMethod: seed.authentication?.emailMethods?.[0]?.emailAddress ?? null,
    };
    this.users.push(user);
    return user;
  }

  /** The live user by object id or UPN (case-insensitive), as Graph resolves `/users/{key}`. */
  find(key: string): EmulatedUser | undefined {
    const wanted = key.toLowerCase();
    const byId = guidText.test(key);
    return this.users.find((u) => (byId ? u.id === wanted : u.userPrincipalName.toLowerCase() === wanted));
  }

  /** A copy of one user's state, for assertions; undefined when absent. */
  user(key: string): EmulatedUser | undefined {
    const user = this.find(key);
    return user ? structuredClone(user) : undefined;
  }

  /** The live users in directory order (the emulator's paging order). */
  all(): readonly EmulatedUser[] {
    return this.users;
  }

  /** Number of users; Graph sizes the resource-unit budget by it. */
  get size(): number {
    return this.users.length;
  }
}
