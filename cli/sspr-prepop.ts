#!/usr/bin/env node
import { ensureErrorType } from "../shared/core/errors.js";
import { ExitCode } from "./commandIo.js";
import { main } from "./main.js";

// The bin: real process streams in, exit code out. Everything testable lives in main.ts.
main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    // exitCode rather than exit(): pending stdout writes still get flushed.
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug, not a usage error: keep the stack for the report, and still exit 2 rather than Node's 1.
    process.stderr.write(`sspr-prepop: unexpected error: ${ensureErrorType(err).stack ?? String(err)}\n`);
    process.exitCode = ExitCode.usage;
  },
);
