import { type CountryCode, getCountries, isSupportedCountry } from "libphonenumber-js/max";

// HR systems export country NAMES ("United States", "Deutschland"), sometimes in the HR admin's language.
// Intl.DisplayNames gives every region's name in these languages without shipping a names table; the
// aliases cover the informal and historic names no CLDR locale uses.
const nameLocales = ["en", "de", "fr", "es", "it", "pt", "nl"] as const;

const countryAliases: Readonly<Record<string, CountryCode>> = {
  usa: "US",
  "united states of america": "US",
  america: "US",
  "u s": "US",
  "u s a": "US",
  uk: "GB",
  "great britain": "GB",
  britain: "GB",
  england: "GB",
  scotland: "GB",
  wales: "GB",
  "northern ireland": "GB",
  "united kingdom of great britain and northern ireland": "GB",
  deutschland: "DE",
  brd: "DE",
  holland: "NL",
  "the netherlands": "NL",
  "czech republic": "CZ",
  turkey: "TR",
  russia: "RU",
  "russian federation": "RU",
  korea: "KR",
  "republic of korea": "KR",
  "korea republic of": "KR",
  "democratic people s republic of korea": "KP",
  "democratic republic of the congo": "CD",
  drc: "CD",
  "republic of the congo": "CG",
  burma: "MM",
  "ivory coast": "CI",
  "cape verde": "CV",
  swaziland: "SZ",
  macedonia: "MK",
  "hong kong": "HK",
  macau: "MO",
  macao: "MO",
  uae: "AE",
  vatican: "VA",
  "vatican city": "VA",
  "viet nam": "VN",
  "iran islamic republic of": "IR",
  "taiwan province of china": "TW",
  "bolivia plurinational state of": "BO",
  "venezuela bolivarian republic of": "VE",
  "tanzania united republic of": "TZ",
  "moldova republic of": "MD",
  "lao people s democratic republic": "LA",
  "syrian arab republic": "SY",
  "brunei darussalam": "BN",
  "east timor": "TL",
  palestine: "PS",
};

/** Maps an ISO 3166-1 alpha-2 code or a country name (English, a few European languages, common aliases) to a code. */
export function toCountryCode(nameOrCode: string): CountryCode | undefined {
  if (typeof nameOrCode !== "string") return undefined;
  const cached = lookupCache.get(nameOrCode);
  if (cached !== undefined || lookupCache.has(nameOrCode)) return cached;
  const resolved = resolve(nameOrCode);
  // Bounded so a file full of distinct junk values cannot grow memory; real exports repeat a few names.
  if (lookupCache.size >= 1000) lookupCache.clear();
  lookupCache.set(nameOrCode, resolved);
  return resolved;
}

const lookupCache = new Map<string, CountryCode | undefined>();
let namesByKey: Map<string, CountryCode> | undefined;

function resolve(raw: string): CountryCode | undefined {
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > 100) return undefined;
  if (trimmed.length === 2) {
    const upper = trimmed.toUpperCase();
    if (isSupportedCountry(upper)) return upper;
  }
  return countryNames().get(toKey(trimmed));
}

function countryNames(): Map<string, CountryCode> {
  if (namesByKey) return namesByKey;
  const names = new Map<string, CountryCode>();
  const add = (name: string, code: CountryCode) => {
    const key = toKey(name);
    if (key.length > 0 && !names.has(key)) names.set(key, code);
  };
  // English first: when two languages use the same spelling for different regions, English wins.
  for (const locale of nameLocales) {
    const display = new Intl.DisplayNames([locale], { type: "region", fallback: "none" });
    for (const code of getCountries()) {
      const name = display.of(code);
      if (!name) continue;
      add(name, code);
      // "Myanmar (Burma)", "Cocos (Keeling) Islands": HR data usually has the name without the parenthesis.
      if (name.includes("(")) add(name.replace(/\([^)]*\)/g, " "), code);
    }
  }
  for (const [alias, code] of Object.entries(countryAliases)) add(alias, code);
  namesByKey = names;
  return names;
}

// One spelling per name: no accents, case, punctuation, "&"/"and" or "St."/"Saint" differences.
function toKey(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .replace(/\bst\b/g, "saint")
    .trim()
    .replace(/^the /, "");
}
