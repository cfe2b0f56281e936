import { createHash } from "node:crypto";
import { isSecurityQuestionField } from "../contact/contactEvent.js";
import { fromCsvCell } from "../core/csvCell.js";
import { fail, ok, type Result } from "../core/result.js";

/** Where a CSV column goes in a ContactEvent. */
export type CsvTarget =
  | "eventId"
  | "user.id"
  | "user.userPrincipalName"
  | "user.employeeId"
  | "country"
  | "contact.mobilePhone"
  | "contact.officePhone"
  | "contact.alternateEmail";

/** The column layout of one CSV file, resolved once from its header row so rows map without string work. */
export interface CsvLayout {
  /** Column indexes per target; when several columns map to one target the first non-empty cell wins. */
  targets: ReadonlyArray<{ target: CsvTarget; indexes: readonly number[] }>;
  /** Columns named like security questions: carried into the event so validation rejects them by name. */
  forbidden: ReadonlyArray<{ name: string; index: number }>;
}

/** Row-independent parts of the events built from one file. */
export interface CsvRowContext {
  /** ISO 8601 time the rows count as having happened (the file's modification time, or the run start). */
  occurredAt: string;
  source?: string;
}

// Header names compared without case, spaces or punctuation ("Mobile Phone" = "mobilePhone" = "MOBILE_PHONE");
// `#` reads as "number" so BambooHR's "Employee #" is employeenumber. "id" alone is NOT an alias: in HR exports
// it is the HR system's own id, and sending it to Entra as an object id would look up the wrong user.
// A Map, not an object literal: a header named "constructor" must not find Object.prototype.constructor.
const headerAliases = new Map<string, CsvTarget>(
  Object.entries({
    eventid: "eventId",
    idempotencykey: "eventId",
    objectid: "user.id",
    entraobjectid: "user.id",
    aadobjectid: "user.id",
    azureadobjectid: "user.id",
    userprincipalname: "user.userPrincipalName",
    upn: "user.userPrincipalName",
    employeeid: "user.employeeId",
    employeenumber: "user.employeeId",
    employeeno: "user.employeeId",
    country: "country",
    countrycode: "country",
    countryregion: "country",
    mobilephone: "contact.mobilePhone",
    mobile: "contact.mobilePhone",
    mobilenumber: "contact.mobilePhone",
    cellphone: "contact.mobilePhone",
    cell: "contact.mobilePhone",
    officephone: "contact.officePhone",
    workphone: "contact.officePhone",
    businessphone: "contact.officePhone",
    telephonenumber: "contact.officePhone",
    alternateemail: "contact.alternateEmail",
    homeemail: "contact.alternateEmail",
    personalemail: "contact.alternateEmail",
    privateemail: "contact.alternateEmail",
    otheremail: "contact.alternateEmail",
  } satisfies Record<string, CsvTarget>),
);

const identifierTargets: ReadonlySet<CsvTarget> = new Set([
  "user.id",
  "user.userPrincipalName",
  "user.employeeId",
]);

/** Whether a header cell names a column this tool reads (case, spaces and punctuation ignored). */
export function isKnownCsvColumn(name: string): boolean {
  return headerAliases.has(toHeaderKey(name));
}

/**
 * Resolves a CSV header row (case-insensitive, with BambooHR aliases) to a layout. Fails, once for the whole
 * file, when no column is known or when no column names the user (every row would fail the same way).
 */
export function toCsvLayout(header: readonly string[]): Result<CsvLayout> {
  const byTarget = new Map<CsvTarget, number[]>();
  const forbidden: { name: string; index: number }[] = [];
  header.forEach((name, index) => {
    const target = headerAliases.get(toHeaderKey(name));
    if (target) byTarget.set(target, [...(byTarget.get(target) ?? []), index]);
    else if (isSecurityQuestionField(name)) forbidden.push({ name: name.trim(), index });
  });
  if (byTarget.size === 0 && forbidden.length === 0) {
    return fail([
      {
        field: "header",
        code: "csv_no_known_columns",
        message: "The CSV header names none of the known columns.",
        hint: "The first row must be a header with columns such as userPrincipalName, employeeId, country, mobilePhone, officePhone, alternateEmail (or the BambooHR names).",
      },
    ]);
  }
  if (![...byTarget.keys()].some((target) => identifierTargets.has(target))) {
    // Only recognised names are echoed: a header row that is really a data row must not be quoted back.
    const found = header.filter(isKnownCsvColumn).map((name) => name.trim());
    const questions =
      forbidden.length > 0 ? " It also has a security-question column, which is never imported." : "";
    return fail([
      {
        field: "header",
        code: "csv_no_identifier_column",
        message: `The CSV header has no column that says which user a row is about${found.length > 0 ? ` (it has ${found.join(", ")})` : ""}.${questions}`,
        hint: "Add a userPrincipalName, employeeId or objectId column (BambooHR: Employee #); without one no row can be applied.",
      },
    ]);
  }
  return ok({ targets: [...byTarget].map(([target, indexes]) => ({ target, indexes })), forbidden });
}

/**
 * Maps one CSV row to ContactEvent input (still to be validated). Without an eventId column the id is
 * `csv-` + the first 32 hex digits of the SHA-256 of the row's identity and contact cells: the same row gives
 * the same id in every run and every file, so re-importing an export is idempotent, while any change to a
 * value makes a new event.
 */
export function fromCsvRow(cells: readonly string[], layout: CsvLayout, context: CsvRowContext): unknown {
  const values: Partial<Record<CsvTarget, string>> = {};
  for (const { target, indexes } of layout.targets) {
    for (const index of indexes) {
      // `'+44 …` is how `validate --output csv` (and tools following OWASP's advice) keep a value from running as a
      // formula: the guard is not part of the value.
      const trimmed = cells[index]?.trim();
      const cell = trimmed === undefined ? undefined : fromCsvCell(trimmed);
      if (cell) {
        values[target] = cell;
        break;
      }
    }
  }
  const user: Record<string, string> = {};
  if (values["user.id"] !== undefined) user.id = values["user.id"];
  if (values["user.userPrincipalName"] !== undefined)
    user.userPrincipalName = values["user.userPrincipalName"];
  if (values["user.employeeId"] !== undefined) user.employeeId = values["user.employeeId"];
  const contact: Record<string, string> = {};
  if (values["contact.mobilePhone"] !== undefined) contact.mobilePhone = values["contact.mobilePhone"];
  if (values["contact.officePhone"] !== undefined) contact.officePhone = values["contact.officePhone"];
  if (values["contact.alternateEmail"] !== undefined)
    contact.alternateEmail = values["contact.alternateEmail"];
  for (const { name, index } of layout.forbidden) {
    // Present even when empty: a security-question column is refused for what it is, not for its value.
    contact[name] = cells[index] ?? "";
  }
  const event: Record<string, unknown> = {
    eventId: values.eventId ?? derivedEventId(values),
    source: context.source ?? "csv",
    occurredAt: context.occurredAt,
    user,
    contact,
  };
  if (values.country !== undefined) event.country = values.country;
  return event;
}

function derivedEventId(values: Partial<Record<CsvTarget, string>>): string {
  const identity = JSON.stringify([
    values["user.id"],
    values["user.userPrincipalName"],
    values["user.employeeId"],
    values.country,
    values["contact.mobilePhone"],
    values["contact.officePhone"],
    values["contact.alternateEmail"],
  ]);
  return `csv-${createHash("sha256").update(identity).digest("hex").slice(0, 32)}`;
}

function toHeaderKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/#/g, "number")
    .replace(/[^a-z0-9]/g, "");
}
