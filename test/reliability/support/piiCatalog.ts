import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { maskContact } from "../../../shared/contact/mask.js";

// Shorter digit runs (extensions, counts, ports) are not a phone number and would only give false alarms.
const minPhoneDigits = 7;
// Identifiers and times hold long digit runs that are not phone numbers; they are blanked before the scan.
const guidText = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const isoTime = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;
// A number as people and systems write it: digits with any of the usual separators between them.
const phoneRun = /\d[\d\s().\-/]*\d/g;
const emailPattern = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/**
 * The personal data of a test run — every phone number and email address the run sent or seeded — and a scanner
 * that tells whether a text holds one in full, in any format: `+1 4255550147`, `(425) 555-0147`, `4255550147`,
 * `+14255550147`, `tel:+1-425-555-0147`. Masked forms (`+1 ***147`, `m***@e***.org`) are not full values.
 */
export class PiiCatalog {
  readonly #phoneDigits = new Set<string>();
  readonly #lengths = new Set<number>();
  readonly #emails = new Set<string>();

  /** Adds a phone number as written (any format, valid or not); its national digits are what must not leak. */
  addPhone(value: string, region?: CountryCode): void {
    const withoutExtension = value.replace(/(?:x|ext\.?|#).*$/i, "");
    const digits = withoutExtension.replace(/\D/g, "");
    this.#addDigits(digits);
    const parsed = parsePhoneNumberFromString(withoutExtension, region);
    if (parsed) this.#addDigits(parsed.nationalNumber);
  }

  /** Adds an email address (compared without case). */
  addEmail(value: string): void {
    const email = value.trim().toLowerCase();
    if (email.includes("@")) this.#emails.add(email);
  }

  get size(): { phones: number; emails: number } {
    return { phones: this.#phoneDigits.size, emails: this.#emails.size };
  }

  /** The catalogued values found in full in `text`, masked (so a failure message leaks nothing either). */
  findIn(text: string): string[] {
    const found = new Set<string>();
    for (const match of text.matchAll(emailPattern)) {
      const email = match[0].toLowerCase();
      if (this.#emails.has(email)) found.add(maskContact(email));
    }
    const scrubbed = text.replace(guidText, " ").replace(isoTime, " ");
    for (const match of scrubbed.matchAll(phoneRun)) {
      const digits = match[0].replace(/\D/g, "");
      for (const length of this.#lengths) {
        for (let start = 0; start + length <= digits.length; start += 1) {
          const window = digits.slice(start, start + length);
          if (this.#phoneDigits.has(window)) found.add(maskContact(`+${window}`));
        }
      }
    }
    return [...found];
  }

  #addDigits(digits: string): void {
    if (digits.length < minPhoneDigits) return;
    this.#phoneDigits.add(digits);
    this.#lengths.add(digits.length);
  }
}

/** Scans many texts; returns at most `limit` findings as `where: value` lines for an assertion message. */
export function scanAll(
  catalog: PiiCatalog,
  texts: Iterable<[where: string, text: string]>,
  limit = 20,
): string[] {
  const findings: string[] = [];
  for (const [where, text] of texts) {
    for (const value of catalog.findIn(text)) {
      findings.push(`${where}: ${value}`);
      if (findings.length >= limit) return findings;
    }
  }
  return findings;
}
