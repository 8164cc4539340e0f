/**
 * QueuedSink: a {@link SinkTransport} behind a bounded {@link SinkQueue}, with ordering, retries and health.
 *
 * Ordering is either `global` (one batch in flight at a time: files, stdout) or `conversation` (up to
 * `concurrency` conversations in flight, each conversation's events strictly in order: webhooks, brokers). A
 * batch that fails with a retryable error is retried with backoff and jitter, or after the wait the destination
 * asked for; the events behind it in the same conversation wait, others proceed.
 */
import type { LifecycleEvent } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import { backoffDelay, DEFAULT_RETRY, type RetrySettings, sleep } from './backoff.js';
import { type DeliveryError, SinkClosedError, toDeliveryError } from './errors.js';
import { type QueuedEvent, SinkQueue, type SinkQueueSettings } from './queue.js';
import type {
  EventSink,
  FlushOptions,
  SinkErrorSummary,
  SinkHealth,
  SinkTransport,
  WaitOptions,
} from './types.js';

/** Options of a {@link QueuedSink}. */
export interface QueuedSinkOptions {
  name: string;
  transport: SinkTransport;
  queue?: Partial<SinkQueueSettings>;
  retry?: Partial<RetrySettings>;
  /** `global`: one batch at a time, total order. `conversation`: order per conversation, several in flight. */
  ordering?: 'global' | 'conversation';
  /** Batches in flight at once (`conversation` ordering only). */
  concurrency?: number;
  /** Most events handed to the transport in one call. */
  batchSize?: number;
  /** How long `close()` waits for pending events before giving up on them. */
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

/** A sink made of a queue and a transport. */
export class QueuedSink implements EventSink {
  readonly name: string;
  readonly kind: string;
  private readonly transport: SinkTransport;
  private readonly queue: SinkQueue;
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

  /** Events pulled from the queue whose conversation is busy, per ordering key, oldest first. */
  private readonly held = new Map<string, QueuedEvent[]>();
  private heldCount = 0;
  private readonly busyKeys = new Set<string>();
  private readonly inFlight = new Set<QueuedEvent[]>();
  /** Batches whose delivery was cut short by close; kept (spill) or counted failed at shutdown. */
  private abandoned: QueuedEvent[] = [];
  private inFlightEvents = 0;
  private pumpScheduled = false;
  private idleWaiters: ((drained: boolean) => void)[] = [];
  private closing: Promise<void> | undefined;
  private closed = false;

  private accepted = 0;
  private delivered = 0;
  private failed = 0;
  private retrying = 0;
  private retries = 0;
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
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.ordering = options.ordering ?? 'global';
    // Several batches in flight would reorder a global stream, so global ordering means one at a time.
    this.concurrency = this.ordering === 'global' ? 1 : Math.max(1, options.concurrency ?? 4);
    this.batchSize = Math.max(1, options.batchSize ?? (this.ordering === 'global' ? 256 : 1));
    this.maxHeld = Math.max(16, this.concurrency * this.batchSize * 4);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.queue = new SinkQueue(options.queue ?? {}, this.logger, options.name, this.now);
    this.queue.onAvailable = () => this.schedulePump();
    // Leftovers from a previous run's spill file are delivered first.
    if (this.queue.spilled > 0) {
      this.logger.info({ spilled: this.queue.spilled }, 'resuming events spilled by a previous run');
      this.schedulePump();
    }
  }

  write(event: LifecycleEvent): boolean {
    if (this.closing) throw new SinkClosedError(this.name);
    this.accepted += 1;
    return this.queue.offer(event);
  }

  whenWritable(options?: WaitOptions): Promise<boolean> {
    return this.queue.whenWritable(options);
  }

