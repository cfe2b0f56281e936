import type { HttpResponseInit } from "@azure/functions";
import { problem } from "./problem.js";

/** The 413 answer for a body over `maxBytes`. */
export function tooLargeProblem(maxBytes: number): HttpResponseInit {
  return problem(413, "payload_too_large", `The body must be at most ${maxBytes} bytes.`);
}
