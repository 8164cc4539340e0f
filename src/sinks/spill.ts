/**
 * An append-only overflow file for a sink queue: when memory is full, events go to disk instead of being dropped,
 * and come back in order as the queue drains. Lines left at shutdown are read back on the next start.
 *
 * Appends and reads are synchronous on purpose: appending must stay a cheap synchronous call for the producer (a
 * page-cache write), and reads happen on the consumer side in bounded chunks.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { LifecycleEvent } from '../events.js';

/** An event with the time the queue accepted it (ms since epoch). */
export interface QueuedEvent {
  event: LifecycleEvent;
  acceptedAt: number;
}

const READ_CHUNK_BYTES = 64 * 1024;

/** The overflow file of one sink. */
export class SpillFile {
  private fd: number;
  private size: number;
  private readOffset = 0;
  private pendingLines: number;
  /** Lines that could not be parsed on read-back (a torn write at a crash); skipped. */
  malformed = 0;

  constructor(
    readonly path: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a+');
    this.size = fstatSync(this.fd).size;
    this.pendingLines = this.size > 0 ? countLines(this.fd, this.size) : 0;
  }

  /** Events waiting in the file. */
  get pending(): number {
    return this.pendingLines;
  }

  get pendingBytes(): number {
    return this.size - this.readOffset;
  }

  /** Appends one event; false when the file would pass `maxBytes` (the caller counts a drop). */
  append(item: QueuedEvent): boolean {
    const bytes = Buffer.from(toLine(item));
    if (this.size + bytes.length > this.maxBytes) return false;
    writeSync(this.fd, bytes);
    this.size += bytes.length;
    this.pendingLines += 1;
    return true;
  }

  /** Reads up to `max` events back, oldest first; truncates the file once everything was read. */
  read(max: number): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    let chunkBytes = READ_CHUNK_BYTES;
    while (out.length < max && this.readOffset < this.size) {
      const length = Math.min(chunkBytes, this.size - this.readOffset);
      const buffer = Buffer.alloc(length);
      const got = readSync(this.fd, buffer, 0, length, this.readOffset);
      const lastNewline = buffer.lastIndexOf(0x0a, got - 1);
      if (lastNewline < 0) {
        if (this.readOffset + got >= this.size) {
          // A trailing line without newline: a torn write; skip it.
          this.malformed += 1;
          this.readOffset = this.size;
          break;
        }
        chunkBytes *= 2; // a single line longer than the chunk
        continue;
      }
      let start = 0;
      while (out.length < max) {
        const end = buffer.indexOf(0x0a, start);
        if (end < 0 || end > lastNewline) break;
        this.readOffset += end - start + 1;
        this.pendingLines = Math.max(0, this.pendingLines - 1);
        const parsed = parseLine(buffer.subarray(start, end).toString('utf8'));
        if (parsed) out.push(parsed);
        else this.malformed += 1;
        start = end + 1;
      }
    }
    if (this.readOffset >= this.size) {
      // Everything is back in memory: reclaim the space; appends (O_APPEND) continue from the new end.
      ftruncateSync(this.fd, 0);
      this.size = 0;
      this.readOffset = 0;
      this.pendingLines = 0;
    }
    return out;
  }

  /**
   * Puts events back in front of what the file holds (at shutdown, for events that were in memory), through a
   * temporary file and a rename so a crash midway leaves either the old file or the new one. Ignores `maxBytes`:
   * these events were already accepted.
   */
  prepend(items: readonly QueuedEvent[]): void {
    if (items.length === 0) return;
    const rest = Buffer.alloc(this.size - this.readOffset);
    if (rest.length > 0) readSync(this.fd, rest, 0, rest.length, this.readOffset);
    const content = Buffer.concat([Buffer.from(items.map(toLine).join('')), rest]);
    const temporary = `${this.path}.tmp`;
    const out = openSync(temporary, 'w');
    try {
      writeSync(out, content);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    renameSync(temporary, this.path);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a+');
    this.size = content.length;
    this.readOffset = 0;
    this.pendingLines += items.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function toLine(item: QueuedEvent): string {
  return `${JSON.stringify({ t: item.acceptedAt, e: item.event })}\n`;
}

function parseLine(line: string): QueuedEvent | undefined {
  try {
    const value = JSON.parse(line) as { t?: unknown; e?: unknown };
    if (typeof value.t !== 'number' || typeof value.e !== 'object' || value.e === null) return undefined;
    return { acceptedAt: value.t, event: value.e as LifecycleEvent };
  } catch {
    return undefined;
  }
}

function countLines(fd: number, size: number): number {
  const buffer = Buffer.alloc(READ_CHUNK_BYTES);
  let lines = 0;
  for (let offset = 0; offset < size; ) {
    const got = readSync(fd, buffer, 0, Math.min(buffer.length, size - offset), offset);
    if (got <= 0) break;
    for (let i = 0; i < got; i++) if (buffer[i] === 0x0a) lines++;
    offset += got;
  }
  return lines;
}
