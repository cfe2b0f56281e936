import type {
  AuthMethods,
  AuthMethodWrite,
  BulkDirectory,
  Directory,
  EmailMethod,
  PhoneMethod,
  PhoneType,
  Privilege,
  ProfilePatch,
  ProfileUpdate,
  UserContactState,
  UserRef,
} from "../../shared/directory/directory.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { emailMethodId, phoneMethodIds } from "../../shared/graph/graphAuthMethods.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";
import { sendMethodWrite } from "../../shared/sync/oneUserDirectory.js";

/** A Directory method, as the double counts calls and injects faults by name. */
export type DirectoryOperation = keyof Directory;

/** The operations that only read. */
const readOperations: ReadonlySet<DirectoryOperation> = new Set([
  "findUser",
  "privilegeOf",
  "listAuthMethods",
  "verifiedDomains",
]);

export interface DirectoryCall {
  operation: DirectoryOperation;
  userId?: string;
}

/** A user to seed: their contact state, and optionally the authentication methods they registered. */
export type SeedUser = UserContactState & { methods?: Partial<AuthMethods>; privilege?: Privilege };

type Hook = () => void | Promise<void>;

/**
 * A Graph error as GraphDirectory would throw it for this HTTP status (kind from the status: 503/504 transient,
 * 429 throttled, 403 forbidden, 404 notFound, …), so writeFailureOf reads it as it reads a real one.
 */
export function graphError(
  operation: DirectoryOperation,
  status: number,
  message?: string,
): GraphRequestError {
  return GraphRequestError.fromResponse(operation, {
    status,
    headers: {},
    body: { error: { code: `Http${status}`, ...(message ? { message } : {}) } },
  });
}

const notFound = (operation: DirectoryOperation) => graphError(operation, 404, "Resource does not exist.");

const guidKey = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Graph's format for a phone method's number: `+{country code} {number}x{extension}` (E.164, ≤ 15 digits). */
const phoneMethodFormat = /^\+(\d{1,3}) (\d{4,14})(?:x(\d{1,10}))?$/;
const emailMethodFormat = /^[\x21-\x7e]+@[\x21-\x7e]+\.[\x21-\x7e]+$/;
/** Graph's text for a property Entra Connect masters (a synced user's office phone). */
const onPremisesMastered =
  "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.";

/**
 * An in-memory Entra ID for the sync pipeline: users by id, UPN (both case-insensitive, as Graph resolves
 * `/users/{key}`) or employeeId; profile PATCHes and phone/email methods; every call counted. It keeps the rules
 * GraphDirectory meets on Graph (test/contracts/directoryContract.ts holds both to them): a write names its user by
 * object id and is refused for a privileged user; one office phone; a synced user's office phone is AD's; one
 * method per phone type and one email method, with Graph's fixed ids and number format. Errors are
 * GraphRequestErrors of the kinds GraphDirectory gives. A bulk call is its single calls, one by one, each slot its
 * answer or its error. Faults are one-shot: `failNext` before or after the call's change is applied (after = a
 * lost answer). The privilege picture itself is not modelled (`privilegePicture` is absent).
 */
export class MemoryDirectory implements Omit<BulkDirectory, "privilegePicture"> {
  /** Every call made, in order. */
  readonly calls: DirectoryCall[] = [];
  readonly #users = new Map<string, { state: UserContactState; methods: AuthMethods }>();
  readonly #privileges = new Map<string, Privilege>();
  #domains: Array<{ id: string; isVerified: boolean }> = [];
  #bypassDirSyncOverrides = false;
  readonly #before: Array<{ operation: DirectoryOperation; hook: Hook }> = [];
  readonly #after: Array<{ operation: DirectoryOperation; hook: Hook }> = [];

  constructor(users: Iterable<SeedUser> = []) {
    for (const user of users) this.add(user);
  }

