/**
 * Masks a phone number for logs and outcome records: keeps the country code, the first three and the
 * last four digits, e.g. `+1 4255550100` → `+1 425***0100`. Short or odd inputs keep even less, so an
 * unparseable HR value never leaks whole.
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

function maskDigits(digits: string): string {
  if (digits.length >= 9) return `${digits.slice(0, 3)}***${digits.slice(-4)}`;
  if (digits.length >= 5) return `***${digits.slice(-2)}`;
  return "***";
}

/** Masks an email address: first character of the local part and the full domain, e.g. `j***@example.com`. */
export function maskEmail(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const at = value.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${value.slice(0, 1)}***${value.slice(at)}`;
}

/** Masks any contact value, choosing the email or the phone form by its shape. */
export function maskContact(value: string | null | undefined): string {
  return value?.includes("@") ? maskEmail(value) : maskPhone(value);
}
