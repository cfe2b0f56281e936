import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Registration } from "../shared/app/functionRegistry.js";

/**
 * Imports every module in `functions/` (as the Functions host does through package.json `main`) and returns
 * what they registered. Works from source (tests) and from `dist/` (npm start).
 */
export async function loadFunctions(): Promise<readonly Registration[]> {
  // Tell the registry it runs outside the Functions host, before any function module registers.
  process.env.SSPR_LOCAL_HOST = "1";
  // Imported only now: a static import would run the registry before the line above, and it would ask the
  // @azure/functions package to register its appStart/appTerminate hooks, which warns ("Skipping call to
  // register appTerminate hook…") as the first line a newcomer sees.
  const { registrations } = await import("../shared/app/functionRegistry.js");
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.join(here, "..", "functions");
  const extension = path.extname(fileURLToPath(import.meta.url));
  const files = (await readdir(dir))
    .filter((file) => file.endsWith(extension) && !file.endsWith(".d.ts"))
    .sort();
  for (const file of files) await import(pathToFileURL(path.join(dir, file)).href);
  return registrations;
}
