/**
 * QueuedSink: a {@link SinkTransport} behind an {@link Outbox}, with ordering, retries, a bound and health.
 *
 * `write` appends to the outbox and returns at once; a pump hands events to the transport in order. Ordering is
 * either `global` (one batch in flight at a time: files, stdout) or `conversation` (up to `concurrency`
 * conversations in flight, each conversation's events strictly in order: webhooks, brokers). A batch that fails
 * with a retryable error is retried with backoff and jitter (or after the wait the destination asked for) until it
 * goes through; the events behind it in the same conversation wait, others proceed. A batch refused for good goes
 * to the dead-letter file. An event leaves the outbox only then: a crash before leaves it for the next run.
 *
 * Past its bound (`capacity` events or `maxBytes` stored) the sink is `failed` until the outbox is back under half
 * of it, and the overflow policy applies: `stop` keeps everything and asks the producer to stop taking events;
 * `drop-oldest` drops the oldest waiting events, counted, logged and listed in the dead-letter file.
 */
import { join } from 'node:path';
import { backoffDelay, type RetrySettings } from '../backoff.js';
import type { LifecycleEvent } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import { sleep } from '../platform/sleep.js';
import { DeadLetters } from './dead-letter.js';
import { type DeliveryError, SinkClosedError, toDeliveryError } from './errors.js';
import { MemoryOutbox, type Outbox, type OutboxItem } from './outbox.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import type {
  EventSink,
  FlushOptions,
  OverflowPolicy,
  SinkErrorSummary,
  SinkHealth,
  SinkTransport,
  WaitOptions,
} from './types.js';

/** Where a sink keeps what it has not delivered, and how much of it. */
export interface OutboxSettings {
  /**
   * A directory for the sink's outbox (`<name>.outbox.db`) and dead-letter file (`<name>.dead-letter.jsonl`):
   * the outbox then survives a crash. Without one it lives in memory and nothing is written to disk.
   */
  dir?: string;
  /** Events held before the sink counts as failed (default 50,000 in memory, 5,000,000 on disk). */
  capacity: number;
  /** Stored size before the sink counts as failed, on disk only (default 1 GiB of JSON). */
  maxBytes: number;
  /** What happens past the bound (default `stop`: nothing is dropped unless the operator chose so). */
  policy: OverflowPolicy;
}

export const DEFAULT_MEMORY_CAPACITY = 50_000;
export const DEFAULT_DISK_CAPACITY = 5_000_000;
export const DEFAULT_OUTBOX_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * How a sink retries a delivery unless told otherwise (`retry:` of a sink in the config file; `maxAttempts`,
 * `retryInitialMs`, `retryMaxMs` in a spec): until the sink closes, waiting in the upper half of a window that doubles
 * from 0.5 s to 30 s (many sinks failing at once do not retry in lockstep, and none retries at once), and at most
 * 5 minutes when the receiver asks for longer with `Retry-After`. Unlike the platform client, which tries a few
 * times and fails loudly, a sink keeps an event until it is delivered or refused.
 */
export const DEFAULT_SINK_RETRY: RetrySettings = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 'equal',
  maxAttempts: Number.POSITIVE_INFINITY,
  maxRetryAfterMs: 300_000,
};

/** Options of a {@link QueuedSink}. */
export interface QueuedSinkOptions {
  name: string;
  transport: SinkTransport;
  outbox?: Partial<OutboxSettings>;
  retry?: Partial<RetrySettings>;
  /** `global`: one batch at a time, total order. `conversation`: order per conversation, several in flight. */
  ordering?: 'global' | 'conversation';
  /** Batches in flight at once (`conversation` ordering only). */
  concurrency?: number;
  /** Most events handed to the transport in one call. */
  batchSize?: number;
  /** How long `close()` waits for pending events before leaving them (on disk: for the next run). */
  closeTimeoutMs?: number;
  logger?: Logger;
  /** Clock and randomness, injectable for tests. */
  now?: () => number;
  random?: () => number;
}

/** How long a failure keeps a sink's status `degraded`. */
const RECENT_FAILURE_MS = 60_000;
/** Grace for in-flight deliveries to notice an abort at close. */
const ABORT_GRACE_MS = 1_000;
/** Dropped events are logged one by one up to this many per burst, then summarised. */
const DROP_LOG_BURST = 20;

