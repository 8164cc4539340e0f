import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { DeliveryError } from '../../src/sinks/errors.js';
import { QueuedSink } from '../../src/sinks/queued-sink.js';
import type { DeliveryContext, SinkTransport } from '../../src/sinks/types.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLogger, joinedEvent } from './helpers.js';

/** A transport the test steers: each call waits until the test settles it. */
class SteeredTransport implements SinkTransport {
  readonly kind = 'steered';
  readonly target = 'memory';
  readonly calls: { events: readonly LifecycleEvent[]; context: DeliveryContext }[] = [];
  readonly delivered: string[] = [];
  private pending: {
    resolve: () => void;
    reject: (error: unknown) => void;
    events: readonly LifecycleEvent[];
  }[] = [];

  deliver(events: readonly LifecycleEvent[], context: DeliveryContext): Promise<void> {
    this.calls.push({ events, context });
    return new Promise((resolve, reject) => {
      this.pending.push({
        resolve: () => {
          this.delivered.push(...events.map((e) => e.id));
          resolve();
        },
        reject,
        events,
      });
    });
  }

  get waiting(): number {
    return this.pending.length;
  }

  succeed(): void {
    this.pending.shift()?.resolve();
  }

  fail(error: unknown): void {
    this.pending.shift()?.reject(error);
  }
}

describe('QueuedSink health', () => {
  it('reports depth, in-flight, age of the oldest pending event, lag and counts', async () => {
    let clock = 10_000;
    const transport = new SteeredTransport();
    const sink = new QueuedSink({ name: 'steered', transport, batchSize: 1, now: () => clock });
    const events = [joinedEvent(), joinedEvent(), joinedEvent()];
    for (const event of events) {
      sink.write(event);
      clock += 100;
    }
    await waitFor(() => transport.waiting === 1, 'first delivery', 1_000);
    clock = 10_500;
    let health = sink.health();
    assert.equal(health.accepted, 3);
    assert.equal(health.inFlight, 1);
    assert.equal(health.depth, 2);
    assert.equal(health.capacity, 50_000, 'a memory outbox holds 50,000 events by default');
    assert.equal(health.oldestPendingAgeMs, 500, 'the first event was taken at 10 000');
    assert.equal(health.status, 'ok');
    assert.equal(health.lastDeliveredAt, null);

    transport.succeed();
    await waitFor(() => transport.waiting === 1 && sink.health().delivered === 1, 'second delivery', 1_000);
    health = sink.health();
    assert.equal(health.lastDeliveryLagMs, 500);
    assert.equal(health.lastDeliveredAt, new Date(10_500).toISOString());
    assert.equal(health.oldestPendingAgeMs, 400, 'now the second event is the oldest');
    assert.equal(health.depth, 1);

    transport.succeed();
    await waitFor(() => transport.waiting === 1, 'third delivery', 1_000);
    transport.succeed();
    assert.equal(await sink.flush({ timeoutMs: 1_000 }), true);
    health = sink.health();
    assert.equal(health.delivered, 3);
    assert.equal(health.depth + health.inFlight, 0);
    assert.equal(health.oldestPendingAgeMs, 0);
    assert.deepEqual(
      transport.delivered,
      events.map((e) => e.id),
    );
    await sink.close();
  });

  it('retries retryable failures up to maxAttempts, then counts the batch failed', async () => {
    const { logger, records } = captureLogger();
    const transport = new SteeredTransport();
    const sink = new QueuedSink({
      name: 'steered',
      transport,
      logger,
      retry: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 },
    });
    const event = joinedEvent();
    sink.write(event);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await waitFor(() => transport.waiting === 1, `attempt ${attempt}`, 1_000);
      assert.equal(transport.calls.at(-1)?.context.attempt, attempt);
      transport.fail(new DeliveryError('destination busy', { retryable: true, code: 'busy' }));
      // The retry wait is a few ms: on a busy machine the next attempt may already have begun when we look.
      if (attempt < 3) {
        await waitFor(
          () => sink.health().retrying === 1 || transport.calls.length > attempt,
          'retry wait',
          1_000,
        );
      }
    }
    await sink.flush({ timeoutMs: 1_000 });
    const health = sink.health();
    assert.equal(health.failed, 1);
    assert.equal(health.retries, 2);
    assert.equal(health.retrying, 0);
    assert.equal(health.status, 'degraded', 'a recent failure degrades the sink');
    assert.deepEqual(health.lastError && { code: health.lastError.code, message: health.lastError.message }, {
      code: 'busy',
      message: 'destination busy',
    });
    const retriesLogged = records().filter((r) => r.msg === 'delivery failed; retrying');
    assert.equal(retriesLogged.length, 2);
    const given = records().find((r) => String(r.msg).includes('out of attempts'));
    assert.deepEqual(given?.eventIds, [event.id]);
    await sink.close();
  });

  it('treats unexpected errors as retryable and refuses writes after close', async () => {
    const transport = new SteeredTransport();
    const sink = new QueuedSink({ name: 'steered', transport, retry: { initialDelayMs: 5, maxDelayMs: 5 } });
    sink.write(joinedEvent());
    await waitFor(() => transport.waiting === 1, 'first attempt', 1_000);
    transport.fail(new Error('socket hang up'));
    await waitFor(() => transport.waiting === 1, 'second attempt', 1_000);
    assert.equal(sink.health().retries, 1);
    assert.equal(await sink.flush({ timeoutMs: 20 }), false, 'flush reports a timeout');
    transport.succeed();
    assert.equal(await sink.flush({ timeoutMs: 1_000 }), true);
    assert.equal(sink.health().delivered, 1);
    const closing = sink.close();
    assert.equal(sink.close(), closing, 'close is idempotent');
    await closing;
    assert.throws(() => sink.write(joinedEvent()), { code: 'sink_closed' });
    assert.equal(sink.health().status, 'closed');
  });

  it('under conversation ordering, delivers conversations in parallel and each one in order', async () => {
    const transport = new SteeredTransport();
    const sink = new QueuedSink({ name: 'steered', transport, ordering: 'conversation', concurrency: 2 });
    const a1 = joinedEvent('a');
    const a2 = joinedEvent('a');
    const b1 = joinedEvent('b');
    const c1 = joinedEvent('c');
    for (const event of [a1, a2, b1, c1]) sink.write(event);
    await waitFor(() => transport.waiting === 2, 'two in flight', 1_000);
    assert.deepEqual(
      transport.calls.map((c) => c.events.map((e) => e.id)),
      [[a1.id], [b1.id]],
      'a2 waits for a1; c waits for a free slot',
    );
    assert.equal(sink.health().depth, 2);
    transport.succeed(); // a1
    await waitFor(() => transport.calls.length === 3, 'a2 after a1', 1_000);
    assert.deepEqual(
      transport.calls[2]?.events.map((e) => e.id),
      [a2.id],
    );
    transport.succeed(); // b1
    await waitFor(() => transport.calls.length === 4, 'c1', 1_000);
    transport.succeed();
    transport.succeed();
    assert.equal(await sink.flush({ timeoutMs: 1_000 }), true);
    assert.equal(sink.health().delivered, 4);
    await sink.close();
  });
});

