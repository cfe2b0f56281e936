import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { RunTotals } from "./runTotals.js";
import { writePrivateFileAtomically } from "./writePrivateFileAtomically.js";

/**
 * Where an interrupted backfill left off. Rows are reported in input order, so the finished rows are always
 * every row up to one line: `doneThroughLine`. The input's content hash and the options that change what a row
 * does are kept, so a resume refuses a different file or different options — and accepts the same content
 * whatever its modification time (a `touch`, a copy).
 *
 * Version 1 checkpoints (before the content hash) identified the input by size and modification time; they are
 * still read and resumed on those.
 */
export interface BackfillCheckpoint {
  version: 1 | 2;
  input: InputFingerprint;
  options: { mode: string; target: string; syncedMobile: string };
  /** Every row on or before this line is finished (applied, unchanged, rejected or failed). */
  doneThroughLine: number;
  /** Running totals, so the summary of a resumed run covers the whole file. */
  totals: RunTotals;
  updatedAt: string;
}

/** What identifies an input file: its content's SHA-256 (version 2), or its size and time (version 1). */
export interface InputFingerprint {
  path: string;
  size: number;
  sha256?: string;
  mtimeMs?: number;
}

/**
 * Reads the input once: its fingerprint (content hash, size, time) and its number of lines (for the progress
 * bar's total), so the hash costs no second read.
 */
export async function fingerprintInput(path: string): Promise<InputFingerprint & { lines: number }> {
  const info = await stat(path);
  const hash = createHash("sha256");
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    last = chunk[chunk.length - 1] ?? last;
  }
  if (last !== 10) lines++;
  return { path, size: info.size, mtimeMs: info.mtimeMs, sha256: hash.digest("hex"), lines };
}

/** True when `current` is the input the checkpoint was written for. */
export function isSameInput(checkpoint: BackfillCheckpoint, current: InputFingerprint): boolean {
  if (checkpoint.input.sha256 !== undefined) return checkpoint.input.sha256 === current.sha256;
  return checkpoint.input.size === current.size && checkpoint.input.mtimeMs === current.mtimeMs;
}

/**
 * The checkpoint file beside the input: `.sspr-checkpoint.<input name>.json` (hidden, and git-ignored by the
 * repository's `.sspr-checkpoint*` pattern).
 */
export function backfillCheckpointPath(inputPath: string): string {
  return join(dirname(inputPath), `.sspr-checkpoint.${basename(inputPath)}.json`);
}

/** Reads a checkpoint; undefined when there is none. Throws when the file exists but is not a checkpoint. */
export async function readBackfillCheckpoint(path: string): Promise<BackfillCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<BackfillCheckpoint>;
  if (
    (parsed.version !== 1 && parsed.version !== 2) ||
    typeof parsed.doneThroughLine !== "number" ||
    !parsed.input ||
    !parsed.totals
  ) {
    throw new SyntaxError(`${path} is not a backfill checkpoint (version 1 or 2)`);
  }
  return parsed as BackfillCheckpoint;
}

/**
 * Writes the checkpoint atomically: a temporary file beside it, then a rename, so a crash mid-write leaves the
 * previous checkpoint whole instead of a truncated one. Owner-only (0600) from the first byte: it holds the
 * input's path and the run's totals. The temporary file's name is random and created exclusively, so a symlink
 * planted beside the checkpoint is never written through (`writePrivateFileAtomically`).
 */
export async function writeBackfillCheckpoint(path: string, checkpoint: BackfillCheckpoint): Promise<void> {
  await writePrivateFileAtomically(path, `${JSON.stringify(checkpoint, null, 2)}\n`);
}

/** Removes the checkpoint once a run has finished every row. */
export async function removeBackfillCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}
