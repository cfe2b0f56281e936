import { createWriteStream, fchmod, type WriteStream } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";

/**
 * Owner read/write only. Reports and checkpoints name users (UPNs, object ids, employee ids) next to their
 * masked contact data and SSPR readiness: not for every account on the machine to read.
 */
export const privateFileMode = 0o600;

/**
 * Opens a file for writing with mode 0600. `mode` only applies when the file is created, so a file that already
 * exists (a report written before, or appended to on resume) is narrowed to 0600 as soon as it is open.
 * Rejects with the file system's error.
 */
export async function openPrivateWriteStream(path: string, flags: "w" | "a" = "w"): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags, mode: privateFileMode });
  await new Promise<void>((resolve, reject) => {
    stream.once("open", (fd: number) =>
      fchmod(fd, privateFileMode, (err) => {
        if (!err) return resolve();
        stream.destroy();
        reject(err);
      }),
    );
    stream.once("error", reject);
  });
  return stream;
}

/** Writes a whole file with mode 0600, narrowing it if it already existed with another mode. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: privateFileMode });
  await chmod(path, privateFileMode);
}
