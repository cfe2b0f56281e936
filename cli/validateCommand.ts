import type { Readable, Writable } from "node:stream";
import { parseArgs } from "node:util";
import { loadSettings } from "../shared/app/config.js";
import { contactRuleOptionsFrom } from "../shared/app/ruleOptions.js";
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import { validateStream } from "../shared/contact/validateStream.js";
import { fileArgument } from "./fileArgument.js";
import { LineWriter } from "./lineWriter.js";
import { type InputFormat, openRecordSource } from "./openRecordSource.js";
import { toOutputLine } from "./toOutputLine.js";
import { UsageError } from "./usageError.js";

/** The process streams and environment a command uses; the bin passes the real ones, tests may pass fakes. */
export interface CommandIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

/** Exit codes shared by every subcommand. */
export const ExitCode = { ok: 0, invalidRecords: 1, usage: 2 } as const;

/** The `validate --help` text. */
export const validateUsage = `Usage: sspr-prepop validate FILE|- [--format csv|jsonl] [--country XX]

Checks HR contact records against the SSPR contact rules without changing anything.
Prints one JSON line per record on stdout and a summary on stderr.

  FILE              CSV (header row) or JSON Lines of ContactEvents; - reads stdin
  --format F        csv or jsonl (default: from the extension, else from the first character)
  --country XX      default region for numbers in national form (overrides DEFAULT_COUNTRY)
  -h, --help        show this help

Exit status: 0 every record is valid, 1 some record is not, 2 usage or input error.
Settings: DEFAULT_COUNTRY, PHONE_VALIDATION (valid|possible), ORGANIZATION_DOMAINS.`;

/** `sspr-prepop validate`: validates a CSV or JSONL file (or stdin) record by record; returns the exit code. */
export async function validateCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: "string" },
      country: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout.write(`${validateUsage}\n`);
    return ExitCode.ok;
  }
  const path = fileArgument("validate", positionals);
  const format = toFormat(values.format);
  const rules = ruleOptions(io.env, values.country);

  const source = await openRecordSource(path, { format, stdin: io.stdin });
  let outputError: Error | undefined;
  const onOutputError = (err: Error) => {
    outputError = err;
  };
  // Stays attached: an EPIPE can also arrive after the last write, and an 'error' event without a listener
  // would crash the process with a stack trace.
  io.stdout.on("error", onOutputError);
  const writer = new LineWriter(io.stdout);
  const tally = new Tally();
  try {
    for await (const record of validateStream(source.records, rules)) {
      tally.add(record.result);
      const waiting = writer.write(toOutputLine(record));
      if (waiting) await waiting;
      if (outputError) break;
    }
    if (!outputError) await writer.flush();
  } catch (err) {
    if (outputError) {
      // The reader went away; the loop's own error is only a consequence of that.
    } else {
      // Keep the lines already validated: they are correct, and they show where the input broke.
      await writer.flush().catch(() => undefined);
      throw err;
    }
  }
  if (outputError) {
    throw new UsageError(`Cannot write the results: stdout was closed (${codeOf(outputError)}).`);
  }
  io.stderr.write(tally.summary(source.name, source.format));
  return tally.invalid > 0 ? ExitCode.invalidRecords : ExitCode.ok;
}

function toFormat(value: string | undefined): InputFormat | undefined {
  if (value === undefined) return undefined;
  const format = value.toLowerCase();
  if (format === "csv" || format === "jsonl") return format;
  if (format === "ndjson") return "jsonl";
  throw new UsageError(`--format must be csv or jsonl, not "${value.slice(0, 20)}".`);
}

function ruleOptions(
  env: Record<string, string | undefined>,
  country: string | undefined,
): ContactRuleOptions {
  // Only the contact-rule settings matter here; reading them through loadSettings keeps one source of truth
  // for names, defaults and error messages without failing on settings that belong to other commands.
  const rules = contactRuleOptionsFrom(
    loadSettings({
      DEFAULT_COUNTRY: env.DEFAULT_COUNTRY,
      PHONE_VALIDATION: env.PHONE_VALIDATION,
      ORGANIZATION_DOMAINS: env.ORGANIZATION_DOMAINS,
    }),
  );
  if (country !== undefined) {
    const code = toCountryCode(country);
    if (code === undefined) {
      throw new UsageError(
        `--country must be an ISO 3166-1 alpha-2 code such as US or DE, not "${country.slice(0, 40)}".`,
      );
    }
    rules.defaultCountry = code;
  }
  return rules;
}

function codeOf(err: Error): string {
  return "code" in err && typeof err.code === "string" ? err.code : err.name;
}

/** Counts records and issue codes for the stderr summary; holds only counters, so memory stays flat. */
class Tally {
  records = 0;
  invalid = 0;
  private readonly errors = new Map<string, number>();
  private readonly warnings = new Map<string, number>();

  add(result: { ok: boolean; warnings: { code: string }[]; issues?: { code: string }[] }): void {
    this.records++;
    if (!result.ok) this.invalid++;
    for (const issue of result.issues ?? [])
      this.errors.set(issue.code, (this.errors.get(issue.code) ?? 0) + 1);
    for (const issue of result.warnings)
      this.warnings.set(issue.code, (this.warnings.get(issue.code) ?? 0) + 1);
  }

  summary(name: string, format: InputFormat): string {
    const valid = this.records - this.invalid;
    const lines = [
      `validate ${name} (${format}): ${this.records} ${plural(this.records, "record")}, ${valid} valid, ${this.invalid} invalid`,
    ];
    const width = Math.max(0, ...[...this.errors.keys(), ...this.warnings.keys()].map((code) => code.length));
    if (this.errors.size > 0) lines.push("errors by code:", ...table(this.errors, width));
    if (this.warnings.size > 0) lines.push("warnings by code:", ...table(this.warnings, width));
    return `${lines.join("\n")}\n`;
  }
}

function table(counts: Map<string, number>, width: number): string[] {
  const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return rows.map(([code, count]) => `  ${code.padEnd(width)}  ${count}`);
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}
