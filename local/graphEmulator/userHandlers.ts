import type { EmulatedTenant, EmulatedUser } from "./EmulatedTenant.js";
import {
  badRequest,
  type EmulatorResponse,
  insufficientPrivileges,
  json,
  noContent,
  resourceNotFound,
} from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";
import { pagedList } from "./pagedList.js";

type UserProperty = Exclude<
  keyof EmulatedUser,
  "adminRoles" | "eligibleRoles" | "scopedRoles" | "phoneMethods" | "emailMethod" | "otherMethods" | "sspr"
>;

const userProperties: readonly UserProperty[] = [
  "id",
  "userPrincipalName",
  "displayName",
  "givenName",
  "surname",
  "jobTitle",
  "department",
  "mail",
  "mobilePhone",
  "businessPhones",
  "otherMails",
  "officeLocation",
  "preferredLanguage",
  "usageLocation",
  "country",
  "employeeId",
  "accountEnabled",
  "userType",
  "createdDateTime",
  "onPremisesSyncEnabled",
];

/** What Graph v1.0 returns for a user when no `$select` is given (otherMails, employeeId… need `$select`). */
const defaultProperties: readonly UserProperty[] = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];

/** Properties the emulator lets `$filter` compare with `eq` without advanced query headers, as Graph does. */
const filterable: readonly UserProperty[] = ["employeeId", "userPrincipalName", "mail"];

const defaultPageSize = 100;
const maxPageSize = 999;

/** Graph's text when another service (Exchange, a former sync) is the property's authority. */
export const externallyMastered =
  "Unable to update the specified properties for objects that have originated within an external service.";

/** Exact Graph text for AD-mastered properties of a synced user. */
export const onPremisesMastered =
  "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.";

/** GET /users/{id|upn} with optional `$select`. */
export function getUser(ctx: HandlerContext, key: string): EmulatorResponse {
  const select = parseSelect(ctx.query.get("$select"));
  if ("error" in select) return select.error;
  const user = ctx.tenant.find(key);
  if (!user) return resourceNotFound(key);
  const context = `${ctx.baseUrl}/$metadata#users${select.explicit ? `(${select.properties.join(",")})` : ""}/$entity`;
  return json(200, { "@odata.context": context, ...project(user, select.properties) });
}

/** GET /users with `$select`, `$filter` (eq on employeeId/userPrincipalName/mail), `$top` and `$skiptoken` paging. */
export function listUsers(ctx: HandlerContext): EmulatorResponse {
  for (const option of ["$orderby", "$expand", "$search", "$count", "$skip"]) {
    if (ctx.query.has(option)) {
      return badRequest(
        `The emulator does not support the query option '${option}'.`,
        "Request_UnsupportedQuery",
      );
    }
  }
  const select = parseSelect(ctx.query.get("$select"));
  if ("error" in select) return select.error;
  const filterText = ctx.query.get("$filter");
  const filter = filterText === null ? undefined : parseFilter(filterText);
  if (filter && "error" in filter) return filter.error;
  const matches = ctx.tenant
    .all()
    .filter(
      (u) => !filter || (u[filter.property] ?? "").toString().toLowerCase() === filter.value.toLowerCase(),
    );
  return pagedList(ctx, {
    items: matches,
    size: { default: defaultPageSize, max: maxPageSize },
    context: `${ctx.baseUrl}/$metadata#users${select.explicit ? `(${select.properties.join(",")})` : ""}`,
    path: "users",
    carried: [
      select.explicit ? `$select=${select.properties.join(",")}` : undefined,
      filterText === null ? undefined : `$filter=${encodeURIComponent(filterText)}`,
    ],
    render: (u) => project(u, select.properties),
  });
}

interface PropertyRule {
  check: (value: unknown, tenant: EmulatedTenant, user: EmulatedUser) => boolean;
  /** Synced from AD: a synced user's value can't be changed in the cloud. */
  adMastered: boolean;
  /** Phone/mail property: on a privileged user the app also needs an admin role (403 here). */
  sensitive: boolean;
}

const text =
  (max: number, nullable = true) =>
  (v: unknown) =>
    (nullable && v === null) || (typeof v === "string" && v.length <= max && (nullable || v.length > 0));
const asciiEmail = /^[\x21-\x7e]+@[\x21-\x7e]+\.[\x21-\x7e]+$/;

