/** The text encodings HR exports come in, as WHATWG `TextDecoder` labels. */
export type TextEncodingName = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

/** How an input's text is encoded, and whether it starts with a byte order mark. */
export interface TextEncoding {
  name: TextEncodingName;
  bom: boolean;
}

// Enough of the file to see its header row and first records.
const sniffBytes = 4096;

/**
 * Tells the encoding of an export from its first bytes. A byte order mark decides: Excel's "CSV UTF-8" starts
 * with EF BB BF, its "Unicode text" with FF FE (UTF-16LE). Without one, UTF-16 shows as NUL bytes in every
 * other position (ASCII header names are half zeros): at odd offsets little-endian, at even ones big-endian.
 * Anything else is UTF-8 when it decodes as UTF-8, else Windows-1252, which is what Excel's plain "CSV" writes
 * on a Western-European Windows.
 */
export function textEncodingOf(head: Uint8Array): TextEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { name: "utf-8", bom: true };
  if (head[0] === 0xff && head[1] === 0xfe) return { name: "utf-16le", bom: true };
  if (head[0] === 0xfe && head[1] === 0xff) return { name: "utf-16be", bom: true };
  const length = Math.min(head.length, sniffBytes) & ~1;
  if (length >= 2) {
    let evenZeros = 0;
    let oddZeros = 0;
    for (let i = 0; i < length; i += 2) {
      if (head[i] === 0) evenZeros++;
      if (head[i + 1] === 0) oddZeros++;
    }
    const pairs = length / 2;
    if (oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05) return { name: "utf-16le", bom: false };
    if (evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05) return { name: "utf-16be", bom: false };
  }
  return { name: isUtf8(head.subarray(0, sniffBytes)) ? "utf-8" : "windows-1252", bom: false };
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    // `stream: true`: a character cut in two at the end of the sample is not an error.
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}
