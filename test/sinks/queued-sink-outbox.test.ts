/**
 * What a sink does with what it has been handed when its destination is slow, dead or refuses: past its bound it
 * is failed and applies the operator's policy (stop: keep everything and ask the producer to stop; drop-oldest:
 * drop, counted and listed), a refusal goes to the dead-letter file, and a killed process leaves its outbox to the
 * next run.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { DeliveryError } from '../../src/sinks/errors.js';
import { QueuedSink } from '../../src/sinks/queued-sink.js';
import type { SinkTransport } from '../../src/sinks/types.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLogger, joinedEvent, tempDir } from './helpers.js';

/** A destination that takes nothing until opened, then everything, recording what it got. */
class GatedTransport implements SinkTransport {
  readonly kind = 'gated';
  readonly target = 'memory';
  readonly received: LifecycleEvent[] = [];
  calls = 0;
  private open = false;
  private waiting: (() => void)[] = [];

  async deliver(events: readonly LifecycleEvent[]): Promise<void> {
    this.calls += 1;
    if (!this.open) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.received.push(...events);
  }

  openGate(): void {
    this.open = true;
    for (const release of this.waiting.splice(0)) release();
  }
}

/** A destination that refuses some events for good (as a webhook answering 422 would). */
class RefusingTransport implements SinkTransport {
  readonly kind = 'refusing';
  readonly target = 'memory';
  readonly received: LifecycleEvent[] = [];
  constructor(private readonly refuse: (event: LifecycleEvent) => boolean) {}

  async deliver(events: readonly LifecycleEvent[]): Promise<void> {
    if (events.some(this.refuse)) {
      throw new DeliveryError('the receiver refused the event (HTTP 422)', {
        retryable: false,
        status: 422,
        code: 'HTTP_422',
      });
    }
    this.received.push(...events);
  }
}

const ids = (events: readonly LifecycleEvent[]) => events.map((event) => event.id);

