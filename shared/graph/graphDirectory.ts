// graph/: the Microsoft Graph adapter — client, middlewares, $batch, paths, errors and the write budget.

import { appPermissions } from "../directory/appPermissions.js";
import { isUserRegisteredKind, methodKindOfODataType } from "../directory/authMethodKind.js";
import type {
  AuthMethods,
  AuthMethodWrite,
  BulkDirectory,
  EmailMethod,
  OtherMethod,
  PhoneMethod,
  PhoneType,
  Privilege,
  ProfilePatch,
  ProfileUpdate,
  RegistrationDetail,
  UserContactState,
  UserRef,
} from "../directory/directory.js";
import { DirectoryErrorKind } from "../directory/directoryError.js";
import { type PrivilegePicture, privilegeIn, privilegePictureOf } from "../directory/privilegePicture.js";
import { type BatchRequest, type BatchResponse, type GraphBatchOptions, graphBatch } from "./graphBatch.js";
import {
  createGraphClient,
  type GraphClient,
  type GraphConnectionOptions,
  type ThrottlePriority,
} from "./graphClient.js";
import { contactSelect, encodeSegment, filterEq, userPath } from "./graphPaths.js";
import { readPrivilegeFacts } from "./graphPrivilege.js";
import { asMissingPermission, GraphRequestError } from "./graphRequestError.js";
import { explainProfileRefusal } from "./profileWriteRefusal.js";
import type { GrantedPermissions } from "./tokenGrants.js";
import type { WriteLimiter } from "./writeLimiter.js";

/** Fixed ids Graph gives the phone methods, one per type. */
export const phoneMethodIds = {
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  office: "e37fc753-ff3b-4958-9484-eaa9425c82bc",
} as const satisfies Record<PhoneType, string>;

/** Fixed id of the (single) email authentication method. */
export const emailMethodId = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f";

export interface GraphDirectoryOptions extends GraphConnectionOptions {
  /** The process-wide limiter; pass the same instance to every adapter in the process. */
  limiter: WriteLimiter;
  /** `x-ms-throttle-priority` for this adapter's requests (the backfill: `low`). */
  priority?: ThrottlePriority | undefined;
  batch?: GraphBatchOptions;
  /** Object ids of groups whose (transitive) members are privileged: never written (PROTECTED_GROUP_IDS). */
  protectedGroupIds?: readonly string[];
  /**
   * How old the privilege picture may be when a user is checked and when a write is sent (PRIVILEGE_MAX_AGE_SECONDS);
   * default 5 s. Every write to a user goes out only after that user was found unprivileged in a picture whose
   * reads began at most this long ago.
   */
  privilegeMaxAgeMs?: number;
  /** When aborted, writes not yet sent (waiting for budget) are dropped, not sent (the CLI's Ctrl-C). */
  stopSignal?: AbortSignal;
  /** Clock in ms (tests move it); default Date.now. */
  now?: () => number;
}

/** The adapter's privilege settings (see `GraphDirectoryOptions`). */
export interface PrivilegeOptions {
  /**
   * The client the privilege picture is read with: its reads go before the queue of reads waiting for resource
   * units, since every write waits on the picture. Default: the adapter's own client.
   */
  pictureGraph?: GraphClient;
  protectedGroupIds?: readonly string[];
  privilegeMaxAgeMs?: number;
  stopSignal?: AbortSignal | undefined;
  now?: () => number;
}

const defaultPrivilegeMaxAgeMs = 5_000;

/** A privilege picture being read or read, and when its reads began. */
interface PictureRead {
  read: Promise<PrivilegePicture>;
  at: number;
}
// A tenant without PIM is asked again this often (a P2 licence may be bought), and role names are re-read as often.
const editionMaxAgeMs = 3600_000;

/**
 * The narrowest application permission for each kind of method call, named when Graph answers 403 (it does not
 * protect admins' methods from the app, so a 403 there is a missing grant). Reading is one list of every method the
 * user registered (`/authentication/methods`), whose least privileged permission is the read-only
 * UserAuthenticationMethod.Read.All ("List methods"): an Authenticator or a passkey must be seen to be respected.
 * Writes keep the per-kind permissions; `UserAuthenticationMethod.ReadWrite.All` would cover them too, but it also
 * creates Temporary Access Passes and is never asked for.
 */
export const methodPermissions = {
  read: appPermissions.readAuthMethods.permission,
  phone: "UserAuthMethod-Phone.ReadWrite.All",
  email: "UserAuthMethod-Email.ReadWrite.All",
} as const;

