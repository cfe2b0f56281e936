import { type ParseArgsConfig, parseArgs } from "node:util";
import type { CountryCode } from "libphonenumber-js";
import type { Settings } from "../shared/app/config.js";
import { parseTargets } from "../shared/app/config.js";
import { contactRuleOptionsFrom } from "../shared/app/ruleOptions.js";
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import type { ContactField, TargetPolicy } from "../shared/contact/contactFields.js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import type { InputFormat } from "./openRecordSource.js";
import { UsageError } from "./usageError.js";

/**
 * A command's arguments read the one way every command reads them: strict (an unknown option is a usage error,
 * said by describeOptionError), positionals allowed (each command says what it takes).
 */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig["options"]>>(
  args: readonly string[],
  options: O,
) {
  return parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options,
  });
}

/** The parseArgs option every command takes. */
export const helpOption = { help: { type: "boolean", short: "h" } } as const;

/** The parseArgs options of the commands that sign in to Graph (backfill, report); see graphSignInOptions. */
export const signInOptionSpecs = {
  auth: { type: "string" },
  tenant: { type: "string" },
  "client-id": { type: "string" },
} as const;

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
      `--country must be an ISO 3166-1 alpha-2 code such as US or DE, or a country name such as Germany, not "${value.slice(0, 40)}".`,
    );
  }
  return code;
}

/** The contact rules of `settings`, with `--country` (when given) in place of DEFAULT_COUNTRY. */
export function rulesWithCountry(settings: Settings, country: string | undefined): ContactRuleOptions {
  const rules = contactRuleOptionsFrom(settings);
  const code = countryOption(country);
  if (code) rules.defaultCountry = code;
  return rules;
}

/** `--mode fillEmpty|overwrite`; undefined when not given. */
export function modeOption(value: string | undefined): Settings["CONTACT_MODE"] | undefined {
  if (value === undefined) return undefined;
  if (value !== "fillEmpty" && value !== "overwrite") {
    throw new UsageError(`--mode must be fillEmpty or overwrite, not "${value.slice(0, 20)}".`);
  }
  return value;
}

/** `--target`: exactly what CONTACT_TARGET takes (the same parser); undefined when not given. */
export function targetOption(value: string | undefined): Record<ContactField, TargetPolicy> | undefined {
  if (value === undefined) return undefined;
  // As an empty CONTACT_TARGET is: the default.
  const targets = parseTargets(value.trim() === "" ? "profile" : value);
  if (!targets) {
    throw new UsageError(
      `--target must be profile, methods or both, or per field like mobilePhone=methods,officePhone=profile.`,
    );
  }
  return targets;
}
