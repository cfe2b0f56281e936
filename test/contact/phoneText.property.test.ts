import fc from "fast-check";
import { type CountryCode, getCountries } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { phoneLabels } from "../../shared/contact/phoneLabels.js";
import { normalizePhone, type PhoneRuleOptions } from "../../shared/contact/phoneRule.js";
import type { Result } from "../../shared/core/result.js";
import { examplePhones, writtenForm, writtenNumber } from "../support/writtenPhones.js";

// Properties of the phone value as people write it: labels, Unicode digits and punctuation, several numbers.
const numRuns = 3000;

const labels = Object.values(phoneLabels).flat();
const anyCase = (word: string) =>
  fc.constantFrom(word, word.toUpperCase(), `${word.slice(0, 1).toUpperCase()}${word.slice(1)}`);

type LabelForm = (label: string, number: string) => string;

/** Each documented way to write a label, for labels of two letters or more. */
const wordForms: readonly [LabelForm, LabelForm, ...LabelForm[]] = [
  (l, n) => `${l}: ${n}`,
  (l, n) => `${l}:${n}`,
  (l, n) => `${l} - ${n}`,
  (l, n) => `${l} -${n}`,
  (l, n) => `${l}. ${n}`,
  (l, n) => `${l}.: ${n}`,
  (l, n) => `(${l}) ${n}`,
  (l, n) => `[${l}]${n}`,
  (l, n) => `${n} (${l})`,
  (l, n) => `${n}(${l})`,
  (l, n) => `${n} [${l}]`,
  (l, n) => `${n} - ${l}`,
  spacedForm,
  gluedForm,
];
/** A word then a space or nothing: read only when the number starts with a digit, + or ( ("Mobile tel:+1…" is not). */
function spacedForm(l: string, n: string): string {
  return `${l} ${n}`;
}
function gluedForm(l: string, n: string): string {
  return `${l}${n}`;
}
const startsLikeANumber = /^[\d+(]/;

/** A single letter (M, W, C) is a label with a colon, a dash or brackets; O only with a colon. */
const letterForms: readonly [LabelForm, LabelForm, ...LabelForm[]] = [
  (l, n) => `${l}: ${n}`,
  (l, n) => `${l}:${n}`,
  (l, n) => `${l} - ${n}`,
  (l, n) => `(${l}) ${n}`,
  (l, n) => `${n} (${l})`,
  (l, n) => `${n} - ${l}`,
];

const labelled = fc.tuple(fc.constantFrom(...labels), fc.nat()).chain(([label, pick]) => {
  const all = label === "o" ? letterForms.slice(0, 2) : label.length === 1 ? letterForms : wordForms;
  // "tel:" right before the digits is the scheme of an RFC 3966 URI, read as one (see the table tests).
  const forms = label === "tel" ? all.filter((form) => form !== wordForms[1]) : all;
  const form: LabelForm = forms[pick % forms.length] ?? wordForms[0];
  return anyCase(label).map((written) => ({ written, form }));
});

const region = fc.option(fc.constantFrom(...getCountries()), { nil: undefined });
const options = (defaultCountry: CountryCode | undefined): fc.Arbitrary<PhoneRuleOptions> =>
  fc.record({
    field: fc.constant("contact.mobilePhone"),
    defaultCountry: fc.constantFrom(defaultCountry, undefined),
    validation: fc.constantFrom("valid", "possible"),
    expect: fc.constantFrom("mobile", "office", undefined),
  });

/** What a result says, warnings included, in a form that compares with toEqual. */
function verdict(result: Result<unknown>) {
  return result.ok
    ? { ok: true, value: result.value, warnings: result.warnings.map((w) => w.code) }
    : { ok: false, issues: result.issues.map((i) => i.code), warnings: result.warnings.map((w) => w.code) };
}

describe("phone labels", () => {
  it("gives every documented label form exactly the unlabelled number's result, plus phone_label_removed", () => {
    fc.assert(
      fc.property(
        writtenNumber.chain((n) => fc.tuple(fc.constant(n), options(n.region))),
        labelled,
        ([number, rule], { written, form }) => {
          fc.pre((form !== spacedForm && form !== gluedForm) || startsLikeANumber.test(number.text));
          const plain = verdict(normalizePhone(number.text, rule));
          const result = normalizePhone(form(written, number.text), rule);
          expect(verdict(result)).toEqual({ ...plain, warnings: ["phone_label_removed", ...plain.warnings] });
          expect(result.warnings[0]?.message).toContain(`"${written}"`);
        },
      ),
      { numRuns },
    );
  });

  it("never accepts a labelled value whose unlabelled number is refused, in any default region", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."0123456789 +-()x".split("")), maxLength: 20 }),
        labelled,
        region,
        (text, { written, form }, defaultCountry) => {
          const rule: PhoneRuleOptions = { field: "f", validation: "valid", defaultCountry };
          const plain = normalizePhone(text, rule);
          const result = normalizePhone(form(written, text), rule);
          if (result.ok) expect(plain.ok && plain.value).toEqual(result.value);
        },
      ),
      { numRuns },
    );
  });
});

