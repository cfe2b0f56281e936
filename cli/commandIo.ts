import type { Readable, Writable } from "node:stream";

/** The process streams and environment a command uses; the bin passes the real ones, tests may pass fakes. */
export interface CommandIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

/** Exit codes shared by every subcommand. */
export const ExitCode = { ok: 0, invalidRecords: 1, usage: 2 } as const;
