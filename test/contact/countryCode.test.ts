import { describe, expect, it } from "vitest";
import { toCountryCode } from "../../shared/contact/countryCode.js";

describe("toCountryCode", () => {
  it.each([
    ["US", "US"],
    ["us", "US"],
    [" de ", "DE"],
    ["United States", "US"],
    ["united states", "US"],
    ["United States of America", "US"],
    ["USA", "US"],
    ["UK", "GB"],
    ["United Kingdom", "GB"],
    ["Great Britain", "GB"],
    ["Germany", "DE"],
    ["Deutschland", "DE"],
    ["Allemagne", "DE"],
    ["France", "FR"],
    ["Spain", "ES"],
    ["España", "ES"],
    ["Espana", "ES"],
    ["Italia", "IT"],
    ["Japan", "JP"],
    ["Brazil", "BR"],
    ["Brasil", "BR"],
    ["The Netherlands", "NL"],
    ["Côte d’Ivoire", "CI"],
    ["Cote d'Ivoire", "CI"],
    ["Bosnia and Herzegovina", "BA"],
    ["Bosnia & Herzegovina", "BA"],
    ["Saint Kitts and Nevis", "KN"],
    ["St. Lucia", "LC"],
    ["Myanmar", "MM"],
    ["Burma", "MM"],
    ["Türkiye", "TR"],
    ["Turkey", "TR"],
    ["South Korea", "KR"],
    ["Czech Republic", "CZ"],
    ["Czechia", "CZ"],
    ["Russia", "RU"],
    ["Hong Kong", "HK"],
  ])("maps %s to %s", (input, code) => {
    expect(toCountryCode(input)).toBe(code);
  });

  it.each(["", "   ", "ZZ", "XX", "Atlantis", "U", "12", "+49", "a".repeat(500), "constructor", "__proto__"])(
    "returns undefined for %s",
    (input) => {
      expect(toCountryCode(input)).toBeUndefined();
    },
  );

  it("answers the same on repeated lookups (cached)", () => {
    expect(toCountryCode("Germany")).toBe("DE");
    expect(toCountryCode("Germany")).toBe("DE");
    expect(toCountryCode("Atlantis")).toBeUndefined();
    expect(toCountryCode("Atlantis")).toBeUndefined();
  });
});
