import type {
  AuthMethods,
  Directory,
  EmailMethod,
  PhoneMethod,
  PhoneType,
  Privilege,
  ProfilePatch,
  UserContactState,
  UserRef,
} from "../../shared/directory/directory.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { GraphRequestError } from "../../shared/graph/graphRequestError.js";

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

/**
 * An in-memory Entra ID for the sync pipeline: users by id, UPN (both case-insensitive, as Graph resolves
 * `/users/{key}`) or employeeId; profile PATCHes and phone/email methods; every call counted. Errors are
 * GraphRequestErrors as GraphDirectory throws them (absent user on a write → 404; a second method of a type →
 * 400). Faults are one-shot: `failNext` before or after the call's change is applied (after = a lost answer).
 */
export class MemoryDirectory implements Directory {
  /** Every call made, in order. */
  readonly calls: DirectoryCall[] = [];
  readonly #users = new Map<string, { state: UserContactState; methods: AuthMethods }>();
  readonly #privileges = new Map<string, Privilege>();
  #domains: Array<{ id: string; isVerified: boolean }> = [];
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
    return this.#call("updateProfile", userId, () => {
      const { state } = this.#existing("updateProfile", userId);
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
      const { methods } = this.#existing("addPhoneMethod", userId);
      if (methods.phoneMethods.some((method) => method.phoneType === phoneType)) {
        throw graphError("addPhoneMethod", 400, `a ${phoneType} phone method is already registered`);
      }
      const method = { id: `${phoneType}-phone-method`, phoneNumber, phoneType };
      methods.phoneMethods.push(method);
      return method;
    });
  }

  async updatePhoneMethod(userId: string, methodId: string, phoneNumber: string): Promise<void> {
    return this.#call("updatePhoneMethod", userId, () => {
      const method = this.#existing("updatePhoneMethod", userId).methods.phoneMethods.find(
        (m) => m.id === methodId,
      );
      if (!method) throw notFound("updatePhoneMethod");
      method.phoneNumber = phoneNumber;
    });
  }

  async addEmailMethod(userId: string, emailAddress: string): Promise<EmailMethod> {
    return this.#call("addEmailMethod", userId, () => {
      const { methods } = this.#existing("addEmailMethod", userId);
      if (methods.emailMethods.length > 0) {
        throw graphError("addEmailMethod", 400, "an email method is already registered");
      }
      const method = { id: "email-method", emailAddress };
      methods.emailMethods.push(method);
      return method;
    });
  }

  async updateEmailMethod(userId: string, methodId: string, emailAddress: string): Promise<void> {
    return this.#call("updateEmailMethod", userId, () => {
      const method = this.#existing("updateEmailMethod", userId).methods.emailMethods.find(
        (m) => m.id === methodId,
      );
      if (!method) throw notFound("updateEmailMethod");
      method.emailAddress = emailAddress;
    });
  }

  async verifiedDomains(): Promise<string[]> {
    return this.#call("verifiedDomains", undefined, () =>
      this.#domains.filter((domain) => domain.isVerified).map((domain) => domain.id.toLowerCase()),
    );
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