/** A file-system-safe form of a sink name (names like `webhook:https://host/path` are common). */
export function outboxFileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

interface Waiter {
  resolve: (writable: boolean) => void;
  cleanup: () => void;
}

/** A sink made of an outbox and a transport. */
export class QueuedSink implements EventSink {
  readonly name: string;
  readonly kind: string;
  private readonly transport: SinkTransport;
  private readonly outbox: Outbox;
  private readonly deadLetters: DeadLetters;
  private readonly policy: OverflowPolicy;
  private readonly capacity: number;
  private readonly maxBytes: number | null;
  private readonly retry: RetrySettings;
  private readonly ordering: 'global' | 'conversation';
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly maxHeld: number;
  private readonly closeTimeoutMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly abort = new AbortController();

  /** Events taken from the outbox whose conversation is busy, per ordering key, oldest first. */
  private readonly held = new Map<string, OutboxItem[]>();
  private heldCount = 0;
  private readonly busyKeys = new Set<string>();
  private readonly inFlight = new Set<OutboxItem[]>();
  private inFlightEvents = 0;
  private pumpScheduled = false;
  private idleWaiters: ((drained: boolean) => void)[] = [];
  private writableWaiters = new Set<Waiter>();
  private closing: Promise<void> | undefined;
  private closed = false;

  private accepted = 0;
  private delivered = 0;
  private failed = 0;
  private dropped = 0;
  private dropsLogged = 0;
  private retrying = 0;
  private retries = 0;
  private fullSince: number | undefined;
  private fullCount = 0;
  private fullMsDone = 0;
  private lastError: SinkErrorSummary | null = null;
  private lastFailureAt = 0;
  private lastDeliveredAt: number | null = null;
  private lastDeliveryLagMs: number | null = null;

  constructor(options: QueuedSinkOptions) {
    this.name = options.name;
    this.transport = options.transport;
    this.kind = options.transport.kind;
    this.logger = (options.logger ?? silentLogger()).child({ sink: options.name });
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.retry = { ...DEFAULT_SINK_RETRY, ...options.retry };
    this.ordering = options.ordering ?? 'global';
    // Several batches in flight would reorder a global stream, so global ordering means one at a time.
    this.concurrency = this.ordering === 'global' ? 1 : Math.max(1, options.concurrency ?? 4);
    this.batchSize = Math.max(1, options.batchSize ?? (this.ordering === 'global' ? 256 : 1));
    this.maxHeld = Math.max(16, this.concurrency * this.batchSize * 4);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    const settings = options.outbox ?? {};
    const dir = settings.dir;
    const stem = outboxFileStem(options.name);
    this.outbox = dir ? new SqliteOutbox(join(dir, `${stem}.outbox.db`)) : new MemoryOutbox();
    this.deadLetters = new DeadLetters(
      options.name,
      dir ? join(dir, `${stem}.dead-letter.jsonl`) : undefined,
    );
    this.policy = settings.policy ?? 'stop';
    this.capacity = Math.max(
      1,
      Math.floor(settings.capacity ?? (dir ? DEFAULT_DISK_CAPACITY : DEFAULT_MEMORY_CAPACITY)),
    );
    this.maxBytes = this.outbox.durable ? Math.max(1, settings.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES) : null;
    // Leftovers of a previous run are delivered first.
    if (this.outbox.pending > 0) {
      this.logger.info(
        { pending: this.outbox.pending, outbox: this.outbox.location },
        'delivering events a previous run left in the outbox',
      );
      this.checkBound();
      this.schedulePump();
    }
  }

  write(event: LifecycleEvent): boolean {
    if (this.closing) throw new SinkClosedError(this.name);
    this.accepted += 1;
    this.outbox.append(event, this.now());
    this.checkBound();
    this.schedulePump();
    return !(this.policy === 'stop' && this.fullSince !== undefined);
  }

