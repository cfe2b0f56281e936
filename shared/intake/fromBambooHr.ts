import { isSecurityQuestionField } from "../contact/contactEvent.js";
import { contactFields } from "../contact/contactFields.js";
import { toCountryCode } from "../contact/countryCode.js";
import { isRecord } from "../core/isRecord.js";
import { fail, ok, type Result, type RuleIssue } from "../core/result.js";
import { type IntakeRecord, intakeEvent, intakeRefused } from "./intakeRecord.js";
import { isoTimestamp, withColonOffset } from "./isoTimestamp.js";

/**
 * The BambooHR field names this integration reads. BambooHR posts its English field names by default, but an
 * admin may post a field under another name, so each one can be changed.
 */
export interface BambooHrFieldNames {
  mobilePhone: string;
  // "Work Ext." is left out on purpose: SSPR dials the number directly and cannot dial an extension.
  officePhone: string;
  alternateEmail: string;
  userPrincipalName: string;
  employeeId: string;
  country: string;
}

/** BambooHR's own field names, as a field-based webhook posts them unless renamed. */
export const defaultBambooHrFieldNames: Readonly<BambooHrFieldNames> = Object.freeze({
  mobilePhone: "Mobile Phone",
  officePhone: "Work Phone",
  alternateEmail: "Home Email",
  userPrincipalName: "Work Email",
  employeeId: "Employee #",
  country: "Country",
});

/** What the mapping needs besides the payload. */
export interface BambooHrOptions {
  /** The verified `X-BambooHR-Timestamp`: the event time of an employee entry without its own timestamp. */
  sentAt: Date;
  fieldNames?: Partial<BambooHrFieldNames>;
}

const contactKeys = contactFields;

/**
 * Maps a BambooHR field-based webhook (`{employees: [{id, action, timestamp, changedFields, fields}]}`) to one
 * ContactEvent input per employee. When `changedFields` lists fields only the contact fields listed there are
 * set — an update of the mobile phone must not resend the other values — while the identifiers and country
 * always come along. An empty list (BambooHR's `Created`) filters nothing: whatever fields came are read. The
 * event id is `bamboohr-<employee id>-<timestamp>`: the same change redelivered keeps it.
 */
export function fromBambooHr(payload: unknown, options: BambooHrOptions): Result<IntakeRecord[]> {
  const employees = isRecord(payload) ? own(payload, "employees") : undefined;
  if (!Array.isArray(employees)) {
    return fail([
      {
        field: "body",
        code: "invalid_body",
        message: "The body is not a BambooHR field-based webhook: it has no employees array.",
        hint: "Configure the BambooHR webhook to post JSON.",
      },
    ]);
  }
  const names = { ...defaultBambooHrFieldNames, ...options.fieldNames };
  return ok(employees.map((employee) => fromEmployee(employee, names, options.sentAt)));
}

function fromEmployee(employee: unknown, names: BambooHrFieldNames, sentAt: Date): IntakeRecord {
  if (!isRecord(employee)) {
    return intakeRefused([
      issue("employee", "bamboohr_employee_invalid", "The employee entry is not an object."),
    ]);
  }
  const id = own(employee, "id");
  if ((typeof id !== "string" || id.trim() === "") && typeof id !== "number") {
    return intakeRefused([issue("id", "bamboohr_employee_id_missing", "The employee entry has no id.")]);
  }
  const timestamp = own(employee, "timestamp");
  const when =
    typeof timestamp === "string" && timestamp.trim() !== "" ? timestamp.trim() : sentAt.toISOString();
  const eventId = `bamboohr-${String(id).trim()}-${when}`;
  if (own(employee, "action") === "Deleted") {
    return intakeRefused(
      [
        issue(
          "action",
          "bamboohr_employee_deleted",
          "The employee was deleted; there is no contact data to set.",
        ),
      ],
      eventId,
    );
  }
  const fieldsValue = own(employee, "fields");
  const fields = new Map<string, unknown>();
  if (isRecord(fieldsValue))
    for (const [name, value] of Object.entries(fieldsValue)) fields.set(toFieldKey(name), value);
  const changedValue = own(employee, "changedFields");
  const changed =
    Array.isArray(changedValue) && changedValue.length > 0
      ? new Set(changedValue.filter((name): name is string => typeof name === "string").map(toFieldKey))
      : undefined;
  const read = (name: string) => toText(fields.get(toFieldKey(name)));

  const user: Record<string, unknown> = {};
  const employeeId = read(names.employeeId);
  if (employeeId !== undefined) user.employeeId = employeeId;
  const upn = read(names.userPrincipalName);
  if (upn !== undefined) user.userPrincipalName = upn;

  const contact: Record<string, unknown> = {};
  for (const key of contactKeys) {
    const name = names[key];
    if (changed && !changed.has(toFieldKey(name))) continue;
    const value = read(name);
    if (value !== undefined) contact[key] = value;
  }
  if (isRecord(fieldsValue)) {
    for (const name of Object.keys(fieldsValue)) {
      // Carried (never read) so validation refuses the record by name, as the CSV import does.
      if (isSecurityQuestionField(name)) contact[name] = "";
    }
  }

  const event: Record<string, unknown> = {
    eventId,
    source: "bamboohr",
    occurredAt: isoTimestamp.test(when) ? withColonOffset(when) : sentAt.toISOString(),
    user,
    contact,
  };
  const country = read(names.country);
  // A name BambooHR shows ("United States") becomes its code; an unknown one is passed on for the rules to report.
  if (country !== undefined)
    event.country = typeof country === "string" ? (toCountryCode(country) ?? country) : country;
  return intakeEvent(event);
}

/** Strings and numbers become text; anything else is passed on so validation names its type. */
function toText(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return String(value);
  return value;
}

// Same comparison as the CSV import's header aliases: without case, spaces or punctuation, `#` read as
// "number", so "Employee #", "employee_number" and "EmployeeNumber" are one field.
function toFieldKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/#/g, "number")
    .replace(/[^a-z0-9]/g, "");
}

function issue(field: string, code: string, message: string): RuleIssue {
  const hints: Record<string, string> = {
    bamboohr_employee_invalid: "Check the webhook's JSON: each employees entry must be an object.",
    bamboohr_employee_id_missing: "Check the webhook's JSON: each employees entry needs its BambooHR id.",
    bamboohr_employee_deleted:
      "Nothing to do: a deleted employee's sign-in contact data is not prepopulated.",
  };
  return { field, code, message, hint: hints[code] ?? "" };
}

function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