  async flush(options: FlushOptions = {}): Promise<boolean> {
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
    const degraded =
      this.retrying > 0 ||
      this.queue.producerBlocked ||
      this.queue.depth >= this.queue.settings.capacity ||
      (this.lastFailureAt > 0 && now - this.lastFailureAt < RECENT_FAILURE_MS);
    return {
      name: this.name,
      kind: this.kind,
      status: this.closed ? 'closed' : degraded ? 'degraded' : 'ok',
      policy: this.queue.settings.policy,
      depth: this.queue.depth + this.heldCount,
      capacity: this.queue.settings.capacity,
      inFlight: this.inFlightEvents,
      spilled: this.queue.spilled,
      oldestPendingAgeMs: oldest === undefined ? 0 : Math.max(0, now - oldest),
      lastDeliveryLagMs: this.lastDeliveryLagMs,
      lastDeliveredAt: this.lastDeliveredAt === null ? null : new Date(this.lastDeliveredAt).toISOString(),
      accepted: this.accepted,
      delivered: this.delivered,
      failed: this.failed,
      dropped: this.queue.dropped,
      retrying: this.retrying,
      retries: this.retries,
      producerBlocked: this.queue.producerBlocked,
      blockedCount: this.queue.blockedCount,
      blockedMsTotal: this.queue.blockedMsTotal,
      lastError: this.lastError,
    };
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
      const item = this.queue.shift();
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
        const next = this.queue.peek();
        if (!next || this.keyOf(next.event) !== key) break;
        batch.push(this.queue.shift()!);
      }
      this.start(key, batch);
    }
    this.notifyIfIdle();
  }

  private start(key: string, batch: QueuedEvent[]): void {
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

  private async deliverWithRetry(batch: QueuedEvent[]): Promise<void> {
    const events = batch.map((item) => item.event);
    const signal = this.abort.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.transport.deliver(events, { attempt, signal });
        const now = this.now();
        this.delivered += batch.length;
        this.lastDeliveredAt = now;
        this.lastDeliveryLagMs = now - batch[batch.length - 1]!.acceptedAt;
        return;
      } catch (thrown) {
        const error = toDeliveryError(thrown);
        this.recordError(error);
        if (signal.aborted) return this.abandon(batch, error, attempt);
        if (!error.retryable) return this.giveUp(batch, error, attempt, 'refused');
        if (attempt >= this.retry.maxAttempts) return this.giveUp(batch, error, attempt, 'out of attempts');
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
          return this.abandon(batch, error, attempt);
        } finally {
          this.retrying -= 1;
        }
      }
    }
  }

  private recordError(error: DeliveryError): void {
    this.lastError = { code: error.code, message: error.message, at: new Date(this.now()).toISOString() };
  }

  private giveUp(batch: QueuedEvent[], error: DeliveryError, attempts: number, why: string): void {
    this.failed += batch.length;
    this.lastFailureAt = this.now();
    this.logger.error(
      {
        code: error.code,
        status: error.status,
        attempts,
        events: batch.length,
        eventIds: batch.slice(0, 10).map((item) => item.event.id),
        conversationIds: [...new Set(batch.map((item) => item.event.conversationId))].slice(0, 10),
        error: error.message,
      },
      `delivery failed for good (${why}); events given up`,
    );
  }

  private abandon(batch: QueuedEvent[], error: DeliveryError, attempts: number): void {
    // Before shutdown collected the leftovers they can still be kept; after that, they are lost for good.
    if (this.closed) this.giveUp(batch, error, attempts, 'abandoned at close');
    else this.abandoned.push(...batch);
  }

  private oldestPendingAt(): number | undefined {
    let oldest = this.queue.oldestAcceptedAt();
    const consider = (at: number | undefined) => {
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    };
    for (const batch of this.inFlight) consider(batch[0]?.acceptedAt);
    for (const lane of this.held.values()) consider(lane[0]?.acceptedAt);
    return oldest;
  }

  private isIdle(): boolean {
    return (
      this.queue.depth === 0 && this.queue.spilled === 0 && this.heldCount === 0 && this.inFlight.size === 0
    );
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

  /** Waits until no event accepted at or before `upTo` is still pending (queued, held for order or in flight). */
  private async waitDelivered(upTo: number, timeoutMs: number | undefined): Promise<boolean> {
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    for (;;) {
      // Spilled events keep no acceptance time in memory: with some on disk, only a full drain says they are out.
      if (this.queue.spilled > 0) return this.waitIdle(Math.max(0, deadline - Date.now()));
      const oldest = this.oldestPendingAt();
      if (oldest === undefined || oldest > upTo) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
    }
  }

  private waitIdle(timeoutMs: number | undefined): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
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
    const drained = await this.waitIdle(timeoutMs);
    if (!drained) {
      this.abort.abort(new Error('sink closing'));
      await this.waitInFlight(ABORT_GRACE_MS);
      const left = [...this.abandoned, ...[...this.held.values()].flat(), ...this.queue.drain()].sort(
        (a, b) => a.acceptedAt - b.acceptedAt,
      );
      this.abandoned = [];
      this.held.clear();
      this.heldCount = 0;
      this.keepOrGiveUp(left);
    }
    this.closed = true;
    this.queue.close();
    try {
      await this.transport.flush?.();
    } catch (error) {
      this.recordError(toDeliveryError(error));
    }
    await this.transport.close?.();
    this.wakeIdleWaiters(this.isIdle());
  }

  /** At shutdown: undelivered events go back to the spill file when there is one, else they count as failed. */
  private keepOrGiveUp(left: QueuedEvent[]): void {
    if (left.length > 0) {
      let kept = false;
      try {
        kept = this.queue.preserve(left);
      } catch (error) {
        this.recordError(toDeliveryError(error));
      }
      if (!kept) {
        this.failed += left.length;
        this.lastFailureAt = this.now();
        this.logger.error(
          { events: left.length, eventIds: left.slice(0, 10).map((item) => item.event.id) },
          'sink closed before these events could be delivered; events given up',
        );
      }
    }
    if (this.queue.spilled > 0) {
      this.logger.warn({ spilled: this.queue.spilled }, 'events left in the spill file for the next start');
    }
  }

  private async waitInFlight(graceMs: number): Promise<void> {
    const deadline = this.now() + graceMs;
    while (this.inFlight.size > 0 && this.now() < deadline) await sleep(10);
  }
}
