import {
  type CountryCode,
  Metadata,
  type PhoneNumber,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from "libphonenumber-js/max";
import { fail, ok, type Result, type RuleIssue } from "../core/result.js";
import { isPlaceholder } from "./isPlaceholder.js";
import { maskPhone } from "./mask.js";
import { tryStripPhoneLabel } from "./phoneLabels.js";
import { toAsciiPhoneText } from "./toAsciiPhoneText.js";

/** How one phone field is checked: which field it is, the fallback region, and how strict to be. */
export interface PhoneRuleOptions {
  /** Field name used in issues, e.g. `contact.mobilePhone`. */
  field: string;
  /** Region for numbers written in national form (the event's country, else `DEFAULT_COUNTRY`). */
  defaultCountry?: CountryCode;
  /** `valid`: the number must exist in its numbering plan; `possible`: only its length is checked. */
  validation: "valid" | "possible";
  /** `mobile` adds a warning when the number cannot receive the SSPR text message. */
  expect?: "mobile" | "office";
}

/** A phone number in the form SSPR needs, with what was learnt while normalizing it. */
export interface NormalizedPhone {
  /** `+{countryCode} {nationalSignificantNumber}`, e.g. `+1 4255550147`: what SSPR and Graph accept. */
  canonical: string;
  e164: string;
  /** Country calling code, e.g. `1`. */
  countryCode: string;
  region?: CountryCode;
  /** libphonenumber's number type (`MOBILE`, `FIXED_LINE`, `FIXED_LINE_OR_MOBILE`, …) when known. */
  type?: string;
  /** The dropped extension. Personal data: never put it in a message or log line. */
  extension?: string;
}

// HR exports copy numbers from forms and Excel; anything longer is not a phone number, and capping it keeps a
// hostile multi-megabyte cell from reaching the parser's regexes.
const maxInputLength = 100;
const hasDigit = /\d/;
// `00` (most of the world) and `011` (NANP) are international dialling prefixes. libphonenumber only honours
// the default region's own prefix, but HR data mixes them, so a failed parse is retried as `+`.
const internationalPrefix = /^[\s(]*(?:00|011)[\s.\-/)]*(?=[1-9])/;
// An RFC 3966 URI: digits and visual separators, then `;name=value` parameters. Nothing else, because a URI is
// parsed in extract mode, which would pick a number out of any text; "Tel: 030 1234567" is a label, not a URI.
const telUri = /^tel:\+?[\d().-]+(?:;[a-z-]{1,20}=[\w.+!~*'()%-]{1,40})*$/i;
// Where one value lists several numbers: "…, …", "…; …", "… | …", "… & …", one per line ("strong" separators, never
// inside one number once ",," and ";ext=" are read as the extension marks they are), or "… / …" and "… - …"
// ("weak": also inside one number, as in "0151/23456789").
const listSeparator = /[,;|&\n\r/、]|\s-\s/;
const strongSeparators = /[,;|&\n\r、]+/;
const anySeparators = /[,;|&\n\r/、]+|\s-\s/;
const extensionMarks = /,,|;ext=/gi;
// Types that cannot receive an SMS; FIXED_LINE_OR_MOBILE (all NANP numbers) and VOIP may, so they pass.
const noSmsTypes = new Set([
  "FIXED_LINE",
  "TOLL_FREE",
  "PREMIUM_RATE",
  "SHARED_COST",
  "PAGER",
  "UAN",
  "VOICEMAIL",
]);

const hintFormat =
  "Write the number in international form: +, the country code, a space, then the number without its trunk 0.";
const hintLength = "Check the number for missing or extra digits (an extension belongs after x or ext.).";
const hintPlan =
  "Check the number with the employee; PHONE_VALIDATION=possible accepts numbers that merely have a plausible length.";

/** A parse outcome ranked by how usable it is: 0 unparseable, 1 impossible length, 2 possible, 3 valid. */
type Attempt = { phone: PhoneNumber; type: string | undefined; rank: 1 | 2 | 3 } | { error: string; rank: 0 };

/** Normalizes one phone value to `+{cc} {nsn}` or explains, with the input masked, why SSPR cannot use it. */
export function normalizePhone(input: string, options: PhoneRuleOptions): Result<NormalizedPhone> {
  const text = readableText(input, options.field);
  if (!text.ok) return text;
  const { value: candidate, warnings } = text;
  const shape = shapeIssue(candidate, options);
  if (shape) return fail([shape], warnings);
  const attempt = read(candidate, options.defaultCountry);
  if ("error" in attempt) return fail([parseErrorIssue(attempt.error, candidate, options)], warnings);
  const refusal = refusalOf(attempt, candidate, options);
  if (refusal) return fail([refusal], warnings);
  const { phone, type } = attempt;
  const normalized: NormalizedPhone = {
    canonical: canonicalOf(phone),
    e164: phone.number,
    countryCode: phone.countryCallingCode,
    ...(phone.country ? { region: phone.country } : {}),
    ...(type ? { type } : {}),
    ...(phone.ext ? { extension: phone.ext } : {}),
  };
  return ok(normalized, [...warnings, ...acceptanceWarnings(attempt, candidate, options)]);
}

/**
 * The value as text a parser may see: trimmed, at most `maxInputLength` characters, in ASCII digits, without a
 * known label ("Mobile: …", which is a warning, not an error).
 */
function readableText(input: unknown, field: string): Result<string> {
  if (typeof input !== "string") {
    return fail([issue(field, "phone_not_a_number", `${field} is not text.`, hintFormat)]);
  }
  const raw = input.trim();
  if (raw.length > maxInputLength) {
    return fail([
      issue(
        field,
        "phone_too_long",
        `${field} is ${raw.length} characters long; a phone number has at most 17 digits.`,
        hintLength,
      ),
    ]);
  }
  const ascii = toAsciiPhoneText(raw);
  if (typeof ascii !== "string") {
    return fail([issue(field, "phone_not_a_number", `${field} ${ascii.problem}.`, hintFormat)]);
  }
  const text = ascii === raw ? raw : ascii.trim();
  const labelled = isTelUri(text) ? undefined : tryStripPhoneLabel(text);
  if (!labelled) return ok(text);
  return ok(labelled.text, [
    issue(
      field,
      "phone_label_removed",
      `${field}: the label "${labelled.label}" was removed and the rest read as the number.`,
      "Keep only the number in the field; the column already says which number it is.",
    ),
  ]);
}

/** Text that is no single number before any parsing: a placeholder, no digits at all, or a list of numbers. */
function shapeIssue(text: string, options: PhoneRuleOptions): RuleIssue | undefined {
  const { field } = options;
  if (!hasDigit.test(text)) {
    return isPlaceholder(text)
      ? issue(
          field,
          "phone_placeholder",
          `${field} holds a placeholder instead of a number.`,
          "Leave the field empty when there is no number: an empty field leaves the user's value as is.",
        )
      : issue(field, "phone_not_a_number", `${field} "${maskPhone(text)}" contains no digits.`, hintFormat);
  }
  if (listSeparator.test(text) && holdsSeveralNumbers(text, options.defaultCountry)) {
    return issue(
      field,
      "phone_multiple",
      `${field} "${maskPhone(withoutExtension(text))}" holds more than one phone number; SSPR uses one per field.`,
      "Keep the one number for this field (mobile or office) and put the other in its own column.",
    );
  }
  return undefined;
}

/**
 * Why a parsed number is refused, if it is. A number that is only "possible" may not survive being read back: a
 * trunk 0 libphonenumber strips from the `+` form ("0712 123456" in IM → "+44 0712123456" → "+44 712123456"), or a
 * local-only length that needs the region ("000 0000" in CA). Refuse those, so every accepted output reads back as
 * itself. (Under PHONE_VALIDATION=valid a "possible" number is refused anyway, so it is not read back.)
 */
function refusalOf(
  attempt: Extract<Attempt, { phone: PhoneNumber }>,
  text: string,
  options: PhoneRuleOptions,
): RuleIssue | undefined {
  const { phone, rank } = attempt;
  if (rank >= (options.validation === "valid" ? 3 : 2) && (rank !== 2 || isFixpoint(phone))) return undefined;
  return rank === 2 ? invalidForRegionIssue(phone, text, options) : lengthIssue(phone, text, options);
}

/** What an accepted number's user should still know: a doubtful plan, a dropped extension, no SMS. */
function acceptanceWarnings(
  attempt: Extract<Attempt, { phone: PhoneNumber }>,
  text: string,
  options: PhoneRuleOptions,
): RuleIssue[] {
  const { phone, type } = attempt;
  const { field } = options;
  const warnings: RuleIssue[] = [];
  if (attempt.rank === 2) {
    // Accepted under PHONE_VALIDATION=possible only; say so, so the relaxed mode never hides a doubtful number.
    const doubt = invalidForRegionIssue(phone, text, options);
    warnings.push({
      ...doubt,
      code: "phone_possible_only",
      hint: "Accepted because PHONE_VALIDATION=possible.",
    });
  }
  if (phone.ext) {
    warnings.push(
      issue(
        field,
        "phone_extension_dropped",
        `${field}: the extension was removed because SSPR dials the number directly and cannot dial extensions.`,
        "If the user can only be reached through the extension, provide a direct or mobile number instead.",
      ),
    );
  }
  if (options.expect === "mobile" && type !== undefined && noSmsTypes.has(type)) {
    warnings.push(
      issue(
        field,
        "phone_not_sms_capable",
        `${field} "${maskPhone(canonicalOf(phone))}" is a ${type} number, which cannot receive the SSPR text message.`,
        "Put a number that can receive text messages in mobilePhone; a landline belongs in officePhone.",
      ),
    );
  }
  return warnings;
}

function isTelUri(text: string): boolean {
  const first = text.charCodeAt(0);
  return (first === 0x74 || first === 0x54) && telUri.test(text);
}

function read(text: string, defaultCountry: CountryCode | undefined): Attempt {
  const attempt = evaluate(text, defaultCountry);
  if (attempt.rank === 3) return attempt;
  const prefix = internationalPrefix.exec(text);
  if (!prefix) return attempt;
  const retry = evaluate(`+${text.slice(prefix[0].length)}`, defaultCountry);
  return retry.rank > attempt.rank ? retry : attempt;
}

function evaluate(text: string, defaultCountry: CountryCode | undefined): Attempt {
  let phone: PhoneNumber;
  try {
    // `extract: false` makes the whole value count: "425-555-0147 (mobile)" or two numbers are not silently
    // cut down to one. RFC 3966 `tel:` URIs are only understood in extract mode, so they keep it.
    phone = parsePhoneNumberWithError(text, { defaultCountry, extract: isTelUri(text) });
  } catch (err) {
    return { error: err instanceof Error ? err.message : "NOT_A_NUMBER", rank: 0 };
  }
  // With the full ("max") metadata every numbering plan has type patterns, and isValid() is defined as "getType()
  // finds a type"; asking for the type alone spares matching the number against every pattern twice.
  const type = phone.getType();
  if (type !== undefined) return { phone, type, rank: 3 };
  return { phone, type, rank: phone.isPossible() ? 2 : 1 };
}

// A strong separator between two parts that are each at least a possible number means two numbers. A weak one
// only when two parts are each a VALID number: the "0151" of "0151/23456789" is possible, not valid.
function holdsSeveralNumbers(text: string, defaultCountry: CountryCode | undefined): boolean {
  const listed = text.replace(extensionMarks, " x").split(strongSeparators);
  if (listed.length > 1 && countNumbers(listed, defaultCountry, 2, true) > 1) return true;
  return countNumbers(text.split(anySeparators), defaultCountry, 3, false) > 1;
}

/**
 * Counts the parts that are numbers (at least of `rank`). After a strong separator a run of seven digits or more
 * that names no extension counts too, even when the region's plan refuses it: libphonenumber would read
 * "318 1234, 57123456" as one number with the extension 57123456 (a comma is a dialling pause), while an HR value
 * written that way is far likelier two numbers, one mistyped — and a wrong number must never be written.
 */
function countNumbers(
  parts: readonly string[],
  defaultCountry: CountryCode | undefined,
  rank: 2 | 3,
  longRunsCount: boolean,
): number {
  let numbers = 0;
  for (const part of parts) {
    const trimmed = part.trim();
    if (trimmed.length < 3 || !hasDigit.test(trimmed)) continue;
    if (read(trimmed, defaultCountry).rank >= rank || (longRunsCount && isLongDigitRun(trimmed))) numbers++;
  }
  return numbers;
}

/** Seven digits or more, not introduced as an extension (`x`, `ext`, `extension`, `#`). */
function isLongDigitRun(part: string): boolean {
  return !/^(?:x|ext|extension|#)/i.test(part) && (part.match(/\d/g)?.length ?? 0) >= 7;
}

// Reads the canonical form back without any region, as every later consumer will.
function isFixpoint(phone: PhoneNumber): boolean {
  const again = evaluate(canonicalOf(phone), undefined);
  return "phone" in again && again.rank >= 2 && again.phone.nationalNumber === phone.nationalNumber;
}

function canonicalOf(phone: PhoneNumber): string {
  return `+${phone.countryCallingCode} ${phone.nationalNumber}`;
}

function parseErrorIssue(error: string, text: string, options: PhoneRuleOptions): RuleIssue {
  const { field } = options;
  const shown = `${field} "${maskPhone(withoutExtension(text))}"`;
  switch (error) {
    case "INVALID_COUNTRY":
      return /^(?:tel:)?\s*\+/i.test(text) || internationalPrefix.test(text)
        ? issue(
            field,
            "phone_invalid_country_code",
            `${shown} starts with a country calling code that does not exist.`,
            "Check the digits right after + (or after the 00 / 011 international prefix).",
          )
        : issue(
            field,
            "phone_missing_country",
            `${shown} is written in national form and no country is known for it.`,
            "Write it as +<country code> <number>, give the record a country, or set DEFAULT_COUNTRY (CLI: --country XX).",
          );
    case "TOO_SHORT":
      return issue(field, "phone_too_short", `${shown} has too few digits to be a phone number.`, hintLength);
    case "TOO_LONG":
      return issue(field, "phone_too_long", `${shown} has too many digits to be a phone number.`, hintLength);
    default:
      return issue(
        field,
        "phone_not_a_number",
        `${shown} is not a phone number (only digits, spaces, + ( ) - . / an extension such as x12 and one label such as "Mobile:" are allowed).`,
        hintFormat,
      );
  }
}

function lengthIssue(phone: PhoneNumber, text: string, options: PhoneRuleOptions): RuleIssue {
  const { field } = options;
  const where = planName(phone);
  const shown = `${field} "${maskPhone(withoutExtension(text))}"`;
  const digits = phone.nationalNumber.length;
  const verdict = lengthVerdictOf(phone);
  if (verdict === "TOO_SHORT") {
    return issue(
      field,
      "phone_too_short",
      `${shown} is too short for ${where} (${digits} digits).`,
      hintLength,
    );
  }
  if (verdict === "TOO_LONG") {
    return issue(
      field,
      "phone_too_long",
      `${shown} is too long for ${where} (${digits} digits).`,
      hintLength,
    );
  }
  return issue(
    field,
    "phone_invalid_length",
    `${shown} has ${digits} digits, which is not a length used in ${where}.`,
    hintLength,
  );
}

const lengths = new Metadata();

// The plan's possible lengths tell short from long (as libphonenumber's checkNumberLength does) without parsing
// the number a second time, which cost as much as the first parse; a number without a region is re-read.
function lengthVerdictOf(phone: PhoneNumber): string {
  if (phone.country === undefined) return validatePhoneNumberLength(phone.number) ?? "IS_POSSIBLE";
  lengths.selectNumberingPlan(phone.country);
  const possible = lengths.numberingPlan?.possibleLengths() ?? [];
  const length = phone.nationalNumber.length;
  const shortest = possible[0];
  const longest = possible[possible.length - 1];
  if (shortest === undefined || longest === undefined || possible.includes(length)) return "IS_POSSIBLE";
  if (length < shortest) return "TOO_SHORT";
  return length > longest ? "TOO_LONG" : "INVALID_LENGTH";
}

function invalidForRegionIssue(phone: PhoneNumber, text: string, options: PhoneRuleOptions): RuleIssue {
  const { field } = options;
  const shown = `${field} "${maskPhone(withoutExtension(text))}"`;
  const nanp = phone.countryCallingCode === "1" ? nanpProblem(phone.nationalNumber) : undefined;
  if (nanp) {
    const placeholder =
      phone.nationalNumber === "4251234567"
        ? " This is the placeholder from Microsoft's SSPR documentation example, not a real number."
        : "";
    return issue(
      field,
      "phone_invalid_for_region",
      `${shown} is not a valid North American (NANP) number: ${nanp}.${placeholder}`,
      "Use the employee's real 10-digit number (area code and exchange both start with 2-9).",
    );
  }
  return issue(
    field,
    "phone_invalid_for_region",
    `${shown} has a plausible length but is not a valid number in ${planName(phone)}.`,
    hintPlan,
  );
}

// NANP numbers are NXX-NXX-XXXX: neither the area code nor the exchange may start with 0 or 1. Saying which part
// is wrong turns "invalid" into something an HR clerk can fix.
function nanpProblem(nsn: string): string | undefined {
  if (nsn.length !== 10) return undefined;
  if (nsn[0] === "0" || nsn[0] === "1") return "NANP area codes cannot start with 0 or 1";
  if (nsn[3] === "0" || nsn[3] === "1") return "NANP exchange codes cannot start with 0 or 1";
  return undefined;
}

function planName(phone: PhoneNumber): string {
  return phone.country
    ? `the numbering plan of ${phone.country} (+${phone.countryCallingCode})`
    : `the +${phone.countryCallingCode} numbering plan`;
}

// Extensions are dropped before masking so their digits never show up in a message.
function withoutExtension(text: string): string {
  return text.replace(/\s*(?:;ext=|ext\.?|extension|x|#).*$/i, "");
}

function issue(field: string, code: string, message: string, hint: string): RuleIssue {
  return { field, code, message, hint };
}
