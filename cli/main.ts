import { readFileSync } from "node:fs";
import { projectFile } from "../shared/app/projectFile.js";
import { ConfigError, ensureErrorType } from "../shared/core/errors.js";
import { backfillCommand, backfillUsage } from "./backfillCommand.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { describeOptionError } from "./describeOptionError.js";
import { doctorCommand, doctorUsage } from "./doctorCommand.js";
import { replayPoisonCommand, replayPoisonUsage } from "./replayPoisonCommand.js";
import { reportCommand, reportUsage } from "./reportCommand.js";
import { UsageError } from "./usageError.js";
import { validateCommand, validateUsage } from "./validateCommand.js";

/** A subcommand: its arguments after the command name in, exit code out; and its --help text. */
interface Command {
  run(args: readonly string[], io: CommandIo): Promise<number>;
  usage: string;
}

// Each subcommand lives in its own file; adding one is one import and one entry here.
const commands: Readonly<Record<string, Command>> = {
  validate: { run: validateCommand, usage: validateUsage },
  backfill: { run: backfillCommand, usage: backfillUsage },
  report: { run: (args, io) => reportCommand(args, io), usage: reportUsage },
  doctor: { run: (args, io) => doctorCommand(args, io), usage: doctorUsage },
  "replay-poison": { run: replayPoisonCommand, usage: replayPoisonUsage },
};

const usage = `Usage: sspr-prepop <command> [options]

Commands:
  validate FILE|-   check HR contact records (CSV or JSON Lines) against the SSPR rules
  backfill FILE     apply an HR export to Entra ID in bulk ($batch, paced, resumable)
  report            count users SSPR can reach, per field; HTML page with a chart and CSV
  doctor            check a deployment before the first new hire (settings, Graph grants, storage, Easy Auth)
  replay-poison     put poison-queue messages back on the onboarding queue after a fix
  help [COMMAND]    this help, or a command's options
  --version         print the version

Run it from the clone as "npm exec --offline -- sspr-prepop <command>": --offline makes npm fail instead of
fetching a package of that name from the registry (see README: never a bare npx).`;

/**
 * Runs the CLI with the given arguments (without node and the script path) and returns the exit code.
 * Usage, settings and input problems become one line on stderr and exit code 2; anything else is a bug and
 * is rethrown with its stack.
 */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout.write(`sspr-prepop ${version()}\n`);
    return ExitCode.ok;
  }
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    // `help validate` is `validate --help`: the command prints its own options.
    if (name === "help" && args[0] !== undefined) return main([args[0], "--help"], io);
    (name === undefined ? io.stderr : io.stdout).write(`${usage}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr.write(
      `sspr-prepop: unknown command "${name.slice(0, 40)}". Commands: ${Object.keys(commands).join(", ")}, help. Run "sspr-prepop help".\n`,
    );
    return ExitCode.usage;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    const error = ensureErrorType(err);
    const optionError = describeOptionError(error, name, command.usage);
    if (optionError === undefined && !(error instanceof UsageError || error instanceof ConfigError))
      throw error;
    io.stderr.write(`${prefixed(name, optionError ?? error.message)}\n`);
    return ExitCode.usage;
  }
}

/**
 * `sspr-prepop validate: …`, or, for a message that already starts with the command's name ("validate needs a
 * FILE"), `sspr-prepop validate needs a FILE`: the command is named once.
 */
function prefixed(command: string, message: string): string {
  return message.startsWith(`${command} `) ? `sspr-prepop ${message}` : `sspr-prepop ${command}: ${message}`;
}

/** The version in package.json: the same file in the clone and in an installed tarball. */
function version(): string {
  const pkg = JSON.parse(readFileSync(projectFile("package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
