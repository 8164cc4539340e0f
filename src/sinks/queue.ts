/**
 * The bounded queue in front of every sink. `offer` is synchronous and O(1) so the producer (the socket reader)
 * is never held by a slow sink; what happens when the queue is full is the overflow policy:
 *
 * - `block` (default): the event is still taken and `offer` returns `false`, asking the producer to
 *   `await whenWritable()`. The wait is bounded (`maxBlockMs`) and visible in health. If a producer keeps writing
 *   anyway, a hard ceiling (`hardLimit`) drops the oldest event, counted and logged, so memory stays bounded.
 * - `drop-oldest`: the oldest queued event makes room for the new one; counted and logged.
 * - `spill`: overflow goes to an append-only file and comes back in order; nothing is lost while the file has
 *   room (`spillMaxBytes`), and leftovers survive a restart.
 */
import { ConfigError } from '../errors.js';
import type { LifecycleEvent } from '../events.js';
import type { Logger } from '../logging.js';
import type { QueuedEvent } from './spill.js';
import { SpillFile } from './spill.js';
import type { OverflowPolicy, WaitOptions } from './types.js';

export type { QueuedEvent } from './spill.js';

/** Settings of a {@link SinkQueue}. */
export interface SinkQueueSettings {
  /** Events held in memory before the queue counts as full. */
  capacity: number;
  policy: OverflowPolicy;
  /** Longest a `whenWritable()` wait lasts before resolving `false`. */
  maxBlockMs: number;
  /** `block` policy: the queue is writable again at or below this depth (default: half the capacity). */
  lowWaterMark?: number;
  /** `block` policy: past this depth the oldest event is dropped (default: twice the capacity). */
  hardLimit?: number;
  /** `spill` policy: the overflow file. */
  spillPath?: string;
  /** `spill` policy: the overflow file's size limit; past it new events are dropped (counted, logged). */
  spillMaxBytes?: number;
}

export const DEFAULT_QUEUE: SinkQueueSettings = {
  capacity: 10_000,
  policy: 'block',
  maxBlockMs: 30_000,
};

const DEFAULT_SPILL_MAX_BYTES = 256 * 1024 * 1024;

interface Waiter {
  resolve: (writable: boolean) => void;
  cleanup: () => void;
}

/** A bounded FIFO of events with an overflow policy. */
export class SinkQueue {
  readonly settings: Required<Omit<SinkQueueSettings, 'spillPath'>> & { spillPath?: string };
  private items: (QueuedEvent | undefined)[] = [];
  private head = 0;
  private readonly spill: SpillFile | undefined;
  private waiters = new Set<Waiter>();
  private blockedSince: number | undefined;
  private closed = false;
  /** Called whenever an event becomes available, so the consumer can wake up. */
  onAvailable: () => void = () => {};

  dropped = 0;
  blockedCount = 0;
  private blockedMsDone = 0;

  constructor(
    settings: Partial<SinkQueueSettings>,
    private readonly logger: Logger,
    private readonly sinkName: string,
    private readonly now: () => number = Date.now,
  ) {
    const merged = { ...DEFAULT_QUEUE, ...settings };
    const capacity = Math.max(1, Math.floor(merged.capacity));
    this.settings = {
      capacity,
      policy: merged.policy,
      maxBlockMs: merged.maxBlockMs,
      lowWaterMark: Math.min(capacity - 1, merged.lowWaterMark ?? Math.floor(capacity / 2)),
      hardLimit: Math.max(capacity, merged.hardLimit ?? capacity * 2),
      spillMaxBytes: merged.spillMaxBytes ?? DEFAULT_SPILL_MAX_BYTES,
      spillPath: merged.spillPath,
    };
    if (merged.policy === 'spill') {
      if (!merged.spillPath) {
        throw new ConfigError(`Sink "${sinkName}": the spill policy needs a spill file location.`, {
          hint: 'Set spillDir (or spillPath) next to policy=spill.',
        });
      }
      this.spill = new SpillFile(merged.spillPath, this.settings.spillMaxBytes);
    }
  }

  /** Events in memory. */
  get depth(): number {
    return this.items.length - this.head;
  }

  /** Events waiting in the spill file. */
  get spilled(): number {
    return this.spill?.pending ?? 0;
  }

  /** True while the `block` policy asks the producer to wait. */
  get producerBlocked(): boolean {
    return this.blockedSince !== undefined;
  }

  /** Total time the producer was asked to wait, including the current wait. */
  get blockedMsTotal(): number {
    return this.blockedMsDone + (this.blockedSince === undefined ? 0 : this.now() - this.blockedSince);
  }

