import { createHash } from "node:crypto";
import { isRecord } from "../core/isRecord.js";
import { fail, ok, type Result, type RuleIssue } from "../core/result.js";
import { type IntakeRecord, intakeEvent, intakeRefused } from "./intakeRecord.js";

/** The SCIM schema URNs this endpoint reads and writes (RFC 7643, RFC 7644). */
export const scimSchemas = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  enterpriseUser: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  bulkRequest: "urn:ietf:params:scim:api:messages:2.0:BulkRequest",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  bulkResponse: "urn:ietf:params:scim:api:messages:2.0:BulkResponse",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
} as const;

/** One SCIM operation as received: what the answer must echo, and the record it became. */
export interface ScimOperation {
  method: string;
  bulkId?: string;
  record: IntakeRecord;
}

/** A SCIM request read into records: a single User, or a BulkRequest with its operations in order. */
export interface ScimPayload {
  kind: "user" | "bulk";
  operations: ScimOperation[];
  /** BulkRequest `failOnErrors`: stop after this many failed operations (RFC 7644 §3.7.3). */
  failOnErrors?: number;
}

const maxKeyLength = 64;
const isoWithOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * Reads a SCIM 2.0 User or BulkRequest, as HR systems send to Entra API-driven inbound provisioning, into one
 * ContactEvent input per operation; fails when the body is neither.
 */
export function fromScim(payload: unknown, options: { receivedAt: Date }): Result<ScimPayload> {
  if (!isRecord(payload)) return fail([structureIssue("The body is not a SCIM resource (a JSON object).")]);
  const schemas = attr(payload, "schemas");
  const named = (urn: string) =>
    Array.isArray(schemas) &&
    schemas.some((s) => typeof s === "string" && s.toLowerCase() === urn.toLowerCase());
  const operations = attr(payload, "Operations");
  // A PatchOp also has Operations, but of another kind (op/path/value): read as a BulkRequest it would be
  // answered 202 with every operation refused, which a client may take for success. It carries no whole User.
  if (named(scimSchemas.patchOp) && !named(scimSchemas.bulkRequest)) {
    return fail([
      {
        field: "schemas",
        code: "scim_patch_not_supported",
        message: "A PatchOp is not supported: a partial change carries no whole User to read.",
        hint: "Send the whole User (POST or PUT), alone or as an operation of a BulkRequest, as for Entra inbound provisioning.",
      },
    ]);
  }
  if (named(scimSchemas.bulkRequest) || (Array.isArray(operations) && !named(scimSchemas.user))) {
    if (!Array.isArray(operations)) return fail([structureIssue("The BulkRequest has no Operations array.")]);
    const failOnErrors = attr(payload, "failOnErrors");
    const bulk: ScimPayload = {
      kind: "bulk",
      operations: operations.map((operation) => fromOperation(operation, options.receivedAt)),
    };
    if (typeof failOnErrors === "number" && Number.isInteger(failOnErrors) && failOnErrors > 0) {
      bulk.failOnErrors = failOnErrors;
    }
    return ok(bulk);
  }
  if (named(scimSchemas.user) || typeof attr(payload, "userName") === "string") {
    return ok({
      kind: "user",
      operations: [{ method: "POST", record: fromScimUser(payload, { receivedAt: options.receivedAt }) }],
    });
  }
  return fail([structureIssue("The body is neither a SCIM User nor a BulkRequest (check its schemas).")]);
}

/**
 * Maps one SCIM User to ContactEvent input: phoneNumbers `mobile` → mobilePhone and `work` → officePhone, emails
 * `home`/`other` → alternateEmail, userName → userPrincipalName, the enterprise `employeeNumber` → employeeId,
 * the primary (or first) address's country. The event id is `scim-<bulkId or externalId>-<hash of the User>`,
 * so a redelivery is the same event and any changed value makes a new one.
 */
export function fromScimUser(user: unknown, context: { bulkId?: string; receivedAt: Date }): IntakeRecord {
  if (!isRecord(user)) return intakeRefused([structureIssue("The data is not a SCIM User object.", "data")]);
  const hash = createHash("sha256").update(JSON.stringify(user)).digest("hex").slice(0, 16);
  const externalId = attr(user, "externalId");
  const key =
    context.bulkId ?? (typeof externalId === "string" && externalId !== "" ? externalId : undefined);
  const eventId = key === undefined ? `scim-${hash}` : `scim-${key.slice(0, maxKeyLength)}-${hash}`;

  const event: Record<string, unknown> = {
    eventId,
    source: "scim",
    occurredAt: lastModified(user) ?? context.receivedAt.toISOString(),
    user: userOf(user),
    contact: contactOf(user),
  };
  const country = countryOf(user);
  if (country !== undefined) event.country = country;
  return intakeEvent(event);
}