  add({ methods, privilege, ...state }: SeedUser): this {
    if (privilege) this.#privileges.set(state.id.toLowerCase(), privilege);
    this.#users.set(state.id.toLowerCase(), {
      state: structuredClone(state),
      methods: { phoneMethods: [], emailMethods: [], otherMethods: [], ...structuredClone(methods ?? {}) },
    });
    return this;
  }

  /**
   * The tenant's BypassDirSyncOverrides (off unless a test turns it on, as in a new tenant): on, Entra Connect keeps
   * mastering synced users' mobile phones too, so a write of one is refused as AD-mastered.
   */
  withDirSyncOverridesBypassed(on = true): this {
    this.#bypassDirSyncOverrides = on;
    return this;
  }

  /** The tenant's domains, as GET /domains lists them (none unless a test sets them). */
  withDomains(domains: Array<{ id: string; isVerified: boolean }>): this {
    this.#domains = structuredClone(domains);
    return this;
  }

  /** The user's current contact state (a copy), or undefined. */
  user(id: string): UserContactState | undefined {
    return structuredClone(this.#users.get(id.toLowerCase())?.state);
  }

  /** The user's current authentication methods (a copy), or undefined. */
  methodsOf(id: string): AuthMethods | undefined {
    return structuredClone(this.#users.get(id.toLowerCase())?.methods);
  }

  /** The calls that change the directory. */
  writes(): DirectoryCall[] {
    return this.calls.filter((call) => !readOperations.has(call.operation));
  }

  /** Runs `hook` at the start of the next `operation` call; if it throws, the call fails with nothing applied. */
  beforeNext(operation: DirectoryOperation, hook: Hook): this {
    this.#before.push({ operation, hook });
    return this;
  }

  /** Runs `hook` once the next `operation` call has applied its change; if it throws, the answer is lost. */
  afterNext(operation: DirectoryOperation, hook: Hook): this {
    this.#after.push({ operation, hook });
    return this;
  }

  /** Fails the next `operation` call with `error`: before it changes anything, or after (a lost answer). */
  failNext(operation: DirectoryOperation, error: unknown, options: { afterApplying?: boolean } = {}): this {
    const hook = () => {
      throw error;
    };
    return options.afterApplying ? this.afterNext(operation, hook) : this.beforeNext(operation, hook);
  }

  async findUser(ref: UserRef): Promise<UserContactState | undefined> {
    return this.#call("findUser", undefined, () => {
      const key = nonEmpty(ref.id) ?? nonEmpty(ref.userPrincipalName);
      if (key) {
        const wanted = key.toLowerCase();
        return this.#all().find(
          (user) => user.id.toLowerCase() === wanted || user.userPrincipalName.toLowerCase() === wanted,
        );
      }
      const employeeId = nonEmpty(ref.employeeId)?.toLowerCase();
      if (!employeeId) {
        throw new GraphRequestError(
          "findUser failed: the user reference has no id, userPrincipalName or employeeId",
          { kind: DirectoryErrorKind.invalidRequest, statusCode: 0 },
        );
      }
      const matches = this.#all().filter((user) => user.employeeId?.toLowerCase() === employeeId);
      if (matches.length > 1) {
        throw new GraphRequestError("findUser failed: the user reference matches more than one user", {
          kind: DirectoryErrorKind.ambiguous,
          statusCode: 200,
        });
      }
      return matches[0];
    });
  }

  async updateProfile(userId: string, patch: ProfilePatch): Promise<void> {
    // As GraphDirectory: an empty patch sends nothing.
    if (Object.keys(patch).length === 0) return;
    return this.#call("updateProfile", userId, () => {
      const { state } = this.#writable("updateProfile", userId);
      if (patch.businessPhones !== undefined && patch.businessPhones.length > 1) {
        throw graphError(
          "updateProfile",
          400,
          "Invalid value specified for property 'businessPhones' of resource 'User'.",
        );
      }
      // Entra Connect masters a synced user's office phone; the mobile phone an admin may override, unless the
      // tenant's BypassDirSyncOverrides lets AD keep it.
      const adMastered =
        patch.businessPhones !== undefined ||
        (patch.mobilePhone !== undefined && this.#bypassDirSyncOverrides);
      if (state.onPremisesSyncEnabled === true && adMastered) {
        throw graphError("updateProfile", 400, onPremisesMastered);
      }
      if (patch.mobilePhone !== undefined) state.mobilePhone = patch.mobilePhone;
      if (patch.businessPhones !== undefined) state.businessPhones = [...patch.businessPhones];
      if (patch.otherMails !== undefined) state.otherMails = [...patch.otherMails];
    });
  }

  async privilegeOf(userId: string): Promise<Privilege> {
    return this.#call(
      "privilegeOf",
      userId,
      () => this.#privileges.get(userId.toLowerCase()) ?? { privileged: false },
    );
  }

  async listAuthMethods(userId: string): Promise<AuthMethods> {
    return this.#call("listAuthMethods", userId, () => this.#existing("listAuthMethods", userId).methods);
  }

  async addPhoneMethod(userId: string, phoneNumber: string, phoneType: PhoneType): Promise<PhoneMethod> {
    return this.#call("addPhoneMethod", userId, () => {
      const { methods } = this.#writable("addPhoneMethod", userId);
      checkPhoneNumber("addPhoneMethod", phoneNumber);
      if (methods.phoneMethods.some((method) => method.phoneType === phoneType)) {
        throw graphError("addPhoneMethod", 400, `a ${phoneType} phone method is already registered`);
      }
      const method = { id: phoneMethodIds[phoneType], phoneNumber, phoneType };
      methods.phoneMethods.push(method);
      return method;
    });
  }

  async updatePhoneMethod(userId: string, methodId: string, phoneNumber: string): Promise<void> {
    return this.#call("updatePhoneMethod", userId, () => {
      const method = this.#writable("updatePhoneMethod", userId).methods.phoneMethods.find(
        (m) => m.id.toLowerCase() === methodId.toLowerCase(),
      );
      if (!method) throw notFound("updatePhoneMethod");
      checkPhoneNumber("updatePhoneMethod", phoneNumber);
      method.phoneNumber = phoneNumber;
    });
  }

  async addEmailMethod(userId: string, emailAddress: string): Promise<EmailMethod> {
    return this.#call("addEmailMethod", userId, () => {
      const { methods } = this.#writable("addEmailMethod", userId);
      checkEmailAddress("addEmailMethod", emailAddress);
      if (methods.emailMethods.length > 0) {
        throw graphError("addEmailMethod", 400, "an email method is already registered");
      }
      const method = { id: emailMethodId, emailAddress };
      methods.emailMethods.push(method);
      return method;
    });
  }

  async updateEmailMethod(userId: string, methodId: string, emailAddress: string): Promise<void> {
    return this.#call("updateEmailMethod", userId, () => {
      const method = this.#writable("updateEmailMethod", userId).methods.emailMethods.find(
        (m) => m.id.toLowerCase() === methodId.toLowerCase(),
      );
      if (!method) throw notFound("updateEmailMethod");
      checkEmailAddress("updateEmailMethod", emailAddress);
      method.emailAddress = emailAddress;
    });
  }

  async verifiedDomains(): Promise<string[]> {
    return this.#call("verifiedDomains", undefined, () =>
      this.#domains.filter((domain) => domain.isVerified).map((domain) => domain.id.toLowerCase()),
    );
  }

  /** `findUser` for each ref, in input order; a failed one is the error in its slot. */
  findUsers(refs: UserRef[]): Promise<Array<UserContactState | undefined | Error>> {
    return eachOf(refs, (ref) => this.findUser(ref));
  }

  /** `updateProfile` for each item, in input order. */
  updateProfiles(items: ProfileUpdate[]): Promise<Array<undefined | Error>> {
    return eachOf(items, async ({ userId, patch }) => {
      await this.updateProfile(userId, patch);
      return undefined;
    });
  }

  /** `listAuthMethods` for each user, in input order. */
  listAuthMethodsOf(userIds: readonly string[]): Promise<Array<AuthMethods | Error>> {
    return eachOf(userIds, (userId) => this.listAuthMethods(userId));
  }

  /** Each method write as its single call, in input order. */
  writeAuthMethods(writes: readonly AuthMethodWrite[]): Promise<Array<undefined | Error>> {
    return eachOf(writes, async (write) => {
      await sendMethodWrite(this, write);
      return undefined;
    });
  }

  /** `privilegeOf` for each user, in input order. */
  privilegeOfMany(userIds: readonly string[]): Promise<Array<Privilege | Error>> {
    return eachOf(userIds, (userId) => this.privilegeOf(userId));
  }

  /** Counts the call, runs its one-shot hooks around `apply`, and answers with a copy. */
  async #call<T>(operation: DirectoryOperation, userId: string | undefined, apply: () => T): Promise<T> {
    this.calls.push({ operation, ...(userId === undefined ? {} : { userId }) });
    await takeHook(this.#before, operation)?.();
    const result = apply();
    await takeHook(this.#after, operation)?.();
    return structuredClone(result);
  }

  #existing(
    operation: DirectoryOperation,
    userId: string,
  ): { state: UserContactState; methods: AuthMethods } {
    const user = this.#users.get(userId.toLowerCase());
    if (!user) throw notFound(operation);
    return user;
  }

  /**
   * The user a write may go to, refused as GraphDirectory refuses it before it reaches Graph: a user named by
   * anything but object id (the privilege check knows ids), a privileged user; then Graph's 404 for nobody.
   */
  #writable(
    operation: DirectoryOperation,
    userId: string,
  ): { state: UserContactState; methods: AuthMethods } {
    if (!guidKey.test(userId)) {
      throw new GraphRequestError(
        "write not sent: a write must name its user by object id, which the privilege check knows",
        { kind: DirectoryErrorKind.invalidRequest, statusCode: 0 },
      );
    }
    const privilege = this.#privileges.get(userId.toLowerCase());
    if (privilege?.privileged) {
      throw new GraphRequestError(
        `write not sent: the user is privileged (${privilege.via}: ${privilege.detail})`,
        { kind: DirectoryErrorKind.privilegedTarget, statusCode: 0 },
      );
    }
    return this.#existing(operation, userId);
  }

  #all(): UserContactState[] {
    return [...this.#users.values()].map((user) => user.state);
  }
}