/** The registration report's permission (application), named when Graph answers 403. */
export const registrationPermission = "AuditLog.Read.All";
const registrationSelect = [
  "id",
  "userPrincipalName",
  "methodsRegistered",
  "isSsprEnabled",
  "isSsprRegistered",
  "isSsprCapable",
  "isMfaRegistered",
  "isAdmin",
  "lastUpdatedDateTime",
].join(",");

/**
 * What the readiness report reads of each user besides the contact state: who can sign in, guests, and the
 * department and country it groups by. Same cost as the contact listing (a `$select` either way), more bytes.
 */
const reportUserSelect = [contactSelect, "accountEnabled", "department", "country", "usageLocation"].join(
  ",",
);

/** GET /organization's least privileged application permission (Graph's "List organization" page). */
const organizationPermission = "Organization.Read.All";

/** Graph page size for user listings: the maximum Graph allows. */
const maxPageSize = 999;

/** What GET /domains needs (least privileged, per Graph's "List domains" page). */
const domainsPermission = "Domain.Read.All";
// A domain verified while a worker runs is seen within the hour; reading the list per event would cost a Graph
// request per event for a list that changes a few times a year.
const domainsMaxAgeMs = 3600_000;

/**
 * The Directory on Microsoft Graph (or any Graph-compatible endpoint). Each single operation is one request;
 * the bulk ones go through `$batch`. Errors are `GraphRequestError`s with a `kind`.
 */
export class GraphDirectory implements BulkDirectory {
  private readonly protectedGroupIds: ReadonlySet<string>;
  private readonly privilegeMaxAgeMs: number;
  private readonly stopSignal: AbortSignal | undefined;
  private readonly now: () => number;
  private readonly pictureGraph: GraphClient;
  /** Role names by definition id, kept an hour (a custom role may be renamed); only roles granted are read. */
  private roleNames: { names: ReadonlyMap<string, string>; at: number } = { names: new Map(), at: 0 };
  /** When this process last learnt the tenant has no PIM (Graph's licence refusal); asked again after an hour. */
  private noPimSince: number | undefined;
  /** The newest picture read without a gap, and the one being read. */
  private picture: PictureRead | undefined;
  private nextPicture: PictureRead | undefined;
  private domains: { read: Promise<string[]>; at: number } | undefined;

  constructor(
    private readonly graph: GraphClient,
    private readonly limiter: WriteLimiter,
    private readonly batchOptions: GraphBatchOptions = {},
    privilege: PrivilegeOptions = {},
  ) {
    this.protectedGroupIds = new Set((privilege.protectedGroupIds ?? []).map((id) => id.toLowerCase()));
    this.privilegeMaxAgeMs = privilege.privilegeMaxAgeMs ?? defaultPrivilegeMaxAgeMs;
    this.stopSignal = privilege.stopSignal;
    this.now = privilege.now ?? Date.now;
    this.pictureGraph = privilege.pictureGraph ?? graph;
  }

  /** GET /users/{id|upn}?$select=… or GET /users?$filter=employeeId eq '…'&$select=…; undefined when absent. */
  async findUser(ref: UserRef): Promise<UserContactState | undefined> {
    const request = findRequest(ref);
    try {
      const body = await this.graph.client.api(request.url).get();
      return fromFindBody(request.byFilter, body);
    } catch (err) {
      const error = GraphRequestError.fromThrown("findUser", err);
      if (error.kind === DirectoryErrorKind.notFound) return undefined;
      // Graph protects no user from being read by an app holding the permission: a 403 here is a missing grant.
      throw asMissingPermission(error, appPermissions.readUsers.permission);
    }
  }