function fromOperation(operation: unknown, receivedAt: Date): ScimOperation {
  if (!isRecord(operation)) {
    return {
      method: "",
      record: intakeRefused([structureIssue("The operation is not an object.", "operation")]),
    };
  }
  const methodValue = attr(operation, "method");
  const method = typeof methodValue === "string" ? methodValue.toUpperCase() : "";
  const bulkIdValue = attr(operation, "bulkId");
  const bulkId = typeof bulkIdValue === "string" && bulkIdValue !== "" ? bulkIdValue : undefined;
  const echo = { method, ...(bulkId === undefined ? {} : { bulkId }) };
  // POST and PUT carry a whole User; a PATCH's PatchOp and a DELETE carry no contact values to read.
  if (method !== "POST" && method !== "PUT") {
    return {
      ...echo,
      record: intakeRefused([
        {
          field: "method",
          code: "scim_method_not_supported",
          message: `${method || "An operation without a method"} is not supported; send POST or PUT with the whole User.`,
          hint: "Send each user as a POST (or PUT) operation whose data is the full SCIM User.",
        },
      ]),
    };
  }
  const path = attr(operation, "path");
  if (typeof path === "string" && !/^\/Users(?:\/|$)/i.test(path)) {
    return {
      ...echo,
      record: intakeRefused([
        {
          field: "path",
          code: "scim_path_not_supported",
          message: "Only /Users operations carry contact data.",
          hint: "Send users to /Users; groups and other resources are not read.",
        },
      ]),
    };
  }
  return {
    ...echo,
    record: fromScimUser(attr(operation, "data"), { ...(bulkId ? { bulkId } : {}), receivedAt }),
  };
}

function userOf(user: Record<string, unknown>): Record<string, unknown> {
  const ref: Record<string, unknown> = {};
  const userName = attr(user, "userName");
  if (userName !== undefined && userName !== null) ref.userPrincipalName = userName;
  const enterprise = attr(user, scimSchemas.enterpriseUser);
  const employeeNumber = isRecord(enterprise) ? attr(enterprise, "employeeNumber") : undefined;
  if (employeeNumber !== undefined && employeeNumber !== null) ref.employeeId = employeeNumber;
  return ref;
}

function contactOf(user: Record<string, unknown>): Record<string, unknown> {
  const contact: Record<string, unknown> = {};
  const phones = multiValued(user, "phoneNumbers");
  const mobile = pick(phones, ["mobile"]);
  if (mobile !== undefined) contact.mobilePhone = mobile;
  const office = pick(phones, ["work"]);
  if (office !== undefined) contact.officePhone = office;
  const email = pick(multiValued(user, "emails"), ["home", "other"]);
  if (email !== undefined) contact.alternateEmail = email;
  return contact;
}

function countryOf(user: Record<string, unknown>): unknown {
  const withCountry = multiValued(user, "addresses").filter((address) => {
    const country = attr(address, "country");
    return typeof country === "string" && country.trim() !== "";
  });
  const chosen = withCountry.find(isPrimary) ?? withCountry[0];
  return chosen === undefined ? undefined : attr(chosen, "country");
}

/** The value of the primary entry of the first matching type, else the first entry of the best type. */
function pick(entries: Record<string, unknown>[], types: readonly string[]): unknown {
  for (const type of types) {
    const ofType = entries.filter((entry) => {
      const value = attr(entry, "type");
      return typeof value === "string" && value.toLowerCase() === type;
    });
    const chosen = ofType.find(isPrimary) ?? ofType[0];
    if (chosen !== undefined) return attr(chosen, "value");
  }
  return undefined;
}

/**
 * `primary: true`, or a string `"True"`, as Microsoft Entra's provisioning service has sent booleans (Learn: "Known
 * issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra user provisioning service") — in
 * any case; `"False"` and anything else is not.
 */
function isPrimary(entry: Record<string, unknown>): boolean {
  const primary = attr(entry, "primary");
  return primary === true || (typeof primary === "string" && primary.trim().toLowerCase() === "true");
}

function multiValued(user: Record<string, unknown>, name: string): Record<string, unknown>[] {
  const value = attr(user, name);
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function lastModified(user: Record<string, unknown>): string | undefined {
  const meta = attr(user, "meta");
  const value = isRecord(meta) ? attr(meta, "lastModified") : undefined;
  return typeof value === "string" && isoWithOffset.test(value) && !Number.isNaN(Date.parse(value))
    ? value
    : undefined;
}

/** SCIM attribute names are case-insensitive (RFC 7643 §2.1): `phonenumbers` is `phoneNumbers`. */
function attr(record: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}

function structureIssue(message: string, field = "body"): RuleIssue {
  return {
    field,
    code: "scim_invalid_syntax",
    message,
    hint: "Send a SCIM User or a BulkRequest whose Operations carry Users, as for Entra inbound provisioning.",
  };
}
