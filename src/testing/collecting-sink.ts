/**
 * A sink that keeps every event it is given in memory, in the order given: the receiving end of a test. It
 * delivers at once and never fills; after `close()` it refuses events like any sink.
 */
import type { LifecycleEvent } from '../events.js';
import { SinkClosedError } from '../sinks/errors.js';
import type { EventSink, SinkHealth } from '../sinks/types.js';

/** Options of {@link createCollectingSink}. */
export interface CollectingSinkOptions {
  /** The sink's name in health and logs (default `collect`). */
  name?: string;
}

/** An {@link EventSink} that keeps what it is given. */
export interface CollectingSink extends EventSink {
  /** Every event written so far, in order, duplicates included. */
  readonly events: readonly LifecycleEvent[];
  /** Forgets the events collected so far (the counts in `health()` stay). */
  clear(): void;
}

/** A sink that keeps every event in memory; hand it to `new EventDispatcher([sink])` or read `events` directly. */
export function createCollectingSink(options: CollectingSinkOptions = {}): CollectingSink {
  const name = options.name ?? 'collect';
  const events: LifecycleEvent[] = [];
  let accepted = 0;
  let closed = false;
  let lastDeliveredAt: string | null = null;
  return {
    name,
    kind: 'collect',
    events,
    write(event: LifecycleEvent): boolean {
      if (closed) throw new SinkClosedError(name);
      events.push(event);
      accepted += 1;
      lastDeliveredAt = new Date().toISOString();
      return true;
    },
    clear(): void {
      events.length = 0;
    },
    whenWritable: async () => !closed,
    flush: async () => true,
    async close(): Promise<void> {
      closed = true;
    },
    health(): SinkHealth {
      return {
        name,
        kind: 'collect',
        status: closed ? 'closed' : 'ok',
        policy: 'stop',
        durable: false,
        outbox: 'memory',
        depth: 0,
        capacity: Number.POSITIVE_INFINITY,
        maxBytes: null,
        pending: 0,
        pendingBytes: 0,
        inFlight: 0,
        oldestPendingAgeMs: 0,
        lastDeliveryLagMs: accepted > 0 ? 0 : null,
        lastDeliveredAt,
        accepted,
        delivered: accepted,
        failed: 0,
        dropped: 0,
        deadLetterFile: null,
        retrying: 0,
        retries: 0,
        full: false,
        fullCount: 0,
        fullMsTotal: 0,
        lastError: null,
      };
    },
  };
}
