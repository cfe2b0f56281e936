/**
 * Characters that stand in for hidden digits or letters in a masked value: `X`/`x` (Graph shows an Authentication
 * Administrator phone numbers such as `+1 425XXXX166`), `*` (this app's own masks, `+1 ***100`, `m***@e***.org`),
 * and the bullets some consoles use.
 */
const maskCharacters = /[Xx*\u2022\u25CF\u2217]/;

/** A trailing SSPR extension (`x12345` or `X12345` straight after a digit), the one place an `x` is not a mask. */
const extension = /(?<=\d)x\d{1,10}$/i;

/**
 * True when a phone number or email read from the directory looks masked, so its real value is unknown:
 * - a phone number (no `@`) with a mask character in it, once a trailing extension (`+1 4255550100x123`) is set
 *   aside: `+1 425XXXX166`, `+1 ***100`, `+44 7700 9•••••`;
 * - an email address with `*` or a bullet anywhere: `a***@e***.net`.
 * Such a value is never compared with an event's value (it might be the same number, or not), never taken for a
 * value this app wrote, and counts as the user's own.
 */
export function isMaskedContact(value: string): boolean {
  if (value.includes("@")) return /[*\u2022\u25CF\u2217]/.test(value);
  return maskCharacters.test(value.replace(extension, ""));
}