  /** PATCH /users/{id} with only the given properties; an empty patch sends nothing. */
  async updateProfile(userId: string, patch: ProfilePatch): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    try {
      await this.call("updateProfile", () => this.graph.client.api(userPath(userId)).patch(patch));
    } catch (err) {
      throw err instanceof GraphRequestError ? await this.explainRefusal(err, patch) : err;
    }
  }

  /** Every method the user registered: `GET /users/{id}/authentication/methods` (as a one-item `$batch`). */
  async listAuthMethods(userId: string): Promise<AuthMethods> {
    const [answer] = await this.listAuthMethodsOf([userId]);
    if (answer === undefined || answer instanceof GraphRequestError) {
      throw answer ?? GraphRequestError.fromThrown("listAuthMethods", new Error("no answer"));
    }
    return answer;
  }

  /** POST /users/{id}/authentication/phoneMethods (one per type; Graph refuses a second of the same type). */
  async addPhoneMethod(userId: string, phoneNumber: string, phoneType: PhoneType): Promise<PhoneMethod> {
    const body = await this.call(
      "addPhoneMethod",
      () =>
        this.graph.client
          .api(`${userPath(userId)}/authentication/phoneMethods`)
          .post({ phoneNumber, phoneType }),
      methodPermissions.phone,
    );
    return toPhoneMethod(body) ?? { id: phoneMethodIds[phoneType], phoneNumber, phoneType };
  }

  /** PATCH /users/{id}/authentication/phoneMethods/{methodId}. */
  async updatePhoneMethod(userId: string, methodId: string, phoneNumber: string): Promise<void> {
    const phoneType = phoneTypeOfId(methodId);
    await this.call(
      "updatePhoneMethod",
      () =>
        this.graph.client
          .api(`${userPath(userId)}/authentication/phoneMethods/${encodeSegment(methodId)}`)
          .patch(phoneType ? { phoneNumber, phoneType } : { phoneNumber }),
      methodPermissions.phone,
    );
  }

  /** POST /users/{id}/authentication/emailMethods (at most one per user). */
  async addEmailMethod(userId: string, emailAddress: string): Promise<EmailMethod> {
    const body = await this.call(
      "addEmailMethod",
      () => this.graph.client.api(`${userPath(userId)}/authentication/emailMethods`).post({ emailAddress }),
      methodPermissions.email,
    );
    return toEmailMethod(body) ?? { id: emailMethodId, emailAddress };
  }

  /** PATCH /users/{id}/authentication/emailMethods/{methodId}. */
  async updateEmailMethod(userId: string, methodId: string, emailAddress: string): Promise<void> {
    await this.call(
      "updateEmailMethod",
      () =>
        this.graph.client
          .api(`${userPath(userId)}/authentication/emailMethods/${encodeSegment(methodId)}`)
          .patch({ emailAddress }),
      methodPermissions.email,
    );
  }

  /** `findUser` for many refs through `$batch` (⌈n/20⌉ requests); results in input order. */
  async findUsers(refs: UserRef[]): Promise<Array<UserContactState | undefined | GraphRequestError>> {
    const requests: Array<BatchRequest | GraphRequestError> = refs.map((ref) => {
      try {
        return { method: "GET", url: findRequest(ref).url, operation: "findUser" };
      } catch (err) {
        return GraphRequestError.fromThrown("findUser", err);
      }
    });
    const answers = await this.batchOf(requests);
    return answers.map((answer, i) => {
      if (answer instanceof GraphRequestError) {
        if (answer.kind === DirectoryErrorKind.notFound) return undefined;
        return asMissingPermission(answer, appPermissions.readUsers.permission);
      }
      try {
        return fromFindBody(findRequest(refs[i] ?? {}).byFilter, answer.body);
      } catch (err) {
        return GraphRequestError.fromThrown("findUser", err);
      }
    });
  }

  /** `updateProfile` for many users through `$batch`; empty patches are skipped; results in input order. */
  async updateProfiles(items: ProfileUpdate[]): Promise<Array<undefined | GraphRequestError>> {
    const requests: Array<BatchRequest | undefined> = items.map(({ userId, patch }) =>
      Object.keys(patch).length === 0
        ? undefined
        : { method: "PATCH", url: userPath(userId), body: patch, operation: "updateProfile" },
    );
    const answers = await this.batchOf(requests);
    return Promise.all(
      answers.map((answer, i) =>
        answer instanceof GraphRequestError ? this.explainRefusal(answer, items[i]?.patch ?? {}) : undefined,
      ),
    );
  }

  /**
   * `listAuthMethods` for many users through `$batch` (one `GET …/authentication/methods` a user, ⌈n/20⌉
   * requests); results in input order. A 403 is kind `missingPermission` naming UserAuthenticationMethod.Read.All.
   * The narrow `/phoneMethods` and `/emailMethods` lists are not read: this one list holds them, with every other
   * kind the user registered.
   */
  async listAuthMethodsOf(userIds: readonly string[]): Promise<Array<AuthMethods | GraphRequestError>> {
    const answers = await this.batch(
      userIds.map((userId) => ({
        method: "GET" as const,
        url: `${userPath(userId)}/authentication/methods`,
        operation: "listAuthMethods",
      })),
    );
    return userIds.map((_, k) => {
      const answer = answers[k];
      if (answer === undefined || answer instanceof GraphRequestError) {
        return asMissingPermission(
          answer ?? GraphRequestError.fromThrown("listAuthMethods", new Error("no answer")),
          methodPermissions.read,
        );
      }
      return toAuthMethods(valuesOf(answer.body));
    });
  }

  /**
   * Authentication-method writes for many users through `$batch`, one item per write (the same POST or PATCH
   * as `addPhoneMethod` … `updateEmailMethod`); undefined on success, results in input order.
   */
  async writeAuthMethods(writes: readonly AuthMethodWrite[]): Promise<Array<undefined | GraphRequestError>> {
    const answers = await this.batch(writes.map(toMethodRequest));
    return answers.map((answer, k) => {
      if (!(answer instanceof GraphRequestError)) return undefined;
      const phone = writes[k]?.kind === "addPhone" || writes[k]?.kind === "updatePhone";
      return asMissingPermission(answer, phone ? methodPermissions.phone : methodPermissions.email);
    });
  }

  /** Whether the user is privileged, from a picture no older than `privilegeMaxAgeMs`; throws when unknown. */
  async privilegeOf(userId: string): Promise<Privilege> {
    const answer = privilegeIn(await this.privilegePicture(), userId);
    if (answer instanceof Error) throw answer;
    return answer;
  }

  /** `privilegeOf` for many users from one picture; a picture that can't be read fails every slot (fail closed). */
  async privilegeOfMany(userIds: readonly string[]): Promise<Array<Privilege | Error>> {
    try {
      const picture = await this.privilegePicture();
      return userIds.map((id) => privilegeIn(picture, id));
    } catch (err) {
      const error = GraphRequestError.fromThrown("privilegeOf", err);
      return userIds.map(() => error);
    }
  }

  /**
   * The tenant-wide privilege picture (`readPrivilegeFacts`), used while its reads began at most `privilegeMaxAgeMs`
   * ago and shared by concurrent callers (the next one is read in the background past half that age); a failed or
   * partial read is not kept. Throws when no read of it
   * answered usefully (a missing permission, an outage); partial gaps stay in the picture (fail closed per user).
   */
  privilegePicture(): Promise<PrivilegePicture> {
    const now = this.now();
    const fresh = (p: PictureRead | undefined) => p !== undefined && now - p.at <= this.privilegeMaxAgeMs;
    if (fresh(this.picture)) {
      // Past half its bound, the next picture is read in the background, so writes don't stop and wait for it.
      const current = this.picture as PictureRead;
      if (now - current.at > this.privilegeMaxAgeMs / 2 && !this.nextPicture) this.startPicture(now);
      return current.read;
    }
    if (!fresh(this.nextPicture)) this.startPicture(now);
    return (this.nextPicture as PictureRead).read;
  }

  /**
   * Starts a picture read; it becomes the current picture once it answers without a gap. A picture with a gap, or a
   * failed read, answers the callers already waiting for it (fail closed) and is never kept: the next call asks again.
   */
  private startPicture(now: number): void {
    const next: PictureRead = { read: this.readPicture(now), at: now };
    this.nextPicture = next;
    const settle = (keep: boolean) => {
      if (this.nextPicture === next) this.nextPicture = undefined;
      if (keep && (!this.picture || this.picture.at < next.at)) this.picture = next;
    };
    next.read.then(
      (picture) => settle(picture.gap === undefined),
      () => settle(false),
    );
  }

  private async readPicture(startedAt: number): Promise<PrivilegePicture> {
    const askPim = this.noPimSince === undefined || startedAt - this.noPimSince > editionMaxAgeMs;
    const namesFresh = startedAt - this.roleNames.at <= editionMaxAgeMs;
    const facts = await readPrivilegeFacts(
      {
        batch: (requests) => graphBatch(this.pictureGraph, this.limiter, requests, this.batchOptions),
        nextPage: (nextLink, operation) =>
          this.call(operation, () =>
            this.pictureGraph.client.api(this.relativeToBase(nextLink, operation)).get(),
          ),
      },
      {
        protectedGroupIds: this.protectedGroupIds,
        askPim,
        roleNames: namesFresh ? this.roleNames.names : new Map(),
      },
    );
    if (!facts.pim && askPim) this.noPimSince = startedAt;
    if (facts.pim) this.noPimSince = undefined;
    this.roleNames = { names: facts.roleNames, at: namesFresh ? this.roleNames.at : startedAt };
    const picture = privilegePictureOf(facts, new Date(startedAt));
    // Nothing at all could be read: say so as the error it is, rather than a picture that knows nobody.
    if (picture.gap && facts.roleGrants.length === 0 && facts.groups.size === 0) throw picture.gap;
    return picture;
  }

  /**
   * The moment-of-writing check the pacing middleware runs after a write's wait for budget, right before it is
   * sent: each target user is looked up in a picture no older than `privilegeMaxAgeMs`. Returns, per user that
   * must not be written, why: kind `privilegedTarget` (privileged now), the picture's error (unknown), or
   * `notSent` once the stop signal fired. Targets not named by object id are refused (the picture knows ids).
   */
  async refusedWrites(userKeys: readonly string[]): Promise<Map<string, GraphRequestError>> {
    const refused = new Map<string, GraphRequestError>();
    if (userKeys.length === 0) return refused;
    if (this.stopSignal?.aborted) {
      for (const key of userKeys) refused.set(key, notSent());
      return refused;
    }
    const answers = await this.privilegeOfMany(userKeys);
    userKeys.forEach((key, k) => {
      const answer = answers[k];
      if (!guidKey.test(key)) refused.set(key, notById());
      else if (answer instanceof Error)
        refused.set(key, GraphRequestError.fromThrown("privilegeOf (before writing)", answer));
      else if (answer?.privileged) refused.set(key, privilegedTarget(answer));
    });
    return refused;
  }

  /**
   * GET /domains (and its next pages), keeping the verified ones, lower-case; one read per process and hour,
   * shared by concurrent callers. A failed read is not kept, so the next call asks again.
   */
  verifiedDomains(): Promise<string[]> {
    const now = Date.now();
    if (this.domains && now - this.domains.at < domainsMaxAgeMs) return this.domains.read;
    const read = this.readVerifiedDomains();
    this.domains = { read, at: now };
    read.catch(() => {
      if (this.domains?.read === read) this.domains = undefined;
    });
    return read;
  }

  private async readVerifiedDomains(): Promise<string[]> {
    const names: string[] = [];
    let path: string | undefined = "/domains";
    while (path) {
      const current: string = path;
      const body = await this.call(
        "verifiedDomains",
        () => this.graph.client.api(current).get(),
        domainsPermission,
      );
      for (const domain of valuesOf(body)) {
        const { id, isVerified } = (domain ?? {}) as { id?: unknown; isVerified?: unknown };
        if (isVerified === true && typeof id === "string" && id.length > 0) names.push(id.toLowerCase());
      }
      const nextLink = (body as { "@odata.nextLink"?: unknown })["@odata.nextLink"];
      path = typeof nextLink === "string" ? this.relativeToBase(nextLink, "verifiedDomains") : undefined;
    }
    return names;
  }

  /**
   * Every user's contact state, a page at a time (GET /users?$select=…&$top=999, then `@odata.nextLink`
   * exactly as Graph returns it): one request per page. `report` also reads `accountEnabled`, `userType`,
   * `department`, `country` and `usageLocation`.
   */
  async *listUsers(
    pageSize = maxPageSize,
    properties: "contact" | "report" = "contact",
  ): AsyncGenerator<UserContactState[]> {
    const top = Math.min(maxPageSize, Math.max(1, Math.trunc(pageSize)));
    const select = properties === "report" ? reportUserSelect : contactSelect;
    let path: string | undefined = `/users?$select=${select}&$top=${top}`;
    while (path) {
      const current: string = path;
      const body = await this.call(
        "listUsers",
        () => this.graph.client.api(current).get(),
        appPermissions.readUsers.permission,
      );
      yield valuesOf(body).map(toContactState);
      const nextLink = (body as { "@odata.nextLink"?: unknown })["@odata.nextLink"];
      path = typeof nextLink === "string" ? this.relativeToBase(nextLink) : undefined;
    }
  }

  /**
   * The organization's display name (GET /organization?$select=displayName, one request); undefined when Graph
   * gives none. A 403 is kind `missingPermission` naming Organization.Read.All.
   */
  async organizationName(): Promise<string | undefined> {
    const body = await this.call(
      "organizationName",
      () => this.graph.client.api("/organization?$select=displayName").get(),
      organizationPermission,
    );
    const name = (valuesOf(body)[0] as { displayName?: unknown } | undefined)?.displayName;
    return typeof name === "string" && name.trim() !== "" ? name : undefined;
  }

  /**
   * The application permissions the identity's current token carries (its `roles` claim, read once per token),
   * or unknown for a token that can't be read; rejects when no token can be had.
   */
  grantedPermissions(): Promise<GrantedPermissions> {
    return this.graph.grants?.() ?? Promise.resolve({ known: false, reason: "no token reader" });
  }

  /**
   * GET /directory/onPremisesSynchronization: the tenant's Entra Connect feature flags, of which the app reads
   * `bypassDirSyncOverridesEnabled` (undefined when Graph doesn't say). A 403 is kind `missingPermission`.
   */
  async dirSyncFeatures(): Promise<{ bypassDirSyncOverridesEnabled: boolean | undefined }> {
    const body = await this.call(
      "dirSyncFeatures",
      () => this.graph.client.api("/directory/onPremisesSynchronization").get(),
      appPermissions.readDirSyncFeatures.permission,
    );
    // A collection with the tenant's one object, or (as some examples show) the object itself.
    const item = valuesOf(body)[0] ?? body;
    const features = (item as { features?: { bypassDirSyncOverridesEnabled?: unknown } } | undefined)
      ?.features;
    const bypass = features?.bypassDirSyncOverridesEnabled;
    return { bypassDirSyncOverridesEnabled: typeof bypass === "boolean" ? bypass : undefined };
  }

  /** Explains a 403 on a profile write by the identity's grants (see `explainProfileRefusal`). */
  private async explainRefusal(err: GraphRequestError, patch: ProfilePatch): Promise<GraphRequestError> {
    if (err.kind !== DirectoryErrorKind.forbidden) return err;
    const grants = await this.grantedPermissions().catch(() => undefined);
    return explainProfileRefusal(err, patch, grants);
  }

  /**
   * The registration report, a page at a time (`GET /reports/authenticationMethods/userRegistrationDetails` with
   * `$select` and `$top=1000`, then each `@odata.nextLink`). Needs AuditLog.Read.All (403 → missingPermission naming
   * it) and an Entra ID P1/P2 licence.
   */
  async *listRegistrationDetails(): AsyncGenerator<RegistrationDetail[]> {
    let path: string | undefined =
      `/reports/authenticationMethods/userRegistrationDetails?$select=${registrationSelect}&$top=1000`;
    while (path) {
      const current: string = path;
      const body = await this.call(
        "listRegistrationDetails",
        () => this.graph.client.api(current).get(),
        registrationPermission,
      );
      yield valuesOf(body).flatMap((item) => toRegistrationDetail(item) ?? []);
      const nextLink = (body as { "@odata.nextLink"?: unknown })["@odata.nextLink"];
      path =
        typeof nextLink === "string" ? this.relativeToBase(nextLink, "listRegistrationDetails") : undefined;
    }
  }

  /** Sends requests through `$batch` (≤ 20 each, per-item retry of 429/5xx); results in input order. */
  batch(requests: readonly BatchRequest[]): Promise<Array<BatchResponse | GraphRequestError>> {
    return graphBatch(this.graph, this.limiter, requests, this.batchOptions);
  }

  /** Batches the requests that exist; slots holding an error or nothing pass through unchanged. */
  private async batchOf<T extends GraphRequestError | undefined>(
    slots: Array<BatchRequest | T>,
  ): Promise<Array<BatchResponse | GraphRequestError | T>> {
    const positions: number[] = [];
    const requests: BatchRequest[] = [];
    slots.forEach((slot, i) => {
      if (slot !== undefined && !(slot instanceof GraphRequestError)) {
        positions.push(i);
        requests.push(slot);
      }
    });
    const answers = requests.length > 0 ? await this.batch(requests) : [];
    const out: Array<BatchResponse | GraphRequestError | T> = [...slots] as Array<BatchResponse | T>;
    positions.forEach((position, k) => {
      const answer = answers[k];
      if (answer) out[position] = answer;
    });
    return out;
  }

  /** Runs one request; a 403 on an operation with a known `permission` becomes kind `missingPermission`. */
  private async call<T>(operation: string, send: () => Promise<T>, permission?: string): Promise<T> {
    try {
      return await send();
    } catch (err) {
      const error = GraphRequestError.fromThrown(operation, err);
      throw permission ? asMissingPermission(error, permission) : error;
    }
  }

  /**
   * Turns `@odata.nextLink` into a path for the SDK, which only parses `https://` links itself. The link is
   * followed as given (query untouched); one pointing at another origin is refused, as it would get our token.
   */
  private relativeToBase(nextLink: string, operation = "listUsers"): string {
    const base = new URL(`${this.graph.baseUrl}/`);
    const link = new URL(nextLink, base);
    if (link.origin !== base.origin || !link.pathname.startsWith(base.pathname)) {
      throw new GraphRequestError(`${operation} failed: @odata.nextLink points outside GRAPH_BASE_URL`, {
        kind: DirectoryErrorKind.invalidRequest,
        statusCode: 0,
      });
    }
    return `/${link.pathname.slice(base.pathname.length)}${link.search}`;
  }
}