  whenWritable(options: WaitOptions = {}): Promise<boolean> {
    if (this.closed || this.closing) return Promise.resolve(false);
    if (this.policy !== 'stop' || this.fullSince === undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer =
        options.timeoutMs === undefined ? undefined : setTimeout(() => settle(false), options.timeoutMs);
      const onAbort = () => settle(false);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const waiter: Waiter = {
        resolve: (writable) => settle(writable),
        cleanup: () => {
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      const settle = (writable: boolean) => {
        if (!this.writableWaiters.delete(waiter)) return;
        waiter.cleanup();
        resolve(writable);
      };
      this.writableWaiters.add(waiter);
      if (options.signal?.aborted) settle(false);
    });
  }

  async flush(options: FlushOptions = {}): Promise<boolean> {
    if (options.until === 'durable' && this.outbox.durable && !this.closed) {
      // Once committed, these events are delivered by this run or the next: nothing more to wait for.
      this.outbox.commit();
      return true;
    }
    const drained =
      options.acceptedUpTo === undefined
        ? await this.waitIdle(options.timeoutMs)
        : await this.waitDelivered(options.acceptedUpTo, options.timeoutMs);
    if (drained) await this.transport.flush?.();
    return drained;
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeoutMs ?? this.closeTimeoutMs);
    return this.closing;
  }

  health(): SinkHealth {
    const now = this.now();
    const oldest = this.oldestPendingAt();
    const full = this.fullSince !== undefined;
    const degraded =
      this.retrying > 0 || (this.lastFailureAt > 0 && now - this.lastFailureAt < RECENT_FAILURE_MS);
    return {
      name: this.name,
      kind: this.kind,
      status: this.closed ? 'closed' : full ? 'failed' : degraded ? 'degraded' : 'ok',
      ...(full && !this.closed ? { failedBecause: this.describeFull() } : {}),
      policy: this.policy,
      durable: this.outbox.durable,
      outbox: this.outbox.location,
      depth: this.outbox.waiting + this.heldCount,
      capacity: this.capacity,
      maxBytes: this.maxBytes,
      pending: this.outbox.pending,
      pendingBytes: this.outbox.pendingSize,
      inFlight: this.inFlightEvents,
      oldestPendingAgeMs: oldest === undefined ? 0 : Math.max(0, now - oldest),
      lastDeliveryLagMs: this.lastDeliveryLagMs,
      lastDeliveredAt: this.lastDeliveredAt === null ? null : new Date(this.lastDeliveredAt).toISOString(),
      accepted: this.accepted,
      delivered: this.delivered,
      failed: this.failed,
      dropped: this.dropped,
      deadLetterFile: this.deadLetters.path ?? null,
      retrying: this.retrying,
      retries: this.retries,
      full,
      fullCount: this.fullCount,
      fullMsTotal: this.fullMsDone + (this.fullSince === undefined ? 0 : now - this.fullSince),
      lastError: this.lastError,
    };
  }

  private describeFull(): string {
    const bound =
      this.maxBytes === null
        ? `${this.capacity} events`
        : `${this.capacity} events or ${Math.round(this.maxBytes / 1024 / 1024)} MiB`;
    const what =
      this.policy === 'stop'
        ? 'taking no new events until it has room (the stream backfills the time it did not read)'
        : 'dropping its oldest waiting events';
    return `outbox past its bound (${this.outbox.pending} events held; bound ${bound}): ${what}`;
  }

  private overBound(): boolean {
    return (
      this.outbox.pending > this.capacity ||
      (this.maxBytes !== null && this.outbox.pendingSize > this.maxBytes)
    );
  }

  private underHalf(): boolean {
    return (
      this.outbox.pending <= this.capacity / 2 &&
      (this.maxBytes === null || this.outbox.pendingSize <= this.maxBytes / 2)
    );
  }

  /** Enters or leaves the failed state, and applies `drop-oldest`. */
  private checkBound(): void {
    if (this.fullSince === undefined && this.overBound()) {
      this.fullSince = this.now();
      this.fullCount += 1;
      this.logger.error(
        { pending: this.outbox.pending, pendingBytes: this.outbox.pendingSize, policy: this.policy },
        `sink outbox past its bound; ${this.policy === 'stop' ? 'asking the stream to stop taking events' : 'dropping the oldest events'}`,
      );
    }
    if (this.fullSince !== undefined && this.policy === 'drop-oldest') {
      while (this.overBound()) {
        const item = this.outbox.take();
        if (!item) break;
        this.outbox.ack(item);
        this.drop(item);
      }
    }
    if (this.fullSince !== undefined && this.underHalf()) {
      this.fullMsDone += this.now() - this.fullSince;
      this.fullSince = undefined;
      this.dropsLogged = 0;
      this.logger.info({ pending: this.outbox.pending }, 'sink outbox has room again');
      for (const waiter of [...this.writableWaiters]) waiter.resolve(true);
    }
  }

