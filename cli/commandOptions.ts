import type { CountryCode } from "libphonenumber-js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import type { InputFormat } from "./openRecordSource.js";
import { UsageError } from "./usageError.js";

/** `--format csv|jsonl` (`ndjson` read as `jsonl`); undefined when not given: the file's name or content decides. */
export function inputFormatOption(value: string | undefined): InputFormat | undefined {
  if (value === undefined) return undefined;
  const format = value.toLowerCase();
  if (format === "csv" || format === "jsonl") return format;
  if (format === "ndjson") return "jsonl";
  throw new UsageError(`--format must be csv or jsonl, not "${value.slice(0, 20)}".`);
}

/** `--country XX`: an ISO code or a country name `toCountryCode` knows, as DEFAULT_COUNTRY takes; undefined when not given. */
export function countryOption(value: string | undefined): CountryCode | undefined {
  if (value === undefined) return undefined;
  const code = toCountryCode(value);
  if (code === undefined) {
    throw new UsageError(
      `--country must be an ISO 3166-1 alpha-2 code such as US or DE, not "${value.slice(0, 40)}".`,
    );
  }
  return code;
}