function takeHook(
  hooks: Array<{ operation: DirectoryOperation; hook: Hook }>,
  operation: DirectoryOperation,
) {
  const index = hooks.findIndex((entry) => entry.operation === operation);
  return index < 0 ? undefined : hooks.splice(index, 1)[0]?.hook;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Runs `one` for each item in turn; a rejection is kept as the Error in its slot, so one bad item spares the rest. */
async function eachOf<T, R>(items: readonly T[], one: (item: T) => Promise<R>): Promise<Array<R | Error>> {
  const out: Array<R | Error> = [];
  for (const item of items) {
    out.push(await one(item).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
  }
  return out;
}

function checkPhoneNumber(operation: DirectoryOperation, phoneNumber: string): void {
  const match = phoneMethodFormat.exec(phoneNumber);
  if (!match || (match[1] ?? "").length + (match[2] ?? "").length > 15) {
    throw graphError(
      operation,
      400,
      "Invalid phone number. Expected format: +{country code} {number}x{extension}, e.g. +1 4255550100.",
    );
  }
}

function checkEmailAddress(operation: DirectoryOperation, emailAddress: string): void {
  if (emailAddress.length > 254 || !emailMethodFormat.test(emailAddress)) {
    throw graphError(operation, 400, "Invalid email address.");
  }
}