// Zero of each decimal digit system people's HR data comes in: full-width, Arabic-Indic, extended Arabic-Indic
// (Persian, Urdu), Devanagari, Bengali, Thai, Myanmar, Khmer, mathematical bold.
const digitZeros = [0xff10, 0x0660, 0x06f0, 0x0966, 0x09e6, 0x0e50, 0x1040, 0x17e0, 0x1d7ce];
// Each ASCII character of a number and Unicode characters that mean the same.
const lookalikes: Readonly<Record<string, readonly string[]>> = {
  "-": ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\uFF0D", "\u30FC"],
  " ": ["\u00A0", "\u2007", "\u202F", "\u3000", " \u200B"],
  "(": ["\uFF08"],
  ")": ["\uFF09"],
  "+": ["\uFF0B"],
  ".": ["\uFF0E"],
  "/": ["\uFF0F"],
  x: ["\uFF58"],
};

describe("Unicode digits and punctuation", () => {
  it("gives a number written with any one decimal digit system and Unicode punctuation the ASCII number's result", () => {
    fc.assert(
      fc.property(
        writtenNumber.filter((n) => !n.text.startsWith("tel:")),
        fc.constantFrom(...digitZeros),
        fc.infiniteStream(fc.nat()),
        (number, zero, picks) => {
          const iterator = picks[Symbol.iterator]();
          const pick = () => iterator.next().value as number;
          const unicode = [...number.text]
            .map((char) => {
              if (/[0-9]/.test(char)) {
                return pick() % 3 === 0 ? char : String.fromCodePoint(zero + Number(char));
              }
              const options = lookalikes[char];
              return options && pick() % 2 === 0 ? (options[pick() % options.length] ?? char) : char;
            })
            .join("");
          const rule: PhoneRuleOptions = { field: "f", validation: "valid", defaultCountry: number.region };
          expect(verdict(normalizePhone(unicode, rule)), unicode).toEqual(
            verdict(normalizePhone(number.text, rule)),
          );
        },
      ),
      { numRuns },
    );
  });
});

const listSeparators = [
  " / ",
  "/",
  ", ",
  ",",
  "; ",
  ";",
  " | ",
  " & ",
  "\n",
  "\r\n",
  " - ",
  " or ",
  " oder ",
  " ou ",
  " y ",
  "、",
  " ",
  "  ",
];

describe("several numbers in one value", () => {
  it("never accepts a value holding two numbers, however they are joined or labelled", () => {
    fc.assert(
      fc.property(
        writtenNumber,
        writtenNumber,
        fc.constantFrom(...listSeparators),
        fc.option(labelled, { nil: undefined }),
        fc.option(labelled, { nil: undefined }),
        fc.constantFrom("valid", "possible"),
        fc.nat(2),
        (first, second, separator, firstLabel, secondLabel, validation, which) => {
          const a = firstLabel ? firstLabel.form(firstLabel.written, first.text) : first.text;
          const b = secondLabel ? secondLabel.form(secondLabel.written, second.text) : second.text;
          const defaultCountry = [first.region, second.region, undefined][which];
          const result = normalizePhone(`${a}${separator}${b}`, {
            field: "f",
            validation,
            defaultCountry,
          });
          expect(result.ok, `${a}${separator}${b} → ${result.ok && result.value.canonical}`).toBe(false);
        },
      ),
      { numRuns },
    );
  });

  it("never accepts two numbers of the same region, nor a number next to a near copy of itself", () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...examplePhones)
          .chain((example) => fc.tuple(writtenForm(example), writtenForm(example), fc.nat(9))),
        fc.constantFrom(...listSeparators),
        fc.constantFrom("valid", "possible"),
        fc.boolean(),
        ([first, second, digit], separator, validation, nearCopy) => {
          // A near copy changes the last digit: a second number of the same plan and length, valid or not.
          const b = nearCopy ? second.text.replace(/\d(?=\D*$)/, String(digit)) : second.text;
          const result = normalizePhone(`${first.text}${separator}${b}`, {
            field: "f",
            validation,
            defaultCountry: first.region,
          });
          expect(result.ok, `${first.text}${separator}${b}`).toBe(false);
        },
      ),
      { numRuns },
    );
  });
});
