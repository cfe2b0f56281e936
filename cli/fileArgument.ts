import { UsageError } from "./usageError.js";

/** The one FILE (or `-` for stdin) a file-reading subcommand takes, or a usage error naming the command. */
export function fileArgument(command: string, positionals: readonly string[]): string {
  if (positionals.length === 0) throw new UsageError(`${command} needs a FILE (or - for stdin).`);
  if (positionals.length > 1) throw new UsageError(`${command} takes exactly one FILE.`);
  return positionals[0] ?? "-";
}
