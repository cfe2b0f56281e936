import { describe, expect, it } from "vitest";
import { isMaskedContact } from "../../shared/contact/isMaskedContact.js";
import { maskContact } from "../../shared/contact/mask.js";

describe("telling a masked phone number or email from a real one", () => {
  it.each([
    ["+1 425XXXX166", "X for digits, as Graph shows an Authentication Administrator"],
    ["+1 425xxxx166", "lower-case x for digits"],
    ["+1 XXXXXXXX66", "every digit but two hidden"],
    ["+1 42555501xx", "the last digits hidden"],
    ["+1 ***100", "this app's own mask"],
    ["+1 425****166", "stars for digits"],
    ["+44 7700 9•••••", "bullets for digits"],
    ["+44 7700 9●●●●●", "black circles for digits"],
    ["+1 425XXXX166x123", "hidden digits, then an extension"],
    ["a***@e***.net", "an email masked as Graph and this app mask it"],
    ["a*@example.com", "one star in the local part"],
    ["ann@e***.example", "a masked domain"],
    ["a••••@example.com", "bullets in the local part"],
  ])("counts %s as masked (%s)", (value) => {
    expect(isMaskedContact(value)).toBe(true);
  });

  it.each([
    ["+1 4255550147", "a number in SSPR format"],
    ["+1 4255550147x123", "a number with an extension"],
    ["+1 4255550147X123", "a number with an upper-case extension marker"],
    ["+44 7700900123", "another country"],
    ["alex@example.com", "an email"],
    ["xavier.x@example.org", "an email with x in it"],
  ])("takes %s as a real value (%s)", (value) => {
    expect(isMaskedContact(value)).toBe(false);
  });

  it.each([["+1 4255550147"], ["+34 612345678"], ["mei.chen@example.org"]])(
    "counts this app's own mask of %s as masked",
    (value) => {
      expect(isMaskedContact(maskContact(value))).toBe(true);
    },
  );
});
