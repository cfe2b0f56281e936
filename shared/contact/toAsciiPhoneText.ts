/** Why a phone value could not be rewritten in ASCII safely. */
export interface PhoneTextProblem {
  problem: string;
}

// Dashes people and word processors type between digit groups: hyphen, non-breaking hyphen, figure/en/em dash,
// horizontal bar, minus sign, small and full-width hyphen-minus, and the katakana long vowel mark (ー, half-width
// ｰ) that Japanese input methods produce for "-". Wave dashes (〜, ～) are left alone: in Japanese they mark a
// range ("0120-123-456〜8"), which is several numbers.
const dashes = new Set([
  0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xfe58, 0xfe63, 0x30fc, 0xff70,
]);
// Invisible characters that copy-and-paste leaves inside numbers: soft hyphen, zero-width space and joiners,
// word joiner, byte order mark, and the left-to-right / right-to-left / Arabic letter marks of RTL text.
const invisible = new Set([0x00ad, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x200e, 0x200f, 0x061c]);
// Bidi embeddings, overrides and isolates change the order in which the digits are DISPLAYED: the value a person
// checked on screen is not the value stored. Such a number is refused rather than guessed.
const reordering = /[\u202A-\u202E\u2066-\u2069]/;
const brackets: Readonly<Record<number, string>> = {
  65113: "(",
  65114: ")",
  12304: "[",
  12305: "]",
  12308: "[",
  12309: "]",
};
const printableAscii = /^[\x20-\x7E]*$/;
const decimalDigit = /\p{Nd}/u;
const spaceSeparator = /\p{Zs}/u;

/**
 * Rewrites the characters HR systems and people use in phone numbers into the ASCII the rules read: any Unicode
 * decimal digit (full-width ２, Arabic-Indic ٢, Devanagari २, …) to its value, full-width ASCII (（）＋：ｘ) to
 * ASCII, Unicode dashes to `-`, Unicode spaces to a space; invisible marks are dropped. Letters of other
 * scripts stay as they are (labels such as 携帯 are matched later). Refused: digits of two different non-ASCII
 * writing systems in one value, and bidi controls that reorder how the digits are shown.
 */
export function toAsciiPhoneText(text: string): string | PhoneTextProblem {
  // Almost every value is plain ASCII already: one regex test, and no object for the common case.
  if (printableAscii.test(text)) return text;
  if (reordering.test(text)) {
    return { problem: "contains bidirectional-text controls that change the order digits are shown in" };
  }
  let out = "";
  let digitSystem: number | undefined;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) {
      out += code === 0x09 ? " " : char;
      continue;
    }
    if (decimalDigit.test(char)) {
      const zero = zeroOf(code);
      if (digitSystem !== undefined && digitSystem !== zero) {
        return { problem: "mixes digits of two different writing systems" };
      }
      digitSystem = zero;
      out += String.fromCharCode(0x30 + code - zero);
    } else if (code >= 0xff01 && code <= 0xff5e) {
      out += String.fromCharCode(code - 0xfee0);
    } else if (dashes.has(code)) {
      out += "-";
    } else if (invisible.has(code)) {
      // dropped
    } else if (code === 0x3000 || spaceSeparator.test(char)) {
      out += " ";
    } else {
      out += brackets[code] ?? char;
    }
  }
  return out;
}

const zeros = new Map<number, number>();

// Unicode encodes every decimal digit system as a contiguous run 0–9 (a stability guarantee), and adjacent runs
// (the mathematical digits) are whole runs of ten: a digit's value is its distance from the run's start, mod 10.
function zeroOf(code: number): number {
  const cached = zeros.get(code);
  if (cached !== undefined) return cached;
  let start = code;
  while (decimalDigit.test(String.fromCodePoint(start - 1))) start--;
  const zero = code - ((code - start) % 10);
  zeros.set(code, zero);
  return zero;
}
