/**
 * Masks a phone number for logs, errors and outcome records: keeps the country code and the last three digits
 * only, e.g. `+1 4255550100` → `+1 ***100`, `+34 612345678` → `+34 ***678`. The stars are always three, so the
 * mask does not tell the number's length either. A number with fewer than seven digits keeps none: three
 * digits of a short (often unparseable) HR value would be most of it.
 */
export function maskPhone(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const canonical = /^\+(\d{1,3}) (\d+)$/.exec(value);
  if (canonical) {
    const [, cc, nsn = ""] = canonical;
    return `+${cc} ${maskDigits(nsn)}`;
  }
  const digits = value.replace(/\D/g, "");
  if (digits.length === 0) return "***";
  return `${value.trim().startsWith("+") ? "+" : ""}${maskDigits(digits)}`;
}

const minDigitsToShowAny = 7;
const shownDigits = 3;

function maskDigits(digits: string): string {
  return digits.length >= minDigitsToShowAny ? `***${digits.slice(-shownDigits)}` : "***";
}

/**
 * Masks an email address: the first character of the local part and of the domain, and the top-level domain,
 * e.g. `mei.chen@example.org` → `m***@e***.org`. The full domain would often name the person's employer or
 * family domain; the TLD alone does not.
 */
export function maskEmail(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const at = value.lastIndexOf("@");
  if (at <= 0 || at === value.length - 1) return "***";
  const domain = value.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const last = dot > 0 ? domain.slice(dot) : "";
  // Only a label that looks like a TLD is kept: a junk value such as `a@b.4255550147` must not show its digits.
  const tld = tldPattern.test(last) ? last : "";
  return `${value.slice(0, 1)}***@${domain.slice(0, 1)}***${tld}`;
}

const tldPattern = /^\.(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$/i;

/** Masks any contact value, choosing the email or the phone form by its shape. */
export function maskContact(value: string | null | undefined): string {
  return value?.includes("@") ? maskEmail(value) : maskPhone(value);
}

/**
 * The first line of a message, at most `max` characters, with every address in it masked: SDK and sign-in errors
 * may name the account, and such a line goes to logs, findings and answers.
 */
export function maskedFirstLine(message: string, max: number): string {
  const line = (message.split("\n")[0] ?? "").trim().slice(0, max);
  return line.replace(/[^\s'"<>()@,;:]+@[^\s'"<>()@,;:]+/g, (address) => maskEmail(address));
}