describe('QueuedSink flush up to a moment', () => {
  it('waits for the events accepted until then, not for those taken since', async () => {
    let now = 1_000;
    const transport = new SteeredTransport();
    const sink = new QueuedSink({
      name: 'steered',
      transport,
      logger: captureLogger().logger,
      now: () => now,
      batchSize: 1,
      concurrency: 1,
    });
    sink.write(joinedEvent('c0ffee00-0000-4000-8000-000000000001'));
    now = 2_000;
    sink.write(joinedEvent('c0ffee00-0000-4000-8000-000000000002'));
    await waitFor(() => transport.waiting === 1, 'the first event in flight', 3_000);

    assert.equal(
      await sink.flush({ timeoutMs: 50, acceptedUpTo: 1_500 }),
      false,
      'the first event is still out',
    );
    transport.succeed();
    await waitFor(() => transport.waiting === 1, 'the second event in flight', 3_000);
    assert.equal(
      await sink.flush({ timeoutMs: 200, acceptedUpTo: 1_500 }),
      true,
      'everything accepted by 1,500 is delivered, though a later event is pending',
    );
    assert.equal(await sink.flush({ timeoutMs: 50 }), false, 'a full flush still waits for the later event');
    transport.succeed();
    assert.equal(await sink.flush({ timeoutMs: 500 }), true, 'and then drains');
    await sink.close();
  });
});
