import fc from "fast-check";
import { type CountryCode, getCountries, getExampleNumber } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";

/** Every region's example mobile number from libphonenumber's metadata (fictional by construction). */
export const examplePhones = getCountries().flatMap((code) => {
  const number = getExampleNumber(code, examples);
  return number ? [{ region: code, number }] : [];
});

const separator = fc.constantFrom("", " ", "-", ".", "/", " - ");

/** A real example number written the way people write numbers: any form, separators between any digits. */
export const writtenNumber: fc.Arbitrary<{ text: string; region: CountryCode }> = fc
  .constantFrom(...examplePhones)
  .chain(writtenForm);

/** One number (an entry of `examplePhones`) in any written form. */
export function writtenForm(
  example: (typeof examplePhones)[number],
): fc.Arbitrary<{ text: string; region: CountryCode }> {
  return fc
    .tuple(
      fc.constant(example),
      fc.constantFrom("national", "international", "e164", "uri", "00"),
      fc.array(separator, { minLength: 20, maxLength: 20 }),
      fc.constantFrom("", " x12", " ext. 7", " #3"),
    )
    .map(([{ region, number }, form, separators, extension]) => {
      let next = 0;
      const spaced = (digits: string) =>
        [...digits]
          .map((digit, i) => (i === 0 ? digit : `${separators[next++ % separators.length]}${digit}`))
          .join("");
      const national = number
        .formatNational()
        .replace(/ /g, () => separators[next++ % separators.length] || " ");
      const text =
        form === "national"
          ? national
          : form === "international"
            ? `+${number.countryCallingCode} ${spaced(number.nationalNumber)}`
            : form === "e164"
              ? number.number
              : form === "uri"
                ? number.getURI()
                : `00${number.countryCallingCode} ${spaced(number.nationalNumber)}`;
      return { text: form === "uri" ? text : `${text}${extension}`, region };
    });
}
