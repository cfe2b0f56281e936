import { spawn } from "node:child_process";
import { PassThrough, Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { ExitCode } from "../../cli/commandIo.js";
import { main } from "../../cli/main.js";
import { ensureErrorType } from "../../shared/core/errors.js";
import { sharedTranspiledCli } from "./transpiledCli.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** What the bin did: its exit code and everything it wrote. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `sspr-prepop` bin in a child process (its sources transpiled as `npm run build` does, once per test
 * run: a plain `node` start costs a third of `node --import tsx`), with only the environment given (plus PATH and
 * HOME), so no setting of the developer's shell leaks in.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  options: { cwd?: string; onStart?: (child: ReturnType<typeof spawn>) => void } = {},
): Promise<CliRun> {
  const bin = await sharedTranspiledCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? repo,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    options.onStart?.(child);
  });
}

/**
 * Runs the CLI in this process through the bin's own entry, `main()` (cli/sspr-prepop.ts adds only the process
 * streams, the exit code, and an unexpected error as exit 2 with its stack, which this does too), with real
 * streams: the text given on stdin, stdout and stderr collected. Only the environment given is the CLI's (plus
 * PATH and HOME), as runCli gives its child. Milliseconds instead of the seconds a child spends loading the CLI,
 * so most CLI tests run this way; each CLI test file keeps a few runCli/runNode runs of the real bin.
 */
export async function runMain(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  options: { stdin?: string } = {},
): Promise<CliRun> {
  const stdout = collect();
  const stderr = collect();
  let code: number;
  try {
    code = await main(args, {
      stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
  } catch (err) {
    stderr.stream.write(`sspr-prepop: unexpected error: ${ensureErrorType(err).stack ?? String(err)}\n`);
    code = ExitCode.usage;
  }
  return { code, stdout: await stdout.text(), stderr: await stderr.text() };
}

function collect(): { stream: PassThrough; text: () => Promise<string> } {
  const stream = new PassThrough();
  let collected = "";
  stream.setEncoding("utf8").on("data", (chunk: string) => {
    collected += chunk;
  });
  // Ended and drained first: a chunk still in the stream's buffer would otherwise be missing from the text.
  const text = async () => {
    stream.end();
    await finished(stream);
    return collected;
  };
  return { stream, text };
}
