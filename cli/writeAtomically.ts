import { rename, rm } from "node:fs/promises";
import { writePrivateFile } from "./privateFile.js";
import { UsageError } from "./usageError.js";

/** Writes `content` to `path` through a private temporary file renamed into place: never half a file, never 0644. */
export async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    // 0600 on the temporary file, so the report is never readable by others, not even for a moment.
    await writePrivateFile(temporary, content);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new UsageError(`Cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`, {
      cause: err,
    });
  }
}