  private drop(item: OutboxItem): void {
    this.dropped += 1;
    this.deadLetters.add([item.event], { reason: 'dropped' });
    this.dropsLogged += 1;
    if (this.dropsLogged <= DROP_LOG_BURST) {
      // Ids only: enough to find the event again through a backfill or replay, nothing about the customer.
      this.logger.warn(
        {
          reason: 'outbox past its bound (policy drop-oldest)',
          eventId: item.event.id,
          type: item.event.type,
          conversationId: item.event.conversationId,
          dropped: this.dropped,
        },
        'sink dropped an event',
      );
    } else if (this.dropsLogged % 1000 === 0) {
      this.logger.warn(
        { dropped: this.dropped, deadLetterFile: this.deadLetters.path },
        'sink still dropping events; their ids are in the dead-letter file',
      );
    }
  }

  private keyOf(event: LifecycleEvent): string {
    return this.ordering === 'global' ? '' : event.conversationId;
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    // Deferred so a burst of writes forms batches and the producer's call stays cheap.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed || this.abort.signal.aborted) return;
    while (this.busyKeys.size < this.concurrency && this.heldCount < this.maxHeld) {
      const item = this.outbox.take();
      if (!item) break;
      const key = this.keyOf(item.event);
      if (this.busyKeys.has(key)) {
        const lane = this.held.get(key);
        if (lane) lane.push(item);
        else this.held.set(key, [item]);
        this.heldCount += 1;
        continue;
      }
      const batch = [item];
      while (batch.length < this.batchSize) {
        const next = this.outbox.peek();
        if (!next || this.keyOf(next.event) !== key) break;
        batch.push(this.outbox.take()!);
      }
      this.start(key, batch);
    }
    this.notifyIfIdle();
  }

  private start(key: string, batch: OutboxItem[]): void {
    this.busyKeys.add(key);
    this.inFlight.add(batch);
    this.inFlightEvents += batch.length;
    void this.deliverWithRetry(batch).finally(() => {
      this.inFlight.delete(batch);
      this.inFlightEvents -= batch.length;
      const lane = this.held.get(key);
      if (lane && lane.length > 0 && !this.abort.signal.aborted) {
        const next = lane.splice(0, this.batchSize);
        this.heldCount -= next.length;
        if (lane.length === 0) this.held.delete(key);
        this.start(key, next);
      } else {
        this.busyKeys.delete(key);
      }
      this.pump();
    });
  }

