import type { UserContactState, UserRef } from "../directory/directory.js";
import { DirectoryErrorKind } from "../directory/directoryError.js";
import { valuesOf } from "./graphPages.js";
import { contactSelect, filterEq, userPath } from "./graphPaths.js";
import { GraphRequestError } from "./graphRequestError.js";

/**
 * The one GET that finds a user by reference: `/users/{id|upn}?$select=…`, or a `$filter` on employeeId (or on a
 * UPN holding an apostrophe) with `$top=2`. Throws kind `invalidRequest` for a reference naming nobody.
 */
export function findUserRequest(ref: UserRef): { url: string; byFilter: boolean } {
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

/** The user a `findUserRequest` answer names: undefined for none, kind `ambiguous` for more than one. */
export function fromFindBody(byFilter: boolean, body: unknown): UserContactState | undefined {
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

/** A user as Graph answers it, read into the contact state (the report's properties only when present). */
export function toContactState(raw: unknown): UserContactState {
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

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
