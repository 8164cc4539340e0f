/**
 * The outbox of a sink: every event handed to the sink waits here until its transport acknowledged it (or it was
 * moved to the dead-letter file), in the order it was handed over. The sink reads from the front (`take`), hands
 * events to the transport, and acknowledges each one when it is done with it (`ack`); an event taken and not
 * acknowledged when the process dies is delivered again by the next run (an at-least-once repeat, same id).
 *
 * Two kinds, one interface:
 * - {@link MemoryOutbox}: events live in memory; a crash loses them, so whoever checkpoints must wait for delivery.
 * - `SqliteOutbox` (sqlite-outbox.ts): events live in a SQLite file and survive a crash; a checkpoint only needs
 *   them committed there (`commit`).
 *
 * The outbox itself never refuses an event: what happens past the sink's bound is the sink's overflow policy.
 */
import type { LifecycleEvent } from '../events.js';

/** An event in an outbox: its place in the order, when it was handed over, and its stored size. */
export interface OutboxItem {
  seq: number;
  event: LifecycleEvent;
  /** Epoch ms at which the sink took the event. */
  acceptedAt: number;
  /** Size of the event as stored (its JSON, in characters); 0 where the outbox does not measure it. */
  size: number;
}

/** Where a sink keeps events it has not delivered yet. */
export interface Outbox {
  /** True when what is appended survives a crash of the process once {@link commit} returned. */
  readonly durable: boolean;
  /** A description safe for logs (a file path, or `memory`). */
  readonly location: string;
  /** Takes an event at the back. */
  append(event: LifecycleEvent, acceptedAt: number): void;
  /** The next event not handed out yet, without handing it out. */
  peek(): OutboxItem | undefined;
  /** Hands out the next event; it stays held (and counted) until {@link ack}. */
  take(): OutboxItem | undefined;
  /** The sink is done with this event (delivered, or moved to the dead-letter file). */
  ack(item: OutboxItem): void;
  /** Events held: handed out or not, not acknowledged. */
  readonly pending: number;
  /** Stored size of the events held. */
  readonly pendingSize: number;
  /** Events not handed out yet. */
  readonly waiting: number;
  /** Makes every append and acknowledgement so far durable (a no-op for memory). */
  commit(): void;
  /** Commits and releases the outbox; held events stay for the next run when durable. */
  close(): void;
}

/** An outbox in memory: an array with a moving head. */
export class MemoryOutbox implements Outbox {
  readonly durable = false;
  readonly location = 'memory';
  private items: (OutboxItem | undefined)[] = [];
  private head = 0;
  private nextSeq = 1;
  private held = 0;

  append(event: LifecycleEvent, acceptedAt: number): void {
    this.items.push({ seq: this.nextSeq++, event, acceptedAt, size: 0 });
  }

  peek(): OutboxItem | undefined {
    return this.items[this.head];
  }

  take(): OutboxItem | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    this.held += 1;
    // Compact now and then so the array does not grow without bound.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  ack(_item: OutboxItem): void {
    this.held = Math.max(0, this.held - 1);
  }

  get waiting(): number {
    return this.items.length - this.head;
  }

  get pending(): number {
    return this.waiting + this.held;
  }

  get pendingSize(): number {
    return 0;
  }

  commit(): void {}

  close(): void {}
}
