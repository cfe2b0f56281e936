import { once } from "node:events";
import type { Writable } from "node:stream";

// Writing each short line on its own costs a syscall per record; 64 KB batches keep stdout off the profile.
const batchSize = 64 * 1024;

/** Buffers text for a writable stream and waits for `drain` when it is full, so output never piles up in memory. */
export class LineWriter {
  private buffered: string[] = [];
  private size = 0;

  constructor(private readonly output: Writable) {}

  /** Queues text; returns a promise only when the batch went out and the stream asked to wait. */
  write(text: string): Promise<void> | undefined {
    this.buffered.push(text);
    this.size += text.length;
    return this.size >= batchSize ? this.flush() : undefined;
  }

  /** Sends what is buffered and resolves once the stream can take more. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.buffered.join("");
    this.buffered = [];
    this.size = 0;
    if (this.output.destroyed || this.output.writableEnded) throw new Error("output stream is closed");
    // `once` rejects on 'error' (EPIPE when the reader went away), so a dead pipe cannot hang the loop.
    if (!this.output.write(chunk)) await once(this.output, "drain");
  }
}