  /** Delivers a batch until it goes through, is refused for good, or the sink closes (it then stays in the outbox). */
  private async deliverWithRetry(batch: OutboxItem[]): Promise<void> {
    const events = batch.map((item) => item.event);
    const signal = this.abort.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.transport.deliver(events, { attempt, signal });
        const now = this.now();
        this.delivered += batch.length;
        this.lastDeliveredAt = now;
        this.lastDeliveryLagMs = now - batch[batch.length - 1]!.acceptedAt;
        this.settle(batch);
        return;
      } catch (thrown) {
        const error = toDeliveryError(thrown);
        this.recordError(error);
        if (signal.aborted) return;
        if (!error.retryable) return this.deadLetter(batch, error, attempt, 'refused');
        if (attempt >= this.retry.maxAttempts)
          return this.deadLetter(batch, error, attempt, 'out-of-attempts');
        const delayMs =
          error.retryAfterMs !== undefined
            ? Math.min(error.retryAfterMs, this.retry.maxRetryAfterMs)
            : backoffDelay(attempt, this.retry, this.random);
        this.logger.warn(
          { code: error.code, status: error.status, attempt, delayMs, events: batch.length },
          'delivery failed; retrying',
        );
        this.retries += 1;
        this.retrying += 1;
        try {
          await sleep(delayMs, signal);
        } catch {
          return;
        } finally {
          this.retrying -= 1;
        }
      }
    }
  }

  /** The batch is done with: it leaves the outbox. */
  private settle(batch: readonly OutboxItem[]): void {
    for (const item of batch) this.outbox.ack(item);
    if (this.fullSince !== undefined) this.checkBound();
  }

  private recordError(error: DeliveryError): void {
    this.lastError = { code: error.code, message: error.message, at: new Date(this.now()).toISOString() };
  }

  private deadLetter(
    batch: OutboxItem[],
    error: DeliveryError,
    attempts: number,
    reason: 'refused' | 'out-of-attempts',
  ): void {
    this.failed += batch.length;
    this.lastFailureAt = this.now();
    this.deadLetters.add(
      batch.map((item) => item.event),
      { reason, code: error.code, ...(error.status === undefined ? {} : { status: error.status }) },
    );
    this.logger.error(
      {
        code: error.code,
        status: error.status,
        attempts,
        events: batch.length,
        eventIds: batch.slice(0, 10).map((item) => item.event.id),
        conversationIds: [...new Set(batch.map((item) => item.event.conversationId))].slice(0, 10),
        deadLetterFile: this.deadLetters.path,
        error: error.message,
      },
      `delivery failed for good (${reason === 'refused' ? 'refused by the destination' : 'out of attempts'}); ${this.deadLetters.path ? 'events moved to the dead-letter file' : 'events given up (no dead-letter file for a memory outbox)'}`,
    );
    this.settle(batch);
  }

  private oldestPendingAt(): number | undefined {
    let oldest = this.outbox.peek()?.acceptedAt;
    const consider = (at: number | undefined) => {
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    };
    for (const batch of this.inFlight) consider(batch[0]?.acceptedAt);
    for (const lane of this.held.values()) consider(lane[0]?.acceptedAt);
    return oldest;
  }

  private isIdle(): boolean {
    return this.outbox.waiting === 0 && this.heldCount === 0 && this.inFlight.size === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    this.wakeIdleWaiters(true);
  }

  private wakeIdleWaiters(drained: boolean): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake(drained);
  }

  /** Waits until no event accepted at or before `upTo` is still pending (waiting, held for order or in flight). */
  private async waitDelivered(upTo: number, timeoutMs: number | undefined): Promise<boolean> {
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    for (;;) {
      const oldest = this.oldestPendingAt();
      if (oldest === undefined || oldest > upTo) return true;
      if (Date.now() >= deadline || this.closed) return false;
      await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
    }
  }

  private waitIdle(timeoutMs: number | undefined): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (drained: boolean) => {
        if (timer) clearTimeout(timer);
        resolve(drained);
      };
      this.idleWaiters.push(wake);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
          resolve(false);
        }, timeoutMs);
      }
      this.schedulePump();
    });
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    for (const waiter of [...this.writableWaiters]) waiter.resolve(false);
    const drained = await this.waitIdle(timeoutMs);
    if (!drained) {
      this.abort.abort(new Error('sink closing'));
      await this.waitInFlight(ABORT_GRACE_MS);
      const left = this.outbox.pending;
      if (this.outbox.durable) {
        this.logger.warn(
          { pending: left, outbox: this.outbox.location },
          'sink closed with events not delivered yet; they stay in the outbox for the next start',
        );
      } else if (left > 0) {
        this.failed += left;
        this.lastFailureAt = this.now();
        this.logger.error(
          { events: left },
          'sink closed before these events could be delivered; its outbox is in memory, so they are given up (the checkpoint did not pass them: a restart derives them again)',
        );
      }
    }
    this.closed = true;
    this.outbox.close();
    try {
      await this.transport.flush?.();
    } catch (error) {
      this.recordError(toDeliveryError(error));
    }
    await this.transport.close?.();
    this.wakeIdleWaiters(this.isIdle());
  }

  private async waitInFlight(graceMs: number): Promise<void> {
    const deadline = this.now() + graceMs;
    while (this.inFlight.size > 0 && this.now() < deadline) await sleep(10);
  }
}
