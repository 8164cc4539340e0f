/**
 * The sink contract: where lifecycle events go once derived.
 *
 * A sink takes events synchronously and cheaply (`write` only enqueues), delivers them in the background, and
 * reports how it is doing through `health()`. Delivery is at-least-once: an event leaves a sink only when its
 * transport acknowledged it, when it was refused for good (counted `failed`), or when the queue policy dropped it
 * (counted `dropped`, logged). Receivers dedupe by the event's deterministic `id`.
 *
 * Most sinks are a {@link SinkTransport} (how to deliver a batch) wrapped in a `QueuedSink` (queue, ordering,
 * retries, health). A broker sink such as NATS JetStream fits the same mould: a transport whose `deliver`
 * publishes with the event id as message id (server-side dedupe) and resolves on the publish ack, run with
 * `ordering: 'conversation'` so events of one conversation stay in order while conversations proceed in parallel.
 */
import type { LifecycleEvent } from '../events.js';

/** What the queue does when it is full. */
export type OverflowPolicy = 'block' | 'drop-oldest' | 'spill';

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
  /** Events accepted and not yet handed to the transport (memory queue plus those held for ordering). */
  depth: number;
  capacity: number;
  /** Events the transport is working on right now (including those waiting for a retry). */
  inFlight: number;
  /** Events waiting in the spill file (spill policy only). */
  spilled: number;
  /** Age of the oldest event not yet delivered, in ms; 0 when nothing is pending. */
  oldestPendingAgeMs: number;
  /** Time from acceptance to acknowledgement of the last delivered event, in ms. */
  lastDeliveryLagMs: number | null;
  lastDeliveredAt: string | null;
  accepted: number;
  delivered: number;
  /** Events given up on: refused for good by the receiver, out of attempts, or abandoned at close. */
  failed: number;
  /** Events discarded by the overflow policy. */
  dropped: number;
  /** Batches currently waiting to be retried. */
  retrying: number;
  /** Retry attempts made so far (attempts beyond the first). */
  retries: number;
  /** True while the queue is full under the `block` policy and the producer is asked to wait. */
  producerBlocked: boolean;
  /** How many times the producer was asked to wait, and for how long in total. */
  blockedCount: number;
  blockedMsTotal: number;
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
}

/** Options of {@link EventSink.whenWritable}. */
export interface WaitOptions {
  /** Give up waiting after this long (the sink's `maxBlockMs` when absent). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Where lifecycle events go. */
export interface EventSink {
  readonly name: string;
  readonly kind: string;
  /**
   * Takes an event for delivery; synchronous and cheap. Returns `false` when the queue is full under the `block`
   * policy: the event was still taken, and the producer should `await whenWritable()` before writing more.
   * Throws `SinkClosedError` after `close()`.
   */
  write(event: LifecycleEvent): boolean;
  /** Resolves `true` once the sink has room again, `false` when the wait timed out or was aborted. */
  whenWritable(options?: WaitOptions): Promise<boolean>;
  /** Waits until every event taken so far is delivered or given up on; `false` if the timeout came first. */
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
