import { Readable } from "node:stream";
import { type TextEncoding, textEncodingOf } from "../shared/intake/textEncodingOf.js";

/** An input stream turned into text: its encoding, whether it had no bytes at all, and the text as a stream. */
export interface DecodedText {
  encoding: TextEncoding;
  /** True when the input ended before its first byte (`cat missing.csv | …` after `cat` failed). */
  empty: boolean;
  /** The start of the text (at least the first 4 KB when there is that much), for telling the format. */
  head: string;
  /** The whole text, `head` included, as string chunks; the byte order mark is removed. */
  text: Readable;
}

const headBytes = 4096;

/**
 * Reads the first bytes of an input to tell its encoding (UTF-8 or UTF-16 with or without BOM, else
 * Windows-1252), then decodes the rest as it streams, so a file of any size stays in constant memory.
 */
export async function decodeText(input: Readable): Promise<DecodedText> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first: Buffer[] = [];
  let size = 0;
  let done = false;
  try {
    while (size < headBytes) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      const chunk = typeof next.value === "string" ? Buffer.from(next.value, "utf8") : next.value;
      first.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    input.destroy();
    throw err;
  }
  const bytes = Buffer.concat(first);
  const encoding = textEncodingOf(bytes);
  // Decodes as it goes; the decoder drops the BOM, and `stream: true` carries a character split across chunks.
  const decoder = new TextDecoder(encoding.name);
  const head = decoder.decode(bytes, { stream: true });
  async function* rest(): AsyncGenerator<string> {
    try {
      if (head.length > 0) yield head;
      if (!done) {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          const chunk = typeof next.value === "string" ? Buffer.from(next.value, "utf8") : next.value;
          const text = decoder.decode(chunk, { stream: true });
          if (text.length > 0) yield text;
        }
      }
      const tail = decoder.decode();
      if (tail.length > 0) yield tail;
    } finally {
      // Also reached when the reader stops early: release the file.
      await iterator.return?.();
      input.destroy();
    }
  }
  return {
    encoding,
    empty: bytes.length === 0,
    head,
    text: Readable.from(rest(), { objectMode: false, encoding: "utf8" }),
  };
}
