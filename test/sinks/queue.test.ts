import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/logging.js';
import { SinkQueue } from '../../src/sinks/queue.js';
import { captureLogger, joinedEvent, tempDir } from './helpers.js';

describe('SinkQueue, block policy', () => {
  it('takes the event but says "wait" at capacity, and wakes the producer at the low-water mark', async () => {
    let clock = 1_000;
    const queue = new SinkQueue({ capacity: 4, policy: 'block' }, silentLogger(), 'q', () => clock);
    assert.equal(queue.offer(joinedEvent()), true);
    assert.equal(queue.offer(joinedEvent()), true);
    assert.equal(queue.offer(joinedEvent()), true);
    assert.equal(queue.offer(joinedEvent()), false, 'fourth event fills the queue');
    assert.equal(queue.depth, 4, 'the event that filled it was still taken');
    assert.equal(queue.producerBlocked, true);
    assert.equal(queue.blockedCount, 1);

    let woke: boolean | undefined;
    const waiting = queue.whenWritable({ timeoutMs: 2_000 }).then((writable) => {
      woke = writable;
    });
    assert.equal(queue.waitingProducers, 1);
    clock += 250;
    queue.shift(); // depth 3: above the low-water mark (2)
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woke, undefined, 'still above the low-water mark');
    queue.shift(); // depth 2
    await waiting;
    assert.equal(woke, true);
    assert.equal(queue.producerBlocked, false);
    assert.equal(queue.blockedMsTotal, 250, 'the wait is measured');
    assert.equal(queue.dropped, 0);
  });

  it('bounds the wait: whenWritable resolves false after maxBlockMs', async () => {
    const queue = new SinkQueue({ capacity: 1, policy: 'block', maxBlockMs: 30 }, silentLogger(), 'q');
    assert.equal(queue.offer(joinedEvent()), false);
    const started = Date.now();
    assert.equal(await queue.whenWritable(), false);
    assert.ok(Date.now() - started >= 25);
    assert.equal(queue.waitingProducers, 0);
  });

  it('drops the oldest past the hard limit, counted and logged by id', () => {
    const { logger, records } = captureLogger();
    const queue = new SinkQueue({ capacity: 2, policy: 'block', hardLimit: 3 }, logger, 'q');
    const events = [joinedEvent(), joinedEvent(), joinedEvent(), joinedEvent()];
    for (const event of events) queue.offer(event);
    assert.equal(queue.depth, 3);
    assert.equal(queue.dropped, 1);
    assert.equal(queue.shift()?.event.id, events[1]!.id, 'the oldest one went');
    const drop = records().find((r) => r.msg === 'sink queue dropped an event');
    assert.equal(drop?.eventId, events[0]!.id);
    assert.equal(drop?.reason, 'hard_limit');
  });
});

describe('SinkQueue, drop-oldest policy', () => {
  it('never blocks, keeps the newest, counts and logs every drop', async () => {
    const { logger, records } = captureLogger();
    const queue = new SinkQueue({ capacity: 3, policy: 'drop-oldest' }, logger, 'q');
    const events = Array.from({ length: 5 }, () => joinedEvent());
    for (const event of events) assert.equal(queue.offer(event), true);
    assert.equal(queue.depth, 3);
    assert.equal(queue.dropped, 2);
    assert.equal(await queue.whenWritable({ timeoutMs: 10 }), true);
    const kept = [queue.shift(), queue.shift(), queue.shift()].map((item) => item?.event.id);
    assert.deepEqual(
      kept,
      events.slice(2).map((e) => e.id),
    );
    const dropped = records()
      .filter((r) => r.msg === 'sink queue dropped an event')
      .map((r) => r.eventId);
    assert.deepEqual(dropped, [events[0]!.id, events[1]!.id]);
  });
});

describe('SinkQueue, spill policy', () => {
  it('overflows to disk and gives everything back in order', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const spillPath = join(dir, 'nested', 'q.spill.jsonl');
      const queue = new SinkQueue({ capacity: 3, policy: 'spill', spillPath }, silentLogger(), 'q');
      const events = Array.from({ length: 10 }, () => joinedEvent());
      for (const event of events) assert.equal(queue.offer(event), true, 'spill never asks to wait');
      assert.equal(queue.depth, 3);
      assert.equal(queue.spilled, 7);
      assert.equal((await readFile(spillPath, 'utf8')).trim().split('\n').length, 7);
      const out: string[] = [];
      for (let item = queue.shift(); item; item = queue.shift()) {
        out.push(item.event.id);
        if (out.length === 4) queue.offer(events[0]!); // a late arrival goes behind what is on disk
      }
      assert.deepEqual(out, [...events.map((e) => e.id), events[0]!.id]);
      assert.equal(queue.spilled, 0);
      assert.equal(queue.dropped, 0);
      assert.equal((await readFile(spillPath)).length, 0, 'the file is emptied once read back');
      queue.close();
    } finally {
      await cleanup();
    }
  });

  it('keeps spilled events across a restart and drops (counted) past spillMaxBytes', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const spillPath = join(dir, 'q.spill.jsonl');
      const first = new SinkQueue(
        { capacity: 1, policy: 'spill', spillPath, spillMaxBytes: 2_000 },
        silentLogger(),
        'q',
      );
      const events = Array.from({ length: 12 }, () => joinedEvent());
      for (const event of events) first.offer(event);
      assert.ok(first.dropped > 0, 'the size limit makes drops');
      assert.equal(
        first.depth + first.spilled + first.dropped,
        events.length,
        'every event is accounted for',
      );
      const spilledIds = events.slice(1, 1 + first.spilled).map((e) => e.id);
      first.close();

      const second = new SinkQueue({ capacity: 5, policy: 'spill', spillPath }, silentLogger(), 'q');
      assert.equal(second.spilled, spilledIds.length);
      const recovered: string[] = [];
      for (let item = second.shift(); item; item = second.shift()) recovered.push(item.event.id);
      assert.deepEqual(recovered, spilledIds);
      second.close();
    } finally {
      await cleanup();
    }
  });
});