const writable: Record<string, PropertyRule> = {
  displayName: { check: text(256, false), adMastered: true, sensitive: false },
  givenName: { check: text(64), adMastered: true, sensitive: false },
  surname: { check: text(64), adMastered: true, sensitive: false },
  jobTitle: { check: text(128), adMastered: true, sensitive: false },
  department: { check: text(64), adMastered: true, sensitive: false },
  officeLocation: { check: text(128), adMastered: true, sensitive: false },
  employeeId: { check: text(16), adMastered: true, sensitive: false },
  accountEnabled: { check: (v) => typeof v === "boolean", adMastered: true, sensitive: false },
  userPrincipalName: {
    check: (v, tenant, user) =>
      typeof v === "string" &&
      v.length <= 113 &&
      v.includes("@") &&
      (tenant.find(v)?.id ?? user.id) === user.id,
    adMastered: true,
    sensitive: false,
  },
  preferredLanguage: { check: text(10), adMastered: false, sensitive: false },
  usageLocation: {
    check: (v) => v === null || (typeof v === "string" && /^[A-Z]{2}$/.test(v)),
    adMastered: false,
    sensitive: false,
  },
  mail: {
    check: (v) => v === null || (typeof v === "string" && v.length <= 254 && asciiEmail.test(v)),
    adMastered: true,
    sensitive: true,
  },
  mobilePhone: { check: text(64), adMastered: true, sensitive: true },
  // Graph stores a collection but lets only one office number be set.
  businessPhones: {
    check: (v) =>
      Array.isArray(v) && v.length <= 1 && v.every((p) => typeof p === "string" && p.length <= 64),
    adMastered: true,
    sensitive: true,
  },
  // Up to 250 addresses of up to 250 characters, no accented characters; the PATCH replaces the whole list.
  otherMails: {
    check: (v) =>
      Array.isArray(v) &&
      v.length <= 250 &&
      v.every((m) => typeof m === "string" && m.length <= 250 && asciiEmail.test(m)),
    adMastered: false,
    sensitive: true,
  },
};

const readOnly = new Set(["id", "createdDateTime", "onPremisesSyncEnabled"]);

/**
 * PATCH /users/{id|upn}: 204 when every property is valid and allowed, otherwise nothing changes.
 * Checks in Graph's order: payload shape → authorization (privileged targets) → directory rules (AD-mastered); the
 * route table has checked the app's permissions for the properties set (the same 403: the caller can't tell).
 */
export function patchUser(ctx: HandlerContext, key: string): EmulatorResponse {
  const user = ctx.tenant.find(key);
  if (!user) return resourceNotFound(key);
  const body = ctx.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return badRequest("Empty Payload. JSON content expected.");
  }
  const changes = Object.entries(body as Record<string, unknown>).filter(
    ([name]) => !name.startsWith("@odata."),
  );
  for (const [name, value] of changes) {
    if (readOnly.has(name)) {
      return badRequest(`Property '${name}' is read-only and cannot be set.`, "Request_BadRequest");
    }
    const rule = writable[name];
    if (!rule) {
      return badRequest(
        `Property '${name}' does not exist as a declared property or extension property.`,
        "Request_BadRequest",
      );
    }
    if (!rule.check(value, ctx.tenant, user)) {
      return badRequest(
        `Invalid value specified for property '${name}' of resource 'User'.`,
        "Request_BadRequest",
      );
    }
  }
  // Graph protects holders of an active role (direct or through a group); a PIM-eligible admin is not protected.
  if (ctx.tenant.activeRolesOf(user).length > 0 && changes.some(([name]) => writable[name]?.sensitive)) {
    return insufficientPrivileges();
  }
  if (user.onPremisesSyncEnabled === true) {
    const blocked = changes.some(([name]) => {
      if (!writable[name]?.adMastered) return false;
      // An admin may override a synced user's mobile unless the tenant lets AD keep mastering it.
      return name !== "mobilePhone" || ctx.tenant.bypassDirSyncOverridesEnabled;
    });
    if (blocked) {
      const text = ctx.tenant.masteredMessage === "externalService" ? externallyMastered : onPremisesMastered;
      return badRequest(text, "Request_BadRequest");
    }
  }
  const record = user as unknown as Record<string, unknown>;
  for (const [name, value] of changes) {
    record[name] = Array.isArray(value) ? [...value] : value;
    ctx.stats.countWrite(user.id, name);
  }
  return noContent();
}

function parseSelect(
  raw: string | null,
): { properties: UserProperty[]; explicit: boolean } | { error: EmulatorResponse } {
  if (raw === null || raw.trim() === "") return { properties: [...defaultProperties], explicit: false };
  const properties: UserProperty[] = [];
  for (const name of raw.split(",").map((s) => s.trim())) {
    const property = userProperties.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!property) {
      return {
        error: badRequest(
          `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type 'microsoft.graph.user'.`,
        ),
      };
    }
    if (!properties.includes(property)) properties.push(property);
  }
  return { properties, explicit: true };
}

function parseFilter(raw: string): { property: UserProperty; value: string } | { error: EmulatorResponse } {
  const clause = /^\s*([A-Za-z]+)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(raw);
  const property = userProperties.find((p) => p.toLowerCase() === (clause?.[1] ?? "").toLowerCase());
  if (clause && property && filterable.includes(property)) {
    return { property, value: (clause[2] ?? "").replaceAll("''", "'") };
  }
  const named = /^\s*(?:[a-z]+\()?\s*([A-Za-z]+)/i.exec(raw)?.[1];
  const known = userProperties.find((p) => p.toLowerCase() === (named ?? "").toLowerCase());
  if (!known) return { error: badRequest(`Invalid filter clause: ${raw}`) };
  return {
    error: badRequest(
      `Unsupported or invalid query filter clause specified for property '${known}' of resource 'User'.`,
      "Request_UnsupportedQuery",
    ),
  };
}

function project(user: EmulatedUser, properties: readonly UserProperty[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const property of properties) {
    const value = user[property];
    out[property] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}