describe('QueuedSink past its bound', () => {
  it('policy stop: keeps every event, is failed, asks the producer to stop, and recovers in order', async () => {
    const transport = new GatedTransport();
    const sink = new QueuedSink({ name: 'slow', transport, batchSize: 1, outbox: { capacity: 5 } });
    const events = Array.from({ length: 20 }, () => joinedEvent());
    const answers = events.map((event) => sink.write(event));
    assert.deepEqual(answers.slice(0, 5), [true, true, true, true, true]);
    assert.ok(
      answers.slice(5).every((answer) => answer === false),
      'past five, every write asks the producer to stop',
    );
    const failed = sink.health();
    assert.equal(failed.status, 'failed');
    assert.match(failed.failedBecause ?? '', /past its bound.*taking no new events/);
    assert.equal(failed.pending, 20, 'everything handed over is kept');
    assert.equal(failed.dropped, 0);

    let writable: boolean | undefined;
    const waiting = sink.whenWritable().then((value) => {
      writable = value;
    });
    transport.openGate();
    await waiting;
    assert.equal(writable, true);
    assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
    assert.deepEqual(ids(transport.received), ids(events), 'all twenty, in order');
    const after = sink.health();
    assert.equal(after.status, 'ok');
    assert.equal(after.fullCount, 1);
    assert.equal(after.dropped, 0);
    await sink.close();
  });

  it('policy drop-oldest: drops the oldest waiting events, counted, logged and listed by id only', async () => {
    const { dir, cleanup } = await tempDir();
    const { logger, records, text } = captureLogger();
    try {
      const transport = new GatedTransport();
      const sink = new QueuedSink({
        name: 'lossy',
        transport,
        batchSize: 1,
        logger,
        outbox: { dir, capacity: 5, policy: 'drop-oldest' },
      });
      const events = Array.from({ length: 12 }, () => joinedEvent());
      sink.write(events[0]!);
      await waitFor(() => transport.calls === 1, 'the first event in flight', 2_000);
      for (const event of events.slice(1))
        assert.equal(sink.write(event), true, 'drop-oldest never pushes back');
      const health = sink.health();
      assert.equal(health.status, 'failed');
      assert.match(health.failedBecause ?? '', /dropping its oldest/);
      assert.equal(health.dropped, 7, 'twelve handed over, five kept');
      transport.openGate();
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      // The one in flight was delivered; of the rest, the newest four.
      assert.deepEqual(ids(transport.received), ids([events[0]!, ...events.slice(8)]));
      const lines = (await readFile(join(dir, 'lossy.dead-letter.jsonl'), 'utf8')).trim().split('\n');
      const dropped = lines.map(
        (line) => JSON.parse(line) as { reason: string; event: Record<string, unknown> },
      );
      assert.deepEqual(
        dropped.map((entry) => entry.event.id),
        ids(events.slice(1, 8)),
      );
      assert.ok(dropped.every((entry) => entry.reason === 'dropped'));
      assert.ok(
        dropped.every((entry) => entry.event.participant === undefined),
        'ids, type, conversation and time only',
      );
      assert.equal(records().filter((r) => r.msg === 'sink dropped an event').length, 7);
      assert.ok(!text().includes('5f3c2b1a-0000-4000-8000-00000000a9e1'), 'no participant data in logs');
      await sink.close();
    } finally {
      await cleanup();
    }
  });

  it('moves what the destination refuses for good to the dead-letter file, whole, and goes on', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const events = [joinedEvent('conv-a'), joinedEvent('conv-b'), joinedEvent('conv-c')];
      const refused = events[1]!;
      const transport = new RefusingTransport((event) => event.id === refused.id);
      const sink = new QueuedSink({ name: 'picky', transport, batchSize: 1, outbox: { dir } });
      for (const event of events) sink.write(event);
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      assert.deepEqual(ids(transport.received), ids([events[0]!, events[2]!]));
      const [line] = (await readFile(join(dir, 'picky.dead-letter.jsonl'), 'utf8')).trim().split('\n');
      const entry = JSON.parse(line!) as {
        reason: string;
        code: string;
        status: number;
        event: LifecycleEvent;
      };
      assert.equal(entry.reason, 'refused');
      assert.equal(entry.status, 422);
      assert.deepEqual(entry.event, refused, 'the whole event, to send again once the cause is fixed');
      const health = sink.health();
      assert.equal(health.failed, 1);
      assert.equal(health.pending, 0, 'it left the outbox');
      assert.equal(health.deadLetterFile, join(dir, 'picky.dead-letter.jsonl'));
      await sink.close();
    } finally {
      await cleanup();
    }
  });

  it('leaves what a killed process held in its outbox to the next run, in order', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const stuck = new GatedTransport();
      const dying = new QueuedSink({ name: 'hook', transport: stuck, outbox: { dir } });
      const events = Array.from({ length: 5 }, () => joinedEvent());
      for (const event of events) dying.write(event);
      // What a checkpoint waits for before it moves past these events; then the process dies without closing.
      assert.equal(await dying.flush({ until: 'durable', timeoutMs: 1_000 }), true);
      assert.equal(stuck.received.length, 0);

      const next = new GatedTransport();
      next.openGate();
      const restarted = new QueuedSink({ name: 'hook', transport: next, outbox: { dir } });
      assert.equal(restarted.health().pending, 5);
      assert.equal(await restarted.flush({ timeoutMs: 3_000 }), true);
      assert.deepEqual(ids(next.received), ids(events));
      await restarted.close();
      await dying.close({ timeoutMs: 10 });
    } finally {
      await cleanup();
    }
  });

  it('a memory outbox is not durable: until durable means delivered', async () => {
    const transport = new GatedTransport();
    const sink = new QueuedSink({ name: 'memory', transport });
    sink.write(joinedEvent());
    assert.equal(await sink.flush({ until: 'durable', timeoutMs: 50 }), false, 'not delivered yet');
    transport.openGate();
    assert.equal(await sink.flush({ until: 'durable', timeoutMs: 2_000 }), true);
    await sink.close();
  });
});
