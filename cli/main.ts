import { ConfigError, ensureErrorType } from "../shared/core/errors.js";
import { backfillCommand } from "./backfillCommand.js";
import { doctorCommand } from "./doctorCommand.js";
import { reportCommand } from "./reportCommand.js";
import { UsageError } from "./usageError.js";
import { type CommandIo, ExitCode, validateCommand } from "./validateCommand.js";

/** A subcommand: its arguments after the command name in, exit code out. */
type Command = (args: readonly string[], io: CommandIo) => Promise<number>;

// Each subcommand lives in its own file; adding `backfill` or `report` is one import and one entry here.
const commands: Readonly<Record<string, Command>> = {
  validate: validateCommand,
  backfill: backfillCommand,
  report: (args, io) => reportCommand(args, io),
  doctor: (args, io) => doctorCommand(args, io),
};

const usage = `Usage: sspr-prepop <command> [options]

Commands:
  validate FILE|-   check HR contact records (CSV or JSON Lines) against the SSPR rules
  backfill FILE     apply an HR export to Entra ID in bulk ($batch, paced, resumable)
  report            count users SSPR can reach, per field; HTML page with a chart and CSV
  doctor            check a deployment before the first new hire (settings, Graph grants, storage, Easy Auth)

Run "sspr-prepop <command> --help" for a command's options.`;

/**
 * Runs the CLI with the given arguments (without node and the script path) and returns the exit code.
 * Usage, settings and input problems become one line on stderr and exit code 2; anything else is a bug and
 * is rethrown with its stack.
 */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(`${usage}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr.write(`sspr-prepop: unknown command "${name.slice(0, 40)}". ${usage.split("\n")[0]}\n`);
    return ExitCode.usage;
  }
  try {
    return await command(args, io);
  } catch (err) {
    const error = ensureErrorType(err);
    if (!isUserError(error)) throw error;
    io.stderr.write(`sspr-prepop ${name}: ${error.message}\n`);
    return ExitCode.usage;
  }
}

function isUserError(error: Error): boolean {
  return (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    ("code" in error && typeof error.code === "string" && error.code.startsWith("ERR_PARSE_ARGS_"))
  );
}
