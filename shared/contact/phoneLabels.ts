/**
 * The labels the phone rule removes from around a number, by language: the words HR exports and email
 * signatures put next to a number to say which one it is. A closed list on purpose: a word not in it (`Fax`,
 * `Home`, a name) leaves the value refused, because text that is not clearly a label may change what the
 * number means. docs/validate.md shows the same table.
 */
export const phoneLabels: Readonly<Record<string, readonly string[]>> = {
  English: [
    "mobile",
    "mobile phone",
    "mob",
    "cell",
    "cell phone",
    "cellphone",
    "work",
    "work phone",
    "office",
    "office phone",
    "business",
    "business phone",
    "phone",
    "telephone",
    "tel",
    "m",
    "w",
    "o",
    "c",
  ],
  German: ["mobil", "mobiltelefon", "handy", "telefon", "büro", "buero", "geschäftlich", "dienstlich"],
  French: ["portable", "port", "téléphone", "tél", "bureau", "travail"],
  Spanish: ["móvil", "celular", "cel", "teléfono", "trabajo", "oficina"],
  Portuguese: ["telemóvel", "telefone", "trabalho", "escritório"],
  Italian: ["cellulare", "ufficio", "lavoro"],
  Dutch: ["mobiel", "telefoon", "werk", "kantoor"],
  // Not ケータイ: its ー is also how Japanese input methods type the dash between digit groups.
  Japanese: ["携帯", "携帯電話", "電話", "電話番号", "会社", "勤務先", "仕事"],
  Chinese: ["手机", "手機", "电话", "電話", "办公室", "辦公室", "公司", "工作"],
  Korean: ["휴대폰", "휴대전화", "핸드폰", "전화", "회사", "사무실", "직장"],
};

/** A label found around a number: the number without it, and the label as written (a word from the list). */
export interface StrippedLabel {
  text: string;
  label: string;
}

// Compared without case, accents or repeated spaces, so "Móvil", "MOVIL" and "movil" are one label.
const labelKeys: ReadonlySet<string> = new Set(Object.values(phoneLabels).flat().map(toLabelKey));
// The letter O is also how people mistype the digit 0 ("(O)7400 123456" could be a trunk 0). It counts as a label
// only in the one form where it cannot be part of the number: first, followed by a colon.
const digitLookalikes = new Set(["o"]);

// Prefix forms: "Mobile: …", "Mobile - …", "Tel. …", "Tel.: …", "(Mobile) …", "[Mobile] …", "【携帯】…".
const bracketedPrefix = /^[([]\s*([\p{L}\p{M}][\p{L}\p{M} ]{0,29}?)\s*[)\]]\s*(?:[:-]\s*)?(?=\S)/u;
const separatedPrefix = /^([\p{L}\p{M}][\p{L}\p{M} ]{0,29}?)\s*(\.?\s*[:-]|\.(?=[\s\d+(]))\s*(?=\S)/u;
// "Cell 312 345 6934", "Mobile (201) 555-0693", "携帯09012345678": the label, then a space or nothing, then the number.
const spacedPrefix = /^([\p{L}\p{M}][\p{L}\p{M} ]{0,29}?)\s*(?=[\d+(])/u;
// Suffix forms: "… (work)", "… [cell]", "… - office".
const bracketedSuffix = /(?<=\S)\s*[([]\s*([\p{L}\p{M}][\p{L}\p{M} ]{0,29}?)\s*[)\]]$/u;
const dashedSuffix = /(?<=\S)\s*-\s*([\p{L}\p{M}][\p{L}\p{M} ]{0,29}?)\.?$/u;
const startsOrEndsWithLetter = /^[\s([]*[\p{L}\p{M}]|[\p{L}\p{M}][\s.)\]]*$/u;

/**
 * Removes ONE label from the start or the end of a phone value, in the forms `Label: n`, `Label - n`, `Tel. n`,
 * `Label n`, `Labeln`, `(Label) n`, `n (Label)` and `n - Label`; undefined when there is none. Only words of `phoneLabels` count,
 * and a single letter only with a colon, a dash or brackets (the letter O only as `O:`). What remains is read as the
 * number, so text around a second label or anything else is still refused by the number rule.
 */
export function tryStripPhoneLabel(text: string): StrippedLabel | undefined {
  // Most values start with a digit, + or ( and end with a digit: no label, decided without a regex.
  const first = text.charCodeAt(0);
  if ((isDigit(first) || first === 0x2b) && isDigit(text.charCodeAt(text.length - 1))) return undefined;
  if (!startsOrEndsWithLetter.test(text)) return undefined;
  // The end first: in "tel:+24740123 (mobile)" the label is "(mobile)", and "tel:" the URI's scheme.
  const suffix = bracketedSuffix.exec(text);
  if (suffix && isLabel(suffix[1], "brackets")) return stripped(text, suffix, "suffix");
  const dashed = dashedSuffix.exec(text);
  if (dashed && isLabel(dashed[1], "dash")) return stripped(text, dashed, "suffix");
  const bracketed = bracketedPrefix.exec(text);
  if (bracketed && isLabel(bracketed[1], "brackets")) return stripped(text, bracketed, "prefix");
  const separated = separatedPrefix.exec(text);
  if (separated && isLabel(separated[1], separatorForm(separated[2]))) {
    return stripped(text, separated, "prefix");
  }
  const spaced = spacedPrefix.exec(text);
  if (spaced && isLabel(spaced[1], "space")) return stripped(text, spaced, "prefix");
  return undefined;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

type LabelForm = "colon" | "dash" | "dot" | "brackets" | "space";

function separatorForm(separator: string | undefined): LabelForm {
  if (separator?.includes(":")) return "colon";
  return separator?.includes("-") ? "dash" : "dot";
}

function isLabel(candidate: string | undefined, form: LabelForm): boolean {
  if (candidate === undefined) return false;
  const key = toLabelKey(candidate);
  if (!labelKeys.has(key)) return false;
  if (digitLookalikes.has(key)) return form === "colon";
  // "Tel. 030…" is an abbreviation, but "M. 425…" or "M 425…" may be an initial: a single letter needs a colon, dash
  // or brackets.
  return key.length > 1 || (form !== "dot" && form !== "space");
}

function stripped(text: string, match: RegExpExecArray, side: "prefix" | "suffix"): StrippedLabel {
  const rest = side === "prefix" ? text.slice(match[0].length) : text.slice(0, match.index);
  return { text: rest.trim(), label: (match[1] ?? "").trim() };
}

function toLabelKey(label: string): string {
  return label.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}
