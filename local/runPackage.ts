import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { AppServices } from "../shared/app/appServices.js";
import type { Registration } from "../shared/app/functionRegistry.js";
import type { QueueHostSettings } from "../shared/app/hostJson.js";
import { startLocalHost } from "./localHost.js";
import { remoteStorageProblem } from "./remoteStorageProblem.js";
import { StartProblem } from "./startProblem.js";

/**
 * Runs a built deployment package (`npm run package`, the folder azd zips) on the local host, from that folder
 * alone: its package.json `main` names the function modules, and they and everything they import (dist/,
 * node_modules/, host.json) come from the folder, as in Azure. Only the host, standing in for the Functions
 * host, comes from this repo. Settings come from the environment; prints `ready <url>`, stops on SIGINT/SIGTERM.
 * Storage off this machine is refused first, in one line (exit code 2), as `npm start` refuses it.
 *
 *   node --import tsx local/runPackage.ts .deploy
 */
async function main(): Promise<void> {
  // Before the package's appStart publishes anything: a deployed account's queue and tables are not the local host's.
  const remote = remoteStorageProblem(process.env);
  if (remote) throw remote;
  const dir = path.resolve(process.argv[2] ?? ".deploy");
  const { main: entry } = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
    main?: string;
  };
  if (!entry)
    throw new Error(`${dir}/package.json has no "main": the Functions host would find no functions`);
  // Outside the Functions host, the registry records each function instead of calling app.* (test mode).
  process.env.SSPR_LOCAL_HOST = "1";
  const modules = mainFiles(dir, entry);
  if (modules.length === 0) throw new Error(`"main": "${entry}" matches no file in ${dir}`);
  for (const file of modules) await import(pathToFileURL(file).href);

  // The package's own copies: the functions above registered with, and read their services from, these.
  const fromPackage = <T>(file: string): Promise<T> =>
    import(pathToFileURL(path.join(dir, "dist", "shared", "app", file)).href) as Promise<T>;
  const { registrations } = await fromPackage<{ registrations: readonly Registration[] }>(
    "functionRegistry.js",
  );
  const app = await fromPackage<{
    appServices(): AppServices;
    withAppServices<T>(services: AppServices, run: () => T): T;
  }>("appServices.js");
  // As the Functions host's appStart hook: the package's own copy publishes the policy for the CLI.
  const { onAppStart } = await fromPackage<{ onAppStart(): Promise<unknown> }>("onAppStart.js");
  await onAppStart();
  const { readQueueHostSettings } = await fromPackage<{ readQueueHostSettings(): QueueHostSettings }>(
    "hostJson.js",
  );
  const host = await startLocalHost({
    registrations,
    settings: app.appServices().settings,
    app,
    queueSettings: readQueueHostSettings(),
    log: (line) => console.log(line),
  });
  console.log(`ready ${host.url} ${registrations.map((r) => r.name).join(",")}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await host.close();
}

/**
 * The files package.json `main` names, as the Functions Node.js worker reads it: a path, or a glob with `*` in
 * its last segment (`dist/functions/*.js`).
 */
function mainFiles(dir: string, entry: string): string[] {
  const file = path.join(dir, entry);
  const base = path.basename(file);
  if (!base.includes("*")) return [file];
  const pattern = new RegExp(`^${base.split("*").map(escapeRegExp).join("[^/]*")}$`);
  return readdirSync(path.dirname(file))
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => path.join(path.dirname(file), name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

main().catch((err: unknown) => {
  if (err instanceof StartProblem) {
    console.error(`package host: ${err.message}`);
    process.exitCode = err.exitCode;
    return;
  }
  console.error(`package host failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
