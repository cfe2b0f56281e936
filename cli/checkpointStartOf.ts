import { resolve } from "node:path";
import {
  type BackfillCheckpoint,
  backfillCheckpointPath,
  fingerprintInput,
  type InputFingerprint,
  isSameInput,
  readBackfillCheckpoint,
} from "../shared/backfill/backfillCheckpoint.js";
import type { BackfillRequest } from "./backfillRequest.js";
import type { CommandIo } from "./commandIo.js";
import type { InputFormat } from "./openRecordSource.js";
import { UsageError } from "./usageError.js";

/** Where the run keeps its checkpoint and what it continues from: the resume decision. */
export interface CheckpointStart {
  /** The checkpoint file; undefined for a dry run or stdin, which keep none. */
  path: string | undefined;
  /** The input's fingerprint (content hash); undefined for stdin. */
  input: InputFingerprint | undefined;
  /** Rows in the input, counted from its lines; undefined for stdin. */
  total: number | undefined;
  /** The options that change what a row does; a resume must use the same. */
  options: BackfillCheckpoint["options"];
  /** The interrupted run's checkpoint when --resume continues it. */
  resumed: BackfillCheckpoint | undefined;
}

/**
 * Reads an earlier run's checkpoint: with --resume it must exist and match the input's content and the options;
 * without, a note says it is replaced.
 */
export async function checkpointStartOf(request: BackfillRequest, io: CommandIo): Promise<CheckpointStart> {
  const { path, policy } = request;
  const checkpointPath =
    request.fromStdin || request.dryRun ? undefined : backfillCheckpointPath(resolve(path));
  // One read of the input gives its content hash and its line count; a missing file is reported when opened.
  const fingerprint = request.fromStdin
    ? undefined
    : await fingerprintInput(resolve(path)).catch(() => undefined);
  const input = fingerprint
    ? { path: fingerprint.path, size: fingerprint.size, sha256: fingerprint.sha256 }
    : undefined;
  const total = fingerprint
    ? Math.max(0, fingerprint.lines - (csvLike(path, request.format) ? 1 : 0))
    : undefined;
  const options = {
    mode: policy.mode,
    target: JSON.stringify(policy.target),
    syncedMobile: policy.syncedMobile,
  };
  const previous = checkpointPath ? await loadCheckpoint(checkpointPath) : undefined;
  if (request.resume) {
    if (!previous)
      throw new UsageError(`Nothing to resume: no checkpoint ${checkpointPath} from an interrupted run.`);
    checkResumable(previous, fingerprint, options);
  } else if (previous) {
    io.stderr.write(
      `sspr-prepop backfill: note: starting over; the checkpoint of an earlier interrupted run is replaced (pass --resume to continue it instead)\n`,
    );
  }
  return { path: checkpointPath, input, total, options, resumed: request.resume ? previous : undefined };
}

/** Whether the input has a header line to leave out of the row count (CSV), judged before it is opened. */
function csvLike(path: string, format: InputFormat | undefined): boolean {
  if (format) return format === "csv";
  return !/\.(jsonl|ndjson|json)$/i.test(path);
}

async function loadCheckpoint(path: string): Promise<BackfillCheckpoint | undefined> {
  try {
    return await readBackfillCheckpoint(path);
  } catch (err) {
    throw new UsageError(
      `Cannot read the checkpoint ${path} (${err instanceof Error ? err.message : String(err)}); delete it to start over.`,
    );
  }
}

function checkResumable(
  checkpoint: BackfillCheckpoint,
  input: InputFingerprint | undefined,
  options: BackfillCheckpoint["options"],
): void {
  if (!input || !isSameInput(checkpoint, input)) {
    throw new UsageError(
      checkpoint.input.sha256 !== undefined
        ? "The input's content changed since the checkpoint was written; a resume would skip the wrong rows. Restore the file the run started with, or delete the checkpoint to start over."
        : "The input changed since the checkpoint was written (size or modification time: this checkpoint predates content hashes); a resume would skip the wrong rows. Delete the checkpoint to start over.",
    );
  }
  for (const key of ["mode", "target", "syncedMobile"] as const) {
    if (checkpoint.options[key] !== options[key]) {
      throw new UsageError(
        `The interrupted run used ${key} ${checkpoint.options[key]}, not ${options[key]}; resume with the same options or delete the checkpoint.`,
      );
    }
  }
}
