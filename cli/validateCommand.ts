import type { Writable } from "node:stream";
import { loadSettings, type Settings } from "../shared/app/config.js";
import { type ValidatedRecord, validateRecord } from "../shared/contact/validateStream.js";
import type { CsvDelimiter } from "../shared/intake/csvDelimiterOf.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { helpOption, inputFormatOption, parseCommandArgs, rulesWithCountry } from "./commandOptions.js";
import { fileArgument } from "./fileArgument.js";
import { LineWriter } from "./lineWriter.js";
import { openRecordSource, type RecordSource } from "./openRecordSource.js";
import { csvOutputHeader, toCsvOutputLine } from "./toCsvOutputLine.js";
import { toOutputLine } from "./toOutputLine.js";
import { tableHeading, toTableLines } from "./toTableLines.js";
import { UsageError } from "./usageError.js";

/** The `validate --help` text. */
export const validateUsage = `Usage: sspr-prepop validate FILE|- [--format csv|jsonl] [--output table|jsonl|csv] [--country XX]

Checks HR contact records against the SSPR contact rules without changing anything.
Prints the result of each record on stdout and a summary on stderr.

  FILE              CSV (header row; separated by , ; tab or |; UTF-8, UTF-16 or Windows-1252) or
                    JSON Lines of ContactEvents; - reads stdin
  --format F        csv or jsonl (default: from the extension, else from the first character)
  --output O        table (default on a terminal), jsonl (default when piped) or csv
  --country XX      default region for numbers in national form (overrides DEFAULT_COUNTRY)
  -h, --help        show this help

Exit status: 0 every record is valid, 1 some record is not or there is no record, 2 usage or input error.
Settings: DEFAULT_COUNTRY, PHONE_VALIDATION (valid|possible), ORGANIZATION_DOMAINS. Offline: alternate
emails are compared with ORGANIZATION_DOMAINS only, not with the tenant's verified domains.`;

/** How `validate` prints each record. */
export type OutputFormat = "table" | "jsonl" | "csv";

const outputs: Readonly<
  Record<OutputFormat, { heading: string; render: (record: ValidatedRecord) => string }>
> = {
  table: { heading: tableHeading, render: toTableLines },
  jsonl: { heading: "", render: toOutputLine },
  csv: { heading: csvOutputHeader, render: toCsvOutputLine },
};

/** `sspr-prepop validate`: validates a CSV or JSONL file (or stdin) record by record; returns the exit code. */
export async function validateCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    format: { type: "string" },
    output: { type: "string" },
    country: { type: "string" },
    ...helpOption,
  });
  if (values.help) {
    io.stdout.write(`${validateUsage}\n`);
    return ExitCode.ok;
  }
  const path = fileArgument("validate", positionals);
  const format = inputFormatOption(values.format);
  const output = outputs[toOutput(values.output, io.stdout)];
  const rules = rulesWithCountry(contactRuleSettings(io.env), values.country);

  const source = await openRecordSource(path, { format, stdin: io.stdin });
  if (source.empty) {
    io.stderr.write(
      `validate ${source.name}: the input is empty (0 bytes), so nothing was checked. If it comes from a pipe, the command writing it may have failed.\n`,
    );
    return ExitCode.invalidRecords;
  }
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
    if (output.heading) writer.write(output.heading);
    // One await per chunk of the input, not per record; each record is validated and written before the next.
    reading: for await (const batch of source.batches) {
      for (const sourceRecord of batch) {
        const record = validateRecord(sourceRecord, rules);
        tally.add(record.result);
        const waiting = writer.write(output.render(record));
        if (waiting) await waiting;
        if (outputError) break reading;
      }
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
  io.stderr.write(tally.summary(describeSource(source), rules.organizationDomains));
  return tally.invalid > 0 || tally.records === 0 ? ExitCode.invalidRecords : ExitCode.ok;
}

function toOutput(value: string | undefined, stdout: Writable): OutputFormat {
  // A person at a terminal reads a table; a pipe or a file gets JSON Lines, the format tools read.
  if (value === undefined) return (stdout as { isTTY?: boolean }).isTTY === true ? "table" : "jsonl";
  const output = value.toLowerCase();
  if (output === "table" || output === "jsonl" || output === "csv") return output;
  if (output === "ndjson" || output === "json") return "jsonl";
  throw new UsageError(`--output must be table, jsonl or csv, not "${value.slice(0, 20)}".`);
}

