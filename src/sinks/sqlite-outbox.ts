/**
 * A sink's outbox in a SQLite file (WAL mode, one file per sink): what the sink has been handed survives a crash
 * and is delivered by the next run, oldest first.
 *
 * Appends and acknowledgements are gathered in memory and written in one transaction per turn of the event loop,
 * so a burst of events costs one commit, and the producer's call stays a cheap synchronous push. `commit()` writes
 * them at once: a checkpoint calls it before it records that the stream has moved past these events. In WAL mode
 * with `synchronous=NORMAL` a commit survives the process being killed; a power cut may lose the last commits
 * (their events are then derived again from the checkpoint before them).
 *
 * The events not handed out yet are read back in windows, so a long outage costs disk, not memory.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { LifecycleEvent } from '../events.js';
import type { Outbox, OutboxItem } from './outbox.js';

/** Events read back from the file at a time (and kept in memory while the outbox is caught up). */
const DEFAULT_WINDOW = 1_000;

interface Row {
  seq: number;
  accepted_at: number;
  event: string;
}

export class SqliteOutbox implements Outbox {
  readonly durable = true;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly readAfter: Database.Statement;
  private readonly writeBatch: (writes: readonly Row[], deletes: readonly number[]) => void;
  /** Events not handed out yet, in order; the file may hold more after them unless `caughtUp`. */
  private window: OutboxItem[] = [];
  private windowHead = 0;
  /** True when every stored event not handed out is in `window` (new appends then join it directly). */
  private caughtUp: boolean;
  /** The highest sequence number read into (or appended straight to) the window. */
  private readCursor = 0;
  private nextSeq: number;
  private pendingCount: number;
  private pendingChars: number;
  private writes: Row[] = [];
  private deletes: number[] = [];
  private commitScheduled = false;
  private closed = false;
  /** Stored rows that could not be read back as events (skipped and removed). */
  malformed = 0;

  constructor(
    readonly location: string,
    private readonly windowSize = DEFAULT_WINDOW,
  ) {
    mkdirSync(dirname(location), { recursive: true });
    this.db = new Database(location);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, accepted_at INTEGER NOT NULL, event TEXT NOT NULL)',
    );
    const stats = this.db
      .prepare(
        'SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(event)), 0) AS chars, COALESCE(MAX(seq), 0) AS last FROM outbox',
      )
      .get() as { n: number; chars: number; last: number };
    this.pendingCount = stats.n;
    this.pendingChars = stats.chars;
    this.nextSeq = stats.last + 1;
    this.caughtUp = stats.n === 0;
    this.insert = this.db.prepare('INSERT INTO outbox (seq, accepted_at, event) VALUES (?, ?, ?)');
    this.remove = this.db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.readAfter = this.db.prepare(
      'SELECT seq, accepted_at, event FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.writeBatch = this.db.transaction((writes: readonly Row[], deletes: readonly number[]) => {
      for (const row of writes) this.insert.run(row.seq, row.accepted_at, row.event);
      for (const seq of deletes) this.remove.run(seq);
    });
  }

  get pending(): number {
    return this.pendingCount;
  }

  get pendingSize(): number {
    return this.pendingChars;
  }

  get waiting(): number {
    // Everything held that was not handed out: the window's rest plus what the file holds beyond it.
    return this.pendingCount - this.handedOut;
  }

  /** Events handed out and not acknowledged yet. */
  private handedOut = 0;

  append(event: LifecycleEvent, acceptedAt: number): void {
    if (this.closed) throw new Error(`outbox ${this.location} is closed`);
    const text = JSON.stringify(event);
    const seq = this.nextSeq++;
    this.writes.push({ seq, accepted_at: acceptedAt, event: text });
    this.pendingCount += 1;
    this.pendingChars += text.length;
    if (this.caughtUp && this.windowLength() < this.windowSize) {
      this.window.push({ seq, event, acceptedAt, size: text.length });
      this.readCursor = seq;
    } else {
      // From here on the file holds events the window does not; they are read back in order.
      this.caughtUp = false;
    }
    this.scheduleCommit();
  }

  peek(): OutboxItem | undefined {
    this.refill();
    return this.window[this.windowHead];
  }

  take(): OutboxItem | undefined {
    this.refill();
    const item = this.window[this.windowHead];
    if (!item) return undefined;
    this.windowHead += 1;
    if (this.windowHead >= this.window.length) {
      this.window = [];
      this.windowHead = 0;
    }
    this.handedOut += 1;
    return item;
  }

  ack(item: OutboxItem): void {
    this.deletes.push(item.seq);
    this.handedOut = Math.max(0, this.handedOut - 1);
    this.pendingCount = Math.max(0, this.pendingCount - 1);
    this.pendingChars = Math.max(0, this.pendingChars - item.size);
    this.scheduleCommit();
  }

  commit(): void {
    if (this.closed || (this.writes.length === 0 && this.deletes.length === 0)) return;
    const writes = this.writes;
    const deletes = this.deletes;
    this.writes = [];
    this.deletes = [];
    this.writeBatch(writes, deletes);
  }

  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    this.db.close();
  }

  private windowLength(): number {
    return this.window.length - this.windowHead;
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      this.commit();
    });
  }

  /** Reads the next stored events into an empty window. */
  private refill(): void {
    if (this.caughtUp || this.closed || this.windowLength() > 0) return;
    this.commit(); // appends still in memory belong after what the file holds
    const rows = this.readAfter.all(this.readCursor, this.windowSize) as Row[];
    this.window = [];
    this.windowHead = 0;
    for (const row of rows) {
      this.readCursor = row.seq;
      const event = parseEvent(row.event);
      if (event) {
        this.window.push({ seq: row.seq, event, acceptedAt: row.accepted_at, size: row.event.length });
      } else {
        this.malformed += 1;
        this.deletes.push(row.seq);
        this.pendingCount = Math.max(0, this.pendingCount - 1);
        this.pendingChars = Math.max(0, this.pendingChars - row.event.length);
      }
    }
    if (rows.length < this.windowSize) this.caughtUp = true;
    if (this.window.length === 0 && !this.caughtUp) this.refill();
  }
}

function parseEvent(text: string): LifecycleEvent | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const event = value as Partial<LifecycleEvent>;
    return typeof event.id === 'string' &&
      typeof event.type === 'string' &&
      typeof event.conversationId === 'string'
      ? (value as LifecycleEvent)
      : undefined;
  } catch {
    return undefined;
  }
}
