// directory/: the Entra port — what the pipeline asks of the directory, user references and directory failures.

import type { PrivilegePicture } from "./privilegePicture.js";

/**
 * The narrow view of Entra ID that the sync pipeline needs. The Graph adapter implements it against
 * Microsoft Graph (or the emulated tenant); the pure planner only reads these types.
 */

/** How an event names its user: any one of these identifies them. */
export interface UserRef {
  id?: string;
  userPrincipalName?: string;
  employeeId?: string;
}

/** The contact-relevant state of one user, read with a single `$select`. */
export interface UserContactState {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  otherMails: string[];
  /** true = synced from on-premises AD; false = was synced, no longer; null = never (cloud-only). */
  onPremisesSyncEnabled: boolean | null;
  employeeId: string | null;
  /** When the account was created in Entra ID (for synced users: first synced); null when Graph has none. */
  createdDateTime: string | null;
  /**
   * Read only by the readiness report's listing (absent elsewhere): whether the account can sign in, `Member` or
   * `Guest`, and the department and country the report groups by (`usageLocation` is the ISO code, `country`
   * free text).
   */
  accountEnabled?: boolean | null;
  userType?: string | null;
  department?: string | null;
  country?: string | null;
  usageLocation?: string | null;
}

/** SSPR-relevant phone method types. `alternateMobile` exists in Graph but SSPR cannot use it. */
export type PhoneType = "mobile" | "alternateMobile" | "office";

export interface PhoneMethod {
  id: string;
  phoneNumber: string;
  phoneType: PhoneType;
}

export interface EmailMethod {
  id: string;
  emailAddress: string;
}

/**
 * A registered method of a kind the app never writes (Microsoft Authenticator, FIDO2/passkey, Windows Hello, OATH,
 * Temporary Access Pass, platform credential, …; see `authMethodKind.ts`). Only its existence matters: it makes
 * the user's methods their own. `id` is absent when it came from the registration report, which names kinds only.
 */
export interface OtherMethod {
  kind: string;
  id?: string;
}

/** Every method the user registered, the password aside (nobody registers it: every account has one). */
export interface AuthMethods {
  phoneMethods: PhoneMethod[];
  emailMethods: EmailMethod[];
  otherMethods: OtherMethod[];
}

/** Profile properties written in one PATCH; only the ones that change are present. */
export interface ProfilePatch {
  mobilePhone?: string | null;
  businessPhones?: string[];
  otherMails?: string[];
}

/**
 * Whether a user is a privileged account, whose contact data this app never writes: recovery contact data is a
 * credential, and an admin's phone and email are the gates of the admin SSPR policy. `detail` names the role or
 * group (display name, or its id when Graph does not give the name), never personal data.
 */
export type Privilege =
  | { privileged: false }
  | {
      privileged: true;
      /**
       * An active or PIM-eligible directory role (directly or through a role-assignable group, any scope); owner,
       * PIM-eligible member or owner, or member of a role-assignable group; or a protected group's member or owner.
       */
      via:
        | "activeRole"
        | "eligibleRole"
        | "roleGroupOwner"
        | "roleGroupEligible"
        | "roleGroupMember"
        | "protectedGroup";
      detail: string;
    };

/** Directory operations; each method is at most one Graph request unless its doc says otherwise. */
export interface Directory {
  /** Resolves a user by id, UPN or employeeId and reads their contact state in one request; undefined when absent. */
  findUser(ref: UserRef): Promise<UserContactState | undefined>;
  /** PATCHes the given profile properties (one write). */
  updateProfile(userId: string, patch: ProfilePatch): Promise<void>;
  /** Lists every authentication method the user registered (one request, GET …/authentication/methods). */
  listAuthMethods(userId: string): Promise<AuthMethods>;
  addPhoneMethod(userId: string, phoneNumber: string, phoneType: PhoneType): Promise<PhoneMethod>;
  updatePhoneMethod(userId: string, methodId: string, phoneNumber: string): Promise<void>;
  addEmailMethod(userId: string, emailAddress: string): Promise<EmailMethod>;
  updateEmailMethod(userId: string, methodId: string, emailAddress: string): Promise<void>;
  /**
   * Whether the user is privileged (see `privilegePictureOf` for what counts), looked up in a tenant-wide picture
   * of privileged principals no older than the adapter's bound (seconds, not minutes): fresh reads, shared by the
   * users checked while it is fresh. Throws when the answer cannot be known (fail closed): kind `missingPermission`
   * (naming it) when Graph refuses a read for want of a permission, otherwise transient.
   */
  privilegeOf(userId: string): Promise<Privilege>;
  /**
   * The names of the tenant's verified domains, lower-case (GET /domains, those with `isVerified`): an alternate
   * email in one of them, or a subdomain, is inside the organization. The adapter reads them once and keeps
   * them for the process (at most an hour); throws kind `missingPermission` naming Domain.Read.All when refused.
   */
  verifiedDomains(): Promise<string[]>;
}

/** One user's profile change in a bulk update. */
export interface ProfileUpdate {
  userId: string;
  patch: ProfilePatch;
}

/**
 * The tenant's own verdict on a user's sign-in and recovery methods (Graph's userRegistrationDetails report): what
 * they registered (`methodsRegistered`, Graph's names: mobilePhone, alternateMobilePhone, officePhone, email, …) and
 * whether SSPR is enabled for, registered and usable by them. Updated by Entra periodically (`lastUpdatedDateTime`).
 */
export interface RegistrationDetail {
  userId: string;
  userPrincipalName: string | null;
  methodsRegistered: string[];
  isSsprEnabled: boolean;
  isSsprRegistered: boolean;
  isSsprCapable: boolean;
  isMfaRegistered: boolean;
  isAdmin: boolean;
  lastUpdatedDateTime: string | null;
}

/** One authentication-method write of a bulk `writeAuthMethods` call. */
export type AuthMethodWrite =
  | { userId: string; kind: "addPhone"; phoneType: PhoneType; phoneNumber: string }
  | { userId: string; kind: "updatePhone"; methodId: string; phoneNumber: string }
  | { userId: string; kind: "addEmail"; emailAddress: string }
  | { userId: string; kind: "updateEmail"; methodId: string; emailAddress: string };

/**
 * Bulk variants for backfills, sent as JSON batches. Results come in input order; a failed item is an Error
 * value in its slot, so one bad user does not fail the rest.
 */
export interface BulkDirectory extends Directory {
  /** Like `findUser` for many refs: state, undefined when absent, or the error for that ref. */
  findUsers(refs: UserRef[]): Promise<Array<UserContactState | undefined | Error>>;
  /** Like `updateProfile` for many users: undefined on success, or the error for that user. */
  updateProfiles(items: ProfileUpdate[]): Promise<Array<undefined | Error>>;
  /** Like `listAuthMethods` for many users: their methods, or the error for that user. */
  listAuthMethodsOf(userIds: readonly string[]): Promise<Array<AuthMethods | Error>>;
  /** Method writes for many users: undefined on success, or the error for that write. */
  writeAuthMethods(writes: readonly AuthMethodWrite[]): Promise<Array<undefined | Error>>;
  /**
   * Like `privilegeOf` for many users, from the same picture (its cost does not grow with the users). A user whose
   * answer cannot be known gets the error in their slot (fail closed: treat it as "do not write").
   */
  privilegeOfMany(userIds: readonly string[]): Promise<Array<Privilege | Error>>;
  /** The picture itself, no older than the adapter's bound: who is privileged and whether the tenant has PIM. */
  privilegePicture(): Promise<PrivilegePicture>;
}