const encodingNames = {
  "utf-8": "",
  "utf-16le": "UTF-16LE",
  "utf-16be": "UTF-16BE",
  "windows-1252": "Windows-1252",
};
const delimiterNames: Readonly<Record<CsvDelimiter, string>> = {
  ",": "",
  ";": "semicolon-separated",
  "\t": "tab-separated",
  "|": "pipe-separated",
};

// "export.txt (csv, UTF-16LE, tab-separated)": what was detected, when it is not plain UTF-8 with commas.
function describeSource(source: RecordSource): string {
  const delimiter = source.delimiter();
  const details = [
    source.format,
    encodingNames[source.encoding.name],
    delimiter !== undefined ? delimiterNames[delimiter] : "",
  ].filter((detail) => detail.length > 0);
  return `${source.name} (${details.join(", ")})`;
}

/**
 * Only the contact-rule settings matter here; reading them through loadSettings keeps one source of truth for
 * names, defaults and error messages without failing on settings that belong to other commands.
 */
function contactRuleSettings(env: Record<string, string | undefined>): Settings {
  return loadSettings({
    DEFAULT_COUNTRY: env.DEFAULT_COUNTRY,
    PHONE_VALIDATION: env.PHONE_VALIDATION,
    ORGANIZATION_DOMAINS: env.ORGANIZATION_DOMAINS,
  });
}

function codeOf(err: Error): string {
  return "code" in err && typeof err.code === "string" ? err.code : err.name;
}

/** Counts records and issue codes for the stderr summary; holds only counters, so memory stays flat. */
class Tally {
  records = 0;
  invalid = 0;
  /** Records that carried an alternate email, valid or not: the ones the offline domain check applies to. */
  emails = 0;
  private readonly errors = new Map<string, number>();
  private readonly warnings = new Map<string, number>();

  add(result: ValidatedRecord["result"]): void {
    this.records++;
    if (!result.ok) this.invalid++;
    let email = result.ok && result.value.contact.alternateEmail !== undefined;
    if (!result.ok) {
      for (const issue of result.issues) {
        this.errors.set(issue.code, (this.errors.get(issue.code) ?? 0) + 1);
        if (issue.field === emailField) email = true;
      }
    }
    for (const issue of result.warnings)
      this.warnings.set(issue.code, (this.warnings.get(issue.code) ?? 0) + 1);
    if (email) this.emails++;
  }

  summary(source: string, organizationDomains: readonly string[]): string {
    const valid = this.records - this.invalid;
    if (this.records === 0) {
      return `validate ${source}: 0 records: the input holds no record, so nothing was checked.\n`;
    }
    const lines = [
      `validate ${source}: ${count(this.records, "record")}, ${formatCount(valid)} valid, ${formatCount(this.invalid)} invalid`,
    ];
    const width = Math.max(0, ...[...this.errors.keys(), ...this.warnings.keys()].map((code) => code.length));
    if (this.errors.size > 0) lines.push("errors by code:", ...table(this.errors, width));
    if (this.warnings.size > 0) lines.push("warnings by code:", ...table(this.warnings, width));
    if (this.emails > 0) {
      const domains =
        organizationDomains.length > 0
          ? `ORGANIZATION_DOMAINS only (${organizationDomains.join(", ")})`
          : "nothing: ORGANIZATION_DOMAINS is not set";
      lines.push(
        `note: this check is offline, so alternate emails were compared with ${domains}; the deployed app also refuses every verified domain of the tenant.`,
      );
    }
    return `${lines.join("\n")}\n`;
  }
}

const emailField = "contact.alternateEmail";

function table(counts: Map<string, number>, width: number): string[] {
  const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const countWidth = Math.max(...rows.map(([, n]) => formatCount(n).length));
  return rows.map(([code, n]) => `  ${code.padEnd(width)}  ${formatCount(n).padStart(countWidth)}`);
}

// A fixed locale: the summary reads the same on every machine, and scripts may parse it.
function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

function count(n: number, word: string): string {
  return `${formatCount(n)} ${n === 1 ? word : `${word}s`}`;
}
