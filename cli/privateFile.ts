import { constants, type WriteStream } from "node:fs";
import { lstat, open } from "node:fs/promises";

/**
 * Owner read/write only. Reports and checkpoints name users (UPNs, object ids, employee ids) next to their
 * masked contact data and SSPR readiness: not for every account on the machine to read.
 */
export const privateFileMode = 0o600;

/**
 * Opens a file for writing (`w` replaces it, `a` appends: a resume) with mode 0600, never through a symlink.
 * Reports are often written to a shared directory (/tmp), where anyone may plant a link at the name to make this run
 * overwrite a file of their choosing: the open uses `O_NOFOLLOW`, so a symlink at `path` fails it (on Windows, which
 * has no such flag, the link is looked for first). What is opened must be a regular file, and a file that already
 * existed with a wider mode is narrowed to 0600 (`mode` only applies when the file is created).
 * Rejects with the file system's error.
 */
export async function openPrivateWriteStream(path: string, flags: "w" | "a" = "w"): Promise<WriteStream> {
  const noFollow = constants.O_NOFOLLOW;
  if (noFollow === undefined && (await isSymlink(path))) throw symlinkRefused(path);
  const how =
    constants.O_WRONLY | constants.O_CREAT | (flags === "w" ? constants.O_TRUNC : constants.O_APPEND);
  const handle = await open(path, how | (noFollow ?? 0), privateFileMode).catch(
    (err: NodeJS.ErrnoException) => {
      throw err.code === "ELOOP" ? symlinkRefused(path) : err;
    },
  );
  try {
    if (!(await handle.stat()).isFile()) {
      throw Object.assign(new Error(`${path} is not a regular file`), { code: "EINVAL" });
    }
    await handle.chmod(privateFileMode);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle.createWriteStream();
}

function symlinkRefused(path: string): Error {
  return Object.assign(
    new Error(`${path} is a symbolic link, which is never written through; name the file itself`),
    { code: "ELOOP" },
  );
}

async function isSymlink(path: string): Promise<boolean> {
  return lstat(path).then(
    (info) => info.isSymbolicLink(),
    () => false,
  );
}
