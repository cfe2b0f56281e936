/** One option as a command's help text lists it. */
export interface UsageOption {
  /** `--country` */
  name: string;
  /** `-h` for `-h, --help`, when the option has a short form. */
  short?: string;
  /** `XX` for `--country XX`; undefined for a flag. */
  value?: string;
}

/**
 * The options a command's help text lists (`  --country XX      …`, `  -h, --help        …`). The help text is what
 * users read, so the options an error message offers are the ones they can look up; a test checks that the
 * parser accepts each of them.
 */
export function usageOptions(usage: string): UsageOption[] {
  const options: UsageOption[] = [];
  for (const [, short, name, value] of usage.matchAll(
    /^ {2}(?:(-\w), )?(--[\w-]+)(?: (\S+))?(?: {2,}|$)/gm,
  )) {
    if (!name) continue;
    options.push({ name, ...(short ? { short } : {}), ...(value ? { value } : {}) });
  }
  return options;
}
