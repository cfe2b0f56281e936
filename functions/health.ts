import { readFileSync } from "node:fs";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { projectFile } from "../shared/app/projectFile.js";
import { ConfigError } from "../shared/core/errors.js";
import { problem } from "../shared/http/problem.js";

let version: string | undefined;

/**
 * `GET /api/health`: the deployed package loaded (this module is one of them) and the app's settings are valid.
 * It reads no storage and no Graph, and returns no data: the post-deploy smoke check and uptime probes call it.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    appServices();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    context.error(`health: ${err.message}`);
    // Behind a function key: the deployer who calls it needs the setting's name, which is no secret.
    return problem(503, "configuration_invalid", err.message);
  }
  version ??= (JSON.parse(readFileSync(projectFile("package.json"), "utf8")) as { version?: string }).version;
  return { status: 200, jsonBody: { status: "ok", version: version ?? "unknown" } };
}

register.http("health", {
  route: "health",
  methods: ["GET"],
  authLevel: "function",
  handler: health,
});
