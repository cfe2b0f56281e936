import type {
  HttpFunctionOptions,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from "@azure/functions";
// The package is a bundled CommonJS module whose named exports Node's ESM loader cannot see: use the default.
import functions from "@azure/functions";

const { app } = functions;

/** One function definition exactly as handed to `app.*`; the local host serves these same objects. */
export type Registration =
  | { kind: "http"; name: string; options: HttpFunctionOptions }
  | { kind: "storageQueue"; name: string; options: StorageQueueFunctionOptions }
  | { kind: "timer"; name: string; options: TimerFunctionOptions };

/** Every function registered so far, in registration order. */
export const registrations: Registration[] = [];

/**
 * Set by the local host and tests: outside the Functions host `app.*` only prints "test mode" warnings, so
 * skip it there and keep the definition for the local host to run.
 */
const outsideFunctionsHost = () => process.env.SSPR_LOCAL_HOST === "1";

/** Registers functions with the Functions host and records them, so routes and queues have one source of truth. */
export const register = {
  http(name: string, options: HttpFunctionOptions): void {
    registrations.push({ kind: "http", name, options });
    if (!outsideFunctionsHost()) app.http(name, options);
  },
  storageQueue(name: string, options: StorageQueueFunctionOptions): void {
    registrations.push({ kind: "storageQueue", name, options });
    if (!outsideFunctionsHost()) app.storageQueue(name, options);
  },
  timer(name: string, options: TimerFunctionOptions): void {
    registrations.push({ kind: "timer", name, options });
    if (!outsideFunctionsHost()) app.timer(name, options);
  },
};
