/**
 * The sink contract: where lifecycle events go once derived.
 *
 * A sink takes events synchronously and cheaply (`write` only appends to its outbox), delivers them in the
 * background, and reports how it is doing through `health()`. Delivery is at-least-once: an event leaves a sink's
 * outbox only when its transport acknowledged it, or when it was refused for good (moved to the dead-letter file,
 * counted `failed`), or when the overflow policy the operator chose dropped it (`drop-oldest`: counted `dropped`,
 * logged, its ids in the dead-letter file). Receivers dedupe by the event's deterministic `id`.
 *
 * Most sinks are a {@link SinkTransport} (how to deliver a batch) wrapped in a `QueuedSink` (outbox, ordering,
 * retries, health). A broker sink such as NATS JetStream fits the same mould: a transport whose `deliver`
 * publishes with the event id as message id (server-side dedupe) and resolves on the publish ack, run with
 * `ordering: 'conversation'` so events of one conversation stay in order while conversations proceed in parallel.
 */
import type { LifecycleEvent } from '../events.js';

/**
 * What a sink does once its outbox is past its bound (the sink is `failed` then, and the service not ready):
 * - `stop`: it keeps everything it was handed and asks the producer to stop taking events (`write` returns false);
 *   the stream stops reading notifications, and the time it did not read becomes a gap that backfill recovers once
 *   the sink has room again. Nothing is lost; events arrive late.
 * - `drop-oldest`: it drops the oldest events it has not handed to its transport yet, counted, logged and listed (ids
 *   only) in the dead-letter file, so the newest keep flowing.
 */
export type OverflowPolicy = 'stop' | 'drop-oldest';

/** A sink's view of its own condition. Holds counts and ids only, never event payloads or secrets. */
export interface SinkHealth {
  name: string;
  kind: string;
  /**
   * `degraded` while retrying or after a recent failure; `failed` while its outbox is past its bound (the
   * service is not ready then, and the overflow policy applies); `closed` after close.
   */
  status: 'ok' | 'degraded' | 'failed' | 'closed';
  /** Why the sink is failed, when it is (no payloads, no secrets). */
  failedBecause?: string;
  policy: OverflowPolicy;
  /** Whether the outbox survives a crash (a file) or not (memory). */
  durable: boolean;
  /** Where the outbox is: a file path, or `memory`. */
  outbox: string;
  /** Events waiting: not yet handed to the transport (in the outbox, or held back for per-conversation order). */
  depth: number;
  /** The outbox's bound in events. */
  capacity: number;
  /** The outbox's bound in stored size (a durable outbox's JSON, in characters); null where not measured. */
  maxBytes: number | null;
  /** Events in the outbox not acknowledged yet (waiting or in flight), and their stored size. */
  pending: number;
  pendingBytes: number;
  /** Events the transport is working on right now (including those waiting for a retry). */
  inFlight: number;
  /** Age of the oldest event not yet delivered, in ms; 0 when nothing is pending. */
  oldestPendingAgeMs: number;
  /** Time from acceptance to acknowledgement of the last delivered event, in ms. */
  lastDeliveryLagMs: number | null;
  lastDeliveredAt: string | null;
  accepted: number;
  delivered: number;
  /** Events given up on: refused for good by the receiver or out of attempts (moved to the dead-letter file). */
  failed: number;
  /** Events discarded by the `drop-oldest` policy. */
  dropped: number;
  /** The dead-letter file, when the sink has one. */
  deadLetterFile: string | null;
  /** Batches currently waiting to be retried. */
  retrying: number;
  /** Retry attempts made so far (attempts beyond the first). */
  retries: number;
  /** True while the outbox is past its bound; how many times it got there, and for how long in total. */
  full: boolean;
  fullCount: number;
  fullMsTotal: number;
  lastError: SinkErrorSummary | null;
}

/** The last delivery problem, described without payloads, bodies or secrets. */
export interface SinkErrorSummary {
  code: string;
  message: string;
  at: string;
}

/** Options of {@link EventSink.flush}. */
export interface FlushOptions {
  timeoutMs?: number;
  /**
   * Wait only for the events accepted at or before this time (epoch ms), not for ones taken since: under steady
   * traffic a sink is never empty, but everything older than a moment can be known delivered. A sink that cannot
   * tell waits for all, which is stricter.
   */
  acceptedUpTo?: number;
  /**
   * `delivered` (default): wait until the transport acknowledged them. `durable`: a sink whose outbox survives a
   * crash only makes them durable there (they will be delivered, by this run or the next), and returns at once.
   */
  until?: 'delivered' | 'durable';
}

/** Options of {@link EventSink.whenWritable}. */
export interface WaitOptions {
  /** Give up waiting after this long (no limit when absent). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Where lifecycle events go. */
export interface EventSink {
  readonly name: string;
  readonly kind: string;
  /**
   * Takes an event for delivery; synchronous and cheap. Returns `false` when the outbox is past its bound under
   * the `stop` policy: the event was still taken, and the producer should take no more events until
   * `whenWritable()` resolves. Throws `SinkClosedError` after `close()`.
   */
  write(event: LifecycleEvent): boolean;
  /** Resolves `true` once the sink has room again, `false` when the wait timed out or was aborted. */
  whenWritable(options?: WaitOptions): Promise<boolean>;
  /**
   * Waits until every event taken so far (or up to `acceptedUpTo`) is delivered or given up on, or with
   * `until: 'durable'` only durable in the outbox; `false` if the timeout came first.
   */
  flush(options?: FlushOptions): Promise<boolean>;
  /** Stops taking events, delivers what it can within the timeout, then releases resources. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  health(): SinkHealth;
}

/** Per-call context handed to a transport. */
export interface DeliveryContext {
  /** 1 for the first try of this batch, then 2, 3, ... */
  attempt: number;
  /** Aborted when the sink is closing and its deadline passed. */
  signal: AbortSignal;
}

/** How to put a batch of events somewhere. Failures are thrown as {@link DeliveryError}. */
export interface SinkTransport {
  readonly kind: string;
  /** A description safe for logs (no secrets, no query strings). */
  readonly target: string;
  /** Delivers the batch, in order; resolves once the destination has it. */
  deliver(events: readonly LifecycleEvent[], context: DeliveryContext): Promise<void>;
  /** Makes what was delivered durable (fsync, drain); optional. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}
