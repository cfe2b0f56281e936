import { type UsageOption, usageOptions } from "./usageOptions.js";

/**
 * The one line to print for a `parseArgs` error (an unknown option, a missing or unexpected value), in the
 * command's own terms: which option, what it takes, and which options exist. Undefined for any other error.
 */
export function describeOptionError(error: Error, command: string, usage: string): string | undefined {
  const code = "code" in error && typeof error.code === "string" ? error.code : "";
  if (!code.startsWith("ERR_PARSE_ARGS_")) return undefined;
  const options = usageOptions(usage);
  const seeHelp = `See "sspr-prepop help ${command}".`;
  // parseArgs names the option in quotes: Unknown option '--verbos' / Option '-c, --country <value>' argument missing.
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const given = quoted.split("=")[0] ?? quoted;
    const guess = closest(given, options);
    return `unknown option ${given.slice(0, 40)}${guess ? ` (did you mean ${guess}?)` : ""}. Options: ${options.map(label).join(", ")}. ${seeHelp}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
    const option = options.find((o) => o.name === name);
    if (/does not take an argument/.test(error.message)) return `${name} takes no value. ${seeHelp}`;
    return `${name} needs a value${option?.value ? `, as in ${name} ${option.value}` : ""}. ${seeHelp}`;
  }
  return `${error.message.split(". ")[0]}. ${seeHelp}`;
}

function label(option: UsageOption): string {
  return option.short ? `${option.short}/${option.name}` : option.name;
}

/** The listed option nearest to a mistyped one (at most two edits away), as a suggestion. */
function closest(given: string, options: UsageOption[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const { name } of options) {
    const distance = editDistance(given.toLowerCase(), name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
