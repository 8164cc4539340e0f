/**
 * Recordings of received frames, for replay and for fixtures: JSON lines, one received frame per line,
 *
 *   {"receivedAt":"2024-05-01T10:00:00.123Z","channelId":"<channel id>","frame":"<the frame's raw text>"}
 *
 * `frame` is the text exactly as received (heartbeats and system messages included), so a replay goes through
 * the same parser as the live stream. A hand-written fixture may give `frame` as a JSON object instead.
 * Recordings hold conversation snapshots, which carry customer data: treat the files accordingly.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';

/** One line of a recording. */
export interface RecordedFrame {
  /** ISO-8601 time the frame was received. */
  receivedAt: string;
  channelId: string;
  /** The raw frame text (or, in hand-written fixtures, the frame object). */
  frame: string | Record<string, unknown>;
}

/** Appends every frame it is given to a JSON-lines file (`--record frames.jsonl`). */
export class FrameRecorder {
  private count = 0;
  private failure: Error | undefined;

  private constructor(
    readonly path: string,
    private readonly out: WriteStream,
  ) {
    out.on('error', (error) => {
      this.failure = error;
    });
  }

  /** Opens (creates, or appends to) a recording. */
  static async open(path: string, options: { append?: boolean } = {}): Promise<FrameRecorder> {
    const out = createWriteStream(path, { flags: options.append ? 'a' : 'w', mode: 0o600 });
    await once(out, 'open');
    return new FrameRecorder(path, out);
  }

  /** Frames written so far. */
  get frames(): number {
    return this.count;
  }

  /** Records one frame. Suits the pool's `onFrame` tap directly. */
  readonly record = (text: string, channelId: string, receivedAt: number): void => {
    // Frames still arriving while sockets close after close() are not recorded.
    if (this.failure || this.out.writableEnded) return;
    const line: RecordedFrame = { receivedAt: new Date(receivedAt).toISOString(), channelId, frame: text };
    this.out.write(`${JSON.stringify(line)}\n`);
    this.count++;
  };

  /** Flushes and closes the file; rejects if any write failed. */
  async close(): Promise<void> {
    if (!this.out.writableEnded) {
      this.out.end();
      await once(this.out, 'close');
    }
    if (this.failure) throw this.failure;
  }
}
