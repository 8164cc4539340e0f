/**
 * Replays a recording (see `recording.ts`) through the same frame parser as the live stream: as fast as possible,
 * or paced by the recorded arrival times. Lines that cannot be read are counted and skipped.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { sleep } from '../platform/sleep.js';
import { type Notification, parseFrame } from './frames.js';
import type { RecordedFrame } from './recording.js';
import type { NotificationHandler, NotificationSource } from './source.js';

export interface ReplaySourceOptions {
  file: string;
  /** 0 (default): as fast as possible; 1: the recorded pace; 10: ten times faster. */
  speed?: number;
  /** Called for every line or frame that could not be understood. */
  onMalformed?: (line: number, reason: string) => void;
  /** Awaited before each line: the consumer's backpressure (e.g. sinks past their bound). */
  whenReady?: () => Promise<unknown>;
}

/** What a replay went through. */
export interface ReplayStats {
  lines: number;
  notifications: number;
  /** Heartbeats, pongs and system messages: read, not delivered. */
  control: number;
  malformed: number;
}

/** A {@link NotificationSource} over a recording. */
export class ReplaySource implements NotificationSource {
  private handler: NotificationHandler | undefined;
  private readonly abort = new AbortController();
  private finishedPromise: Promise<ReplayStats> | undefined;

  constructor(private readonly options: ReplaySourceOptions) {}

  onNotification(handler: NotificationHandler): void {
    this.handler = handler;
  }

  /** Starts the replay; {@link finished} tells when it is over. Fails if the file cannot be opened. */
  async start(): Promise<void> {
    if (this.finishedPromise) throw new Error('ReplaySource.start() called twice');
    const input = createReadStream(this.options.file, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', reject);
    });
    this.finishedPromise = this.replay(input);
  }

  /** Resolves with the counts when every line has been replayed (or the replay was stopped). */
  finished(): Promise<ReplayStats> {
    if (!this.finishedPromise) return Promise.reject(new Error('ReplaySource not started'));
    return this.finishedPromise;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.finishedPromise?.catch(() => undefined);
  }

  private async replay(input: NodeJS.ReadableStream): Promise<ReplayStats> {
    const stats: ReplayStats = { lines: 0, notifications: 0, control: 0, malformed: 0 };
    const speed = this.options.speed ?? 0;
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let previousAt: number | undefined;
    try {
      for await (const text of lines) {
        if (this.options.whenReady) await this.options.whenReady();
        if (this.abort.signal.aborted) break;
        stats.lines++;
        if (text.trim() === '') continue;
        const line = stats.lines;
        const record = readRecord(text);
        if (typeof record === 'string') {
          this.malformed(stats, line, record);
          continue;
        }
        const receivedAt = Date.parse(record.receivedAt);
        if (speed > 0 && previousAt !== undefined && receivedAt > previousAt) {
          await sleep((receivedAt - previousAt) / speed, this.abort.signal).catch(() => {});
        }
        previousAt = receivedAt;
        const frame = parseFrame(
          typeof record.frame === 'string' ? record.frame : JSON.stringify(record.frame),
        );
        if (frame.kind === 'malformed') {
          this.malformed(stats, line, frame.reason);
        } else if (frame.kind === 'notification') {
          const notification: Notification = frame;
          notification.channelId = record.channelId;
          notification.receivedAt = receivedAt;
          notification.replayed = { file: this.options.file, line };
          stats.notifications++;
          this.handler?.(notification);
        } else {
          stats.control++;
        }
      }
    } finally {
      lines.close();
    }
    return stats;
  }

  private malformed(stats: ReplayStats, line: number, reason: string): void {
    stats.malformed++;
    this.options.onMalformed?.(line, reason);
  }
}

/** Reads one recording line; returns the reason as a string when it is not a recorded frame. */
function readRecord(text: string): RecordedFrame | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'line is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'line is not a JSON object';
  const record = value as Partial<RecordedFrame>;
  if (typeof record.receivedAt !== 'string' || !Number.isFinite(Date.parse(record.receivedAt))) {
    return 'receivedAt is not an ISO time';
  }
  if (typeof record.channelId !== 'string') return 'channelId is missing';
  if (typeof record.frame !== 'string' && (typeof record.frame !== 'object' || record.frame === null)) {
    return 'frame is missing';
  }
  return record as RecordedFrame;
}
