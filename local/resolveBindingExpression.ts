import type { Settings } from "../shared/app/config.js";

/** Resolves `%SETTING%` binding expressions against the app settings, as the Functions host does. */
export function resolveBindingExpression(value: string, settings: Settings): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = (settings as Record<string, unknown>)[name] ?? process.env[name];
    if (resolved === undefined || resolved === "") throw new Error(`App setting ${name} is not set`);
    return String(resolved);
  });
}
