import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes `content` to `path` through a temporary file renamed into place: never half a file, and owner-only (0600)
 * from its first byte. The temporary file has a random name beside the target (so the rename stays on one file
 * system) and is created exclusively (`wx`): a file or symlink already at that name — planted by someone who can
 * write the directory, such as /tmp — makes the write fail instead of being followed or reused. The rename
 * replaces whatever is at `path`, a symlink included, without writing through it. Here rather than in cli/ because
 * the backfill checkpoint (this folder) and the CLI's reports both need it, and it is the lowest folder allowed
 * file I/O that both import.
 */
export async function writePrivateFileAtomically(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `${basename(path)}.${randomBytes(16).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", 0o600);
  try {
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    // Only a file this call created is removed: a name that was taken never got this far.
    await rm(temporary, { force: true });
    throw err;
  }
}
