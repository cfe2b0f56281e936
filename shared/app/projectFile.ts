import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of a file at the project root (beside package.json). Code runs both from source (tests, tsx)
 * and from `dist/` (Functions host, CLI), so the root is found by walking up rather than by a fixed `..`.
 */
export function projectFile(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`Cannot find the project root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return path.join(dir, name);
}