function toMethodRequest(write: AuthMethodWrite): BatchRequest {
  const base = `${userPath(write.userId)}/authentication`;
  switch (write.kind) {
    case "addPhone":
      return {
        method: "POST",
        url: `${base}/phoneMethods`,
        body: { phoneNumber: write.phoneNumber, phoneType: write.phoneType },
        operation: "addPhoneMethod",
      };
    case "updatePhone": {
      const phoneType = phoneTypeOfId(write.methodId);
      return {
        method: "PATCH",
        url: `${base}/phoneMethods/${encodeSegment(write.methodId)}`,
        body: phoneType ? { phoneNumber: write.phoneNumber, phoneType } : { phoneNumber: write.phoneNumber },
        operation: "updatePhoneMethod",
      };
    }
    case "addEmail":
      return {
        method: "POST",
        url: `${base}/emailMethods`,
        body: { emailAddress: write.emailAddress },
        operation: "addEmailMethod",
      };
    case "updateEmail":
      return {
        method: "PATCH",
        url: `${base}/emailMethods/${encodeSegment(write.methodId)}`,
        body: { emailAddress: write.emailAddress },
        operation: "updateEmailMethod",
      };
  }
}

/** Creates the Graph adapter sharing the given limiter; build one per process and reuse it. */
export function createGraphDirectory(options: GraphDirectoryOptions): GraphDirectory {
  // The client's pacing asks the directory, right before each write goes out, whether its targets may be written.
  let directory: GraphDirectory | undefined;
  const graph = createGraphClient({
    ...options,
    writeGate: (userKeys) => (directory as GraphDirectory).refusedWrites(userKeys),
  });
  directory = new GraphDirectory(graph, options.limiter, options.batch, {
    pictureGraph: createGraphClient({ ...options, readsFirst: true }),
    ...(options.protectedGroupIds ? { protectedGroupIds: options.protectedGroupIds } : {}),
    ...(options.privilegeMaxAgeMs !== undefined ? { privilegeMaxAgeMs: options.privilegeMaxAgeMs } : {}),
    ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return directory;
}

const guidKey = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function privilegedTarget(privilege: Extract<Privilege, { privileged: true }>): GraphRequestError {
  return new GraphRequestError(
    `write not sent: the user is privileged (${privilege.via}: ${privilege.detail})`,
    {
      kind: DirectoryErrorKind.privilegedTarget,
      statusCode: 0,
    },
  );
}

function notSent(): GraphRequestError {
  return new GraphRequestError(
    "write not sent: the run was stopped while it waited for Graph's write budget",
    {
      kind: DirectoryErrorKind.notSent,
      statusCode: 0,
    },
  );
}

function notById(): GraphRequestError {
  return new GraphRequestError(
    "write not sent: a write must name its user by object id, which the privilege check knows",
    {
      kind: DirectoryErrorKind.invalidRequest,
      statusCode: 0,
    },
  );
}

function findRequest(ref: UserRef): { url: string; byFilter: boolean } {
  const id = nonEmpty(ref.id);
  const upn = nonEmpty(ref.userPrincipalName);
  // A UPN with an apostrophe (o'brien@…) has no documented path form; Graph documents the filter, quotes doubled.
  if (!id && upn?.includes("'")) {
    return {
      url: `/users?$filter=${filterEq("userPrincipalName", upn)}&$select=${contactSelect}&$top=2`,
      byFilter: true,
    };
  }
  const key = id ?? upn;
  if (key) return { url: `${userPath(key)}?$select=${contactSelect}`, byFilter: false };
  const employeeId = nonEmpty(ref.employeeId);
  if (employeeId) {
    // $top=2 is enough to tell "one match" from "ambiguous" without reading more.
    return {
      url: `/users?$filter=${filterEq("employeeId", employeeId)}&$select=${contactSelect}&$top=2`,
      byFilter: true,
    };
  }
  throw new GraphRequestError(
    "findUser failed: the user reference has no id, userPrincipalName or employeeId",
    {
      kind: DirectoryErrorKind.invalidRequest,
      statusCode: 0,
    },
  );
}

function fromFindBody(byFilter: boolean, body: unknown): UserContactState | undefined {
  if (!byFilter) return toContactState(body);
  const values = valuesOf(body);
  if (values.length > 1) {
    throw new GraphRequestError("findUser failed: the user reference matches more than one user", {
      kind: DirectoryErrorKind.ambiguous,
      statusCode: 200,
    });
  }
  return values[0] === undefined ? undefined : toContactState(values[0]);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function valuesOf(body: unknown): unknown[] {
  const value = (body as { value?: unknown } | undefined)?.value;
  return Array.isArray(value) ? value : [];
}

function toContactState(raw: unknown): UserContactState {
  const user = (raw ?? {}) as Record<string, unknown>;
  if (typeof user.id !== "string" || typeof user.userPrincipalName !== "string") {
    throw new GraphRequestError("findUser failed: the user in the response has no id or userPrincipalName", {
      kind: DirectoryErrorKind.transient,
      statusCode: 200,
    });
  }
  const state: UserContactState = {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    mail: stringOrNull(user.mail),
    mobilePhone: stringOrNull(user.mobilePhone),
    businessPhones: strings(user.businessPhones),
    otherMails: strings(user.otherMails),
    onPremisesSyncEnabled:
      typeof user.onPremisesSyncEnabled === "boolean" ? user.onPremisesSyncEnabled : null,
    employeeId: stringOrNull(user.employeeId),
    createdDateTime: stringOrNull(user.createdDateTime),
  };
  // The report's properties, only when asked for: other reads keep the state they always had.
  if ("accountEnabled" in user)
    state.accountEnabled = typeof user.accountEnabled === "boolean" ? user.accountEnabled : null;
  for (const name of ["userType", "department", "country", "usageLocation"] as const) {
    if (name in user) state[name] = stringOrNull(user[name]);
  }
  return state;
}

function toRegistrationDetail(raw: unknown): RegistrationDetail | undefined {
  const item = (raw ?? {}) as Record<string, unknown>;
  if (typeof item.id !== "string") return undefined;
  const flag = (name: string) => item[name] === true;
  return {
    userId: item.id.toLowerCase(),
    userPrincipalName: typeof item.userPrincipalName === "string" ? item.userPrincipalName : null,
    methodsRegistered: Array.isArray(item.methodsRegistered)
      ? item.methodsRegistered.filter((m): m is string => typeof m === "string")
      : [],
    isSsprEnabled: flag("isSsprEnabled"),
    isSsprRegistered: flag("isSsprRegistered"),
    isSsprCapable: flag("isSsprCapable"),
    isMfaRegistered: flag("isMfaRegistered"),
    isAdmin: flag("isAdmin"),
    lastUpdatedDateTime: typeof item.lastUpdatedDateTime === "string" ? item.lastUpdatedDateTime : null,
  };
}

/**
 * Sorts the items of "List methods" by `@odata.type`: phone (phoneNumber, phoneType) and email (emailAddress)
 * methods as the planner reads them, the password left out (every account has one), every other kind by name. A
 * phone or email item without the properties the app reads still counts, as a method of its kind.
 */
function toAuthMethods(items: readonly unknown[]): AuthMethods {
  const methods: AuthMethods = { phoneMethods: [], emailMethods: [], otherMethods: [] };
  for (const item of items) {
    const kind = methodKindOfODataType((item as { "@odata.type"?: unknown } | null)?.["@odata.type"]);
    if (!isUserRegisteredKind(kind)) continue;
    const phone = kind === "phone" ? toPhoneMethod(item) : undefined;
    const email = kind === "email" ? toEmailMethod(item) : undefined;
    if (phone) methods.phoneMethods.push(phone);
    else if (email) methods.emailMethods.push(email);
    else methods.otherMethods.push(toOtherMethod(kind, item));
  }
  return methods;
}

function toOtherMethod(kind: string, raw: unknown): OtherMethod {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === "string" ? { kind, id } : { kind };
}

function toPhoneMethod(raw: unknown): PhoneMethod | undefined {
  const item = (raw ?? {}) as Record<string, unknown>;
  if (typeof item.id !== "string" || typeof item.phoneNumber !== "string") return undefined;
  const phoneType = isPhoneType(item.phoneType) ? item.phoneType : phoneTypeOfId(item.id);
  return phoneType ? { id: item.id, phoneNumber: item.phoneNumber, phoneType } : undefined;
}

function toEmailMethod(raw: unknown): EmailMethod | undefined {
  const item = (raw ?? {}) as Record<string, unknown>;
  if (typeof item.id !== "string" || typeof item.emailAddress !== "string") return undefined;
  return { id: item.id, emailAddress: item.emailAddress };
}

function isPhoneType(value: unknown): value is PhoneType {
  return value === "mobile" || value === "alternateMobile" || value === "office";
}

function phoneTypeOfId(id: string): PhoneType | undefined {
  const entry = Object.entries(phoneMethodIds).find(([, fixed]) => fixed === id.toLowerCase());
  return entry ? (entry[0] as PhoneType) : undefined;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
