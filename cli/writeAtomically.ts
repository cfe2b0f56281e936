import { writePrivateFileAtomically } from "../shared/backfill/writePrivateFileAtomically.js";
import { UsageError } from "./usageError.js";

/**
 * Writes `content` to `path` through a private temporary file renamed into place: never half a file, never 0644,
 * never through a symlink planted at the temporary file's name (`writePrivateFileAtomically`).
 */
export async function writeAtomically(path: string, content: string): Promise<void> {
  try {
    await writePrivateFileAtomically(path, content);
  } catch (err) {
    throw new UsageError(`Cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`, {
      cause: err,
    });
  }
}
