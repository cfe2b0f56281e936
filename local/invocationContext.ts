import { randomUUID } from "node:crypto";
// Bundled CommonJS: Node's ESM loader sees only the default export.
import functions from "@azure/functions";

const { InvocationContext } = functions;

/** The context the Functions host hands a function: its name, a fresh invocation id, the trigger's metadata, the log. */
export function invocationContext(
  functionName: string,
  triggerType: string,
  triggerMetadata: Record<string, unknown>,
  log: (line: string) => void,
): InstanceType<typeof InvocationContext> {
  return new InvocationContext({
    functionName,
    invocationId: randomUUID(),
    triggerMetadata,
    options: { trigger: { type: triggerType, name: "trigger" } },
    logHandler: (level, ...args) =>
      log(`[${functionName}] ${level === "information" ? "" : `${level}: `}${args.map(String).join(" ")}`),
  });
}
