// graph/: the Microsoft Graph adapter — client, middlewares, $batch, paths, errors and the write budget.

import { appPermissions } from "../directory/appPermissions.js";
import type {
  AuthMethods,
  AuthMethodWrite,
  BulkDirectory,
  EmailMethod,
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
import { type PrivilegePicture, privilegeIn } from "../directory/privilegePicture.js";
import { callGraph } from "./callGraph.js";
import { findUserRequest, fromFindBody, toContactState } from "./findUserRequest.js";
import {
  emailMethodId,
  methodPermissions,
  phoneMethodIds,
  phoneTypeOfId,
  toAuthMethods,
  toEmailMethod,
  toMethodRequest,
  toPhoneMethod,
} from "./graphAuthMethods.js";
import { type BatchRequest, type BatchResponse, type GraphBatchOptions, graphBatch } from "./graphBatch.js";
import {
  createGraphClient,
  type GraphClient,
  type GraphConnectionOptions,
  type ThrottlePriority,
} from "./graphClient.js";
import { graphPages, nextLinkPath, valuesOf } from "./graphPages.js";
import { contactSelect, encodeSegment, reportUserSelect, userPath } from "./graphPaths.js";
import { asMissingPermission, GraphRequestError } from "./graphRequestError.js";
import { PrivilegePictureKeeper } from "./privilegePictureKeeper.js";
import { explainProfileRefusal } from "./profileWriteRefusal.js";
import { refusedWritesOf } from "./refusedWritesOf.js";
import { registrationDetailPages, registrationPermission } from "./registrationDetails.js";
import type { GrantedPermissions } from "./tokenGrants.js";
import type { WriteLimiter } from "./writeLimiter.js";

// Kept importable from here, where the adapter's callers (and the reliability scenarios) have always found them.

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
  private readonly stopSignal: AbortSignal | undefined;
  private readonly pictures: PrivilegePictureKeeper;
  private domains: { read: Promise<string[]>; at: number } | undefined;

  constructor(
    private readonly graph: GraphClient,
    private readonly limiter: WriteLimiter,
    private readonly batchOptions: GraphBatchOptions = {},
    privilege: PrivilegeOptions = {},
  ) {
    this.stopSignal = privilege.stopSignal;
    const pictureGraph = privilege.pictureGraph ?? graph;
    this.pictures = new PrivilegePictureKeeper(
      {
        batch: (requests) => graphBatch(pictureGraph, this.limiter, requests, this.batchOptions),
        nextPage: (nextLink, operation) =>
          callGraph(operation, () =>
            pictureGraph.client.api(nextLinkPath(graph.baseUrl, nextLink, operation)).get(),
          ),
      },
      {
        protectedGroupIds: new Set((privilege.protectedGroupIds ?? []).map((id) => id.toLowerCase())),
        maxAgeMs: privilege.privilegeMaxAgeMs ?? defaultPrivilegeMaxAgeMs,
        now: privilege.now ?? Date.now,
      },
    );
  }

  /** GET /users/{id|upn}?$select=… or GET /users?$filter=employeeId eq '…'&$select=…; undefined when absent. */
  async findUser(ref: UserRef): Promise<UserContactState | undefined> {
    const request = findUserRequest(ref);
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
      await callGraph("updateProfile", () => this.graph.client.api(userPath(userId)).patch(patch));
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
    const body = await callGraph(
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
    await callGraph(
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
    const body = await callGraph(
      "addEmailMethod",
      () => this.graph.client.api(`${userPath(userId)}/authentication/emailMethods`).post({ emailAddress }),
      methodPermissions.email,
    );
    return toEmailMethod(body) ?? { id: emailMethodId, emailAddress };
  }

  /** PATCH /users/{id}/authentication/emailMethods/{methodId}. */
  async updateEmailMethod(userId: string, methodId: string, emailAddress: string): Promise<void> {
    await callGraph(
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
        return { method: "GET", url: findUserRequest(ref).url, operation: "findUser" };
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
        return fromFindBody(findUserRequest(refs[i] ?? {}).byFilter, answer.body);
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

  /** The tenant-wide privilege picture, no older than `privilegeMaxAgeMs` (see `PrivilegePictureKeeper`). */
  privilegePicture(): Promise<PrivilegePicture> {
    return this.pictures.picture();
  }

  /** The write gate the pacing middleware asks right before a write goes out (see `refusedWritesOf`). */
  refusedWrites(userKeys: readonly string[]): Promise<Map<string, GraphRequestError>> {
    return refusedWritesOf(userKeys, this.stopSignal, (ids) => this.privilegeOfMany(ids));
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
    for await (const page of graphPages(this.graph, "/domains", "verifiedDomains", domainsPermission)) {
      for (const domain of page) {
        const { id, isVerified } = (domain ?? {}) as { id?: unknown; isVerified?: unknown };
        if (isVerified === true && typeof id === "string" && id.length > 0) names.push(id.toLowerCase());
      }
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
    const path = `/users?$select=${select}&$top=${top}`;
    for await (const page of graphPages(this.graph, path, "listUsers", appPermissions.readUsers.permission)) {
      yield page.map(toContactState);
    }
  }

  /**
   * The organization's display name (GET /organization?$select=displayName, one request); undefined when Graph
   * gives none. A 403 is kind `missingPermission` naming Organization.Read.All.
   */
  async organizationName(): Promise<string | undefined> {
    const body = await callGraph(
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
    const body = await callGraph(
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
   * The registration report, a page at a time (`registrationDetailPages`: `GET
   * /reports/authenticationMethods/userRegistrationDetails` with `$top=1000`, once without it if Graph refuses that,
   * then each `@odata.nextLink`). Needs AuditLog.Read.All (403 → missingPermission naming it) and Entra ID P1/P2.
   */
  listRegistrationDetails(
    options: { onFallback?: (note: string) => void } = {},
  ): AsyncGenerator<RegistrationDetail[]> {
    const pagesOf = (path: string) =>
      graphPages(this.graph, path, "listRegistrationDetails", registrationPermission);
    return registrationDetailPages(pagesOf, options.onFallback);
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
