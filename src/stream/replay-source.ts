/**
 * Replays notifications from a file through the same frame parser as the live stream: as fast as possible, or paced
 * by the recorded arrival times. It reads JSON lines of three kinds, in any mix:
 *
 * - recorded frames (`listen --record`, see `recording.ts`): `{"receivedAt": …, "channelId": …, "frame": …}`;
 * - bare notifications, as loggers and public captures hold them: `{"topicName": …, "version": "2",
 *   "eventBody": {…}, "metadata": {…}}` (heartbeats and system messages included). A bare line carries no receive
 *   time: its notification has none (events then take the replay's clock as `observedAt`), it is not paced, and it
 *   keeps its place in the file — the only order the line itself vouches for;
 * - AWS EventBridge events wrapping a notification (`{"detail-type": …, "time": …, "detail": {"topicName": …}}`),
 *   timed by the event's `time`.
 *
 * Blank lines are skipped. Lines that cannot be read are counted and skipped, with the reason (never their content:
 * notifications carry customer data).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { sleep } from '../platform/sleep.js';
import { type Frame, frameOf, type Notification, parseFrame } from './frames.js';
import type { NotificationHandler, NotificationSource } from './source.js';

/** How many unreadable lines {@link ReplayStats.firstUnreadable} keeps. */
const FIRST_UNREADABLE = 5;

export interface ReplaySourceOptions {
  file: string;
  /** 0 (default): as fast as possible; 1: the recorded pace; 10: ten times faster. */
  speed?: number;
  /** Called for every line or frame that could not be understood, with why (never the line's content). */
  onMalformed?: (line: number, reason: string) => void;
  /** Awaited before each line: the consumer's backpressure (e.g. sinks past their bound). */
  whenReady?: () => Promise<unknown>;
}

/** An unreadable line: where, and why. */
export interface UnreadableLine {
  line: number;
  reason: string;
}

/**
 * What a replay went through. Every line is counted once in `blank`, `recorded`, `bare`, `eventBridge` or
 * `unreadable`; every readable line once in `notifications` or `control`.
 */
export interface ReplayStats {
  /** Lines in the file, blank ones included. */
  lines: number;
  blank: number;
  /** Readable lines in the recording format (`listen --record`), timed by their `receivedAt`. */
  recorded: number;
  /** Readable bare notification lines: no receive time, replayed in file order and never paced. */
  bare: number;
  /** Readable AWS EventBridge events wrapping a notification, timed by the event's `time`. */
  eventBridge: number;
  /** Notifications delivered to the handler. */
  notifications: number;
  /** Heartbeats, pongs and system messages: read, not delivered. */
  control: number;
  /** Lines that could not be read (as a line, or the frame they hold). */
  unreadable: number;
  /** The first few unreadable lines and why. */
  firstUnreadable: UnreadableLine[];
}

/** A {@link NotificationSource} over a file of notifications or recorded frames. */
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
    const stats: ReplayStats = {
      lines: 0,
      blank: 0,
      recorded: 0,
      bare: 0,
      eventBridge: 0,
      notifications: 0,
      control: 0,
      unreadable: 0,
      firstUnreadable: [],
    };
    const speed = this.options.speed ?? 0;
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let previousAt: number | undefined;
    try {
      for await (const raw of lines) {
        if (this.options.whenReady) await this.options.whenReady();
        if (this.abort.signal.aborted) break;
        stats.lines++;
        const line = stats.lines;
        // A byte-order mark, as some editors and Windows tools write, is not part of the first line.
        const text = line === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
        if (text.trim() === '') {
          stats.blank++;
          continue;
        }
        const read = readLine(text);
        if (read.kind === 'unreadable') {
          this.unreadable(stats, line, read.reason);
          continue;
        }
        const { frame } = read;
        if (frame.kind === 'malformed') {
          this.unreadable(
            stats,
            line,
            frame.reason === 'not JSON' ? jsonFailure(read.frameText) : frame.reason,
          );
          continue;
        }
        stats[read.format]++;
        const receivedAt = read.receivedAt;
        if (receivedAt !== undefined) {
          if (speed > 0 && previousAt !== undefined && receivedAt > previousAt) {
            await sleep((receivedAt - previousAt) / speed, this.abort.signal).catch(() => {});
          }
          previousAt = receivedAt;
        }
        if (frame.kind === 'notification') {
          const notification: Notification = frame;
          if (read.channelId !== undefined) notification.channelId = read.channelId;
          if (receivedAt !== undefined) notification.receivedAt = receivedAt;
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

  private unreadable(stats: ReplayStats, line: number, reason: string): void {
    stats.unreadable++;
    if (stats.firstUnreadable.length < FIRST_UNREADABLE) stats.firstUnreadable.push({ line, reason });
    this.options.onMalformed?.(line, reason);
  }
}

/** One line, read: the frame it holds and what it says of its arrival, or why it cannot be read. */
type ReadLine =
  | {
      kind: 'frame';
      format: 'recorded' | 'bare' | 'eventBridge';
      frame: Frame;
      /** The frame's text when it was recorded as text (to tell a truncated frame from garbage). */
      frameText: string;
      receivedAt: number | undefined;
      channelId: string | undefined;
    }
  | { kind: 'unreadable'; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one non-blank line. Never throws. */
function readLine(text: string): ReadLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', reason: jsonFailure(text) };
  }
  if (!isObject(value)) return { kind: 'unreadable', reason: 'not a JSON object' };

  if ('frame' in value || 'receivedAt' in value) {
    // Our recording format.
    const receivedAt = typeof value.receivedAt === 'string' ? Date.parse(value.receivedAt) : Number.NaN;
    if (!Number.isFinite(receivedAt)) return { kind: 'unreadable', reason: 'receivedAt is not an ISO time' };
    const recorded = value.frame;
    const channelId = typeof value.channelId === 'string' ? value.channelId : undefined;
    if (typeof recorded === 'string') {
      return {
        kind: 'frame',
        format: 'recorded',
        frame: parseFrame(recorded),
        frameText: recorded,
        receivedAt,
        channelId,
      };
    }
    if (!isObject(recorded)) return { kind: 'unreadable', reason: 'frame is missing' };
    return {
      kind: 'frame',
      format: 'recorded',
      frame: frameOf(recorded, text),
      frameText: text,
      receivedAt,
      channelId,
    };
  }
  if ('topicName' in value) {
    return {
      kind: 'frame',
      format: 'bare',
      frame: frameOf(value, text),
      frameText: text,
      receivedAt: undefined,
      channelId: undefined,
    };
  }
  if (isObject(value.detail) && 'topicName' in value.detail) {
    // An EventBridge event (or the SQS message body of one): its time is when the platform delivered it.
    const time = typeof value.time === 'string' ? Date.parse(value.time) : Number.NaN;
    return {
      kind: 'frame',
      format: 'eventBridge',
      frame: frameOf(value.detail, text),
      frameText: text,
      receivedAt: Number.isFinite(time) ? time : undefined,
      channelId: undefined,
    };
  }
  return {
    kind: 'unreadable',
    reason: 'no topicName: not a notification, a recorded frame or an EventBridge event',
  };
}

/** Why text is not JSON: cut off inside an object or array (a truncated write, a size-limited logger), or not JSON. */
function jsonFailure(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    const end = text.trimEnd().length;
    if (/^\s*[[{]/.test(text) && error instanceof SyntaxError) {
      const at = /end of JSON input|at position (\d+)/.exec(error.message);
      if (at && (at[1] === undefined || Number(at[1]) >= end)) return 'truncated JSON';
    }
  }
  return 'not JSON';
}