  /** Acceptance time of the oldest event in memory. */
  oldestAcceptedAt(): number | undefined {
    return this.items[this.head]?.acceptedAt;
  }

  /**
   * Takes an event. Returns `false` only under the `block` policy when the queue is full: the event was taken,
   * and the producer should wait for {@link whenWritable} before offering more.
   */
  offer(event: LifecycleEvent): boolean {
    if (this.closed) throw new Error('queue closed');
    const item: QueuedEvent = { event, acceptedAt: this.now() };
    const { capacity, policy } = this.settings;
    if (policy === 'spill' && this.spill && (this.spill.pending > 0 || this.depth >= capacity)) {
      // Once anything is on disk, newer events follow it there so order holds.
      if (!this.spill.append(item)) this.drop(item, 'spill_full');
      this.onAvailable();
      return true;
    }
    if (policy === 'drop-oldest' && this.depth >= capacity) {
      this.drop(this.shiftMemory()!, 'queue_full');
    } else if (policy === 'block' && this.depth >= this.settings.hardLimit) {
      this.drop(this.shiftMemory()!, 'hard_limit');
    }
    this.items.push(item);
    this.onAvailable();
    if (policy === 'block' && this.depth >= capacity) {
      if (this.blockedSince === undefined) {
        this.blockedSince = this.now();
        this.blockedCount += 1;
        this.logger.warn(
          { sink: this.sinkName, depth: this.depth, capacity },
          'sink queue full; asking the producer to wait',
        );
      }
      return false;
    }
    return true;
  }

  /** The oldest event, without taking it. */
  peek(): QueuedEvent | undefined {
    this.refill();
    return this.items[this.head];
  }

  /** Takes the oldest event. */
  shift(): QueuedEvent | undefined {
    this.refill();
    const item = this.shiftMemory();
    if (item && this.blockedSince !== undefined && this.depth <= this.settings.lowWaterMark) {
      this.unblock(true);
    }
    return item;
  }

  /** Resolves `true` once the queue has room, `false` on timeout or abort. Immediate unless blocked. */
  whenWritable(options: WaitOptions = {}): Promise<boolean> {
    if (this.blockedSince === undefined || this.closed) return Promise.resolve(!this.closed);
    const timeoutMs = options.timeoutMs ?? this.settings.maxBlockMs;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs);
      const onAbort = () => settle(false);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const waiter: Waiter = {
        resolve: (writable) => settle(writable),
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      const settle = (writable: boolean) => {
        if (!this.waiters.delete(waiter)) return;
        waiter.cleanup();
        resolve(writable);
      };
      this.waiters.add(waiter);
      if (options.signal?.aborted) settle(false);
    });
  }

  /** Producers currently waiting in {@link whenWritable}. */
  get waitingProducers(): number {
    return this.waiters.size;
  }

  /** Empties the memory queue, returning what it held (used when a sink gives up at close). */
  drain(): QueuedEvent[] {
    const rest = this.items.slice(this.head).filter((item): item is QueuedEvent => item !== undefined);
    this.items = [];
    this.head = 0;
    return rest;
  }

  /**
   * Under the `spill` policy, writes events that never got delivered back to the front of the spill file, so the
   * next start delivers them first. Returns false (nothing kept) for other policies.
   */
  preserve(items: readonly QueuedEvent[]): boolean {
    if (!this.spill || this.closed) return false;
    this.spill.prepend(items);
    return true;
  }

  /** Releases waiters and the spill file; events still on disk stay there for the next start. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unblock(false);
    this.spill?.close();
  }

  private shiftMemory(): QueuedEvent | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    // Compact now and then so the array does not grow without bound.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  private refill(): void {
    if (!this.spill || this.closed || this.spill.pending === 0) return;
    if (this.depth > this.settings.lowWaterMark) return;
    for (const item of this.spill.read(this.settings.capacity - this.depth)) this.items.push(item);
  }

  private unblock(writable: boolean): void {
    if (this.blockedSince !== undefined) {
      this.blockedMsDone += this.now() - this.blockedSince;
      this.blockedSince = undefined;
    }
    for (const waiter of [...this.waiters]) waiter.resolve(writable);
  }

  private drop(item: QueuedEvent, reason: string): void {
    this.dropped += 1;
    // Ids only: enough to find the event again through a backfill, nothing about the customer.
    this.logger.warn(
      {
        sink: this.sinkName,
        reason,
        eventId: item.event.id,
        type: item.event.type,
        conversationId: item.event.conversationId,
        dropped: this.dropped,
      },
      'sink queue dropped an event',
    );
  }
}
