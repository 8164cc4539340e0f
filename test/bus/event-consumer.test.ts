import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Bus,
  connectBus,
  consumeEvents,
  type EventConsumer,
  ensureEventStream,
  isLifecycleEvent,
} from '../../src/bus/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { createNatsSink } from '../../src/sinks/index.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { captureLogger } from '../sinks/helpers.js';
import {
  conversationId,
  deleteStreams,
  eventOf,
  sleep,
  startOwnNats,
  testBus,
  uniqueName,
  uniquePrefix,
} from './helpers.js';

/** Reads up to `count` events (handling each), for at most `timeoutMs`; stops reading after. */
async function read(
  consumer: EventConsumer,
  count: number,
  timeoutMs: number,
  handle: (event: LifecycleEvent) => unknown = () => undefined,
): Promise<LifecycleEvent[]> {
  const got: LifecycleEvent[] = [];
  const iterator = consumer.events[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  try {
    while (got.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        iterator.next(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), left);
        }),
      ]);
      clearTimeout(timer);
      if (next === 'timeout' || next.done) break;
      got.push(next.value);
      await handle(next.value);
    }
  } finally {
    await iterator.return?.();
  }
  return got;
}

describe('consumeEvents', () => {
  let bus: Bus;
  const streams: string[] = [];
  const consumers: EventConsumer[] = [];
  before(async () => {
    bus = await testBus();
  });
  after(async () => {
    for (const consumer of consumers) await consumer.close();
    await deleteStreams(bus, ...streams);
    await bus.close();
  });

  async function streamWith(
    what: string,
    events: LifecycleEvent[],
  ): Promise<{ stream: string; prefix: string }> {
    const stream = uniqueName(what);
    const prefix = uniquePrefix(what);
    streams.push(stream);
    await ensureEventStream(bus, { stream, subjectPrefix: prefix });
    const sink = createNatsSink(
      { kind: 'nats', url: bus.description, stream, subjectPrefix: prefix },
      { bus },
    );
    for (const event of events) sink.write(event);
    assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);
    await sink.close();
    return { stream, prefix };
  }

  function consumer(options: Parameters<typeof consumeEvents>[1], on: Bus = bus): EventConsumer {
    const made = consumeEvents(on, options);
    consumers.push(made);
    return made;
  }

  it('shares a durable between two consumers: each event to one of them, none to both', async () => {
    const events = Array.from({ length: 60 }, (_, i) =>
      eventOf(conversationId(), i % 2 ? 'started' : 'ended'),
    );
    const { stream } = await streamWith('split', events);
    const durable = uniqueName('workers');
    const a = consumer({ stream, durable, maxAckPending: 4 });
    const b = consumer({ stream, durable, maxAckPending: 4 });
    const seen = { a: [] as string[], b: [] as string[] };
    const total = () => seen.a.length + seen.b.length;
    const work = (name: 'a' | 'b', which: EventConsumer) => async (event: LifecycleEvent) => {
      seen[name].push(event.id);
      await sleep(5);
      which.settle(event);
    };
    await Promise.all([
      (async () => {
        while (total() < events.length) await read(a, events.length, 500, work('a', a));
      })(),
      (async () => {
        while (total() < events.length) await read(b, events.length, 500, work('b', b));
      })(),
    ]);
    const both = seen.a.filter((id) => seen.b.includes(id));
    assert.deepEqual(both, [], 'no event handled by both');
    assert.equal(new Set([...seen.a, ...seen.b]).size, events.length, 'every event handled');
    assert.equal(total(), events.length, 'each event handled once');
    assert.ok(
      seen.a.length > 0 && seen.b.length > 0,
      `both took a share (${seen.a.length}/${seen.b.length})`,
    );
    assert.equal(a.stats().acked + b.stats().acked, events.length);
    assert.equal(a.stats().redelivered + b.stats().redelivered, 0);
    await waitForAsync(
      async () => (await bus.manager.consumers.info(stream, durable)).num_ack_pending === 0,
      'acks to reach the server',
      5_000,
    );
  });

  it('redelivers an event that was not settled within ackWait', async () => {
    const event = eventOf(conversationId(), 'started');
    const { stream } = await streamWith('ackwait', [event]);
    const reader = consumer({ stream, durable: uniqueName('slow'), ackWaitMs: 1_000 });
    const [first] = await read(reader, 1, 5_000);
    assert.equal(first?.id, event.id);
    const started = Date.now();
    const [again] = await read(reader, 1, 10_000);
    assert.equal(again?.id, event.id, 'the same event came back');
    assert.ok(Date.now() - started >= 700, 'not before ackWait');
    assert.equal(reader.stats().redelivered, 1);
    reader.settle(again!);
    assert.equal(reader.stats().acked, 1);
    const none = await read(reader, 1, 2_000);
    assert.deepEqual(none, [], 'settled: no further redelivery');
  });

  it('naks a failed event and gets it back after a delay', async () => {
    const event = eventOf(conversationId(), 'ended');
    const { stream } = await streamWith('nak', [event]);
    const { logger } = captureLogger('silent');
    const reader = consumer({ stream, durable: uniqueName('nak'), logger });
    const [first] = await read(reader, 1, 5_000);
    reader.settle(first!, new Error('platform unavailable'));
    const [again] = await read(reader, 1, 10_000);
    assert.equal(again?.id, event.id);
    reader.settle(again!);
    assert.deepEqual(
      { naked: reader.stats().naked, acked: reader.stats().acked, pending: reader.stats().pending },
      { naked: 1, acked: 1, pending: 0 },
    );
  });

  it('terminates malformed messages without logging them and keeps reading', async () => {
    const good = eventOf(conversationId(), 'started');
    const stream = uniqueName('malformed');
    const prefix = uniquePrefix('malformed');
    streams.push(stream);
    await ensureEventStream(bus, { stream, subjectPrefix: prefix });
    await bus.jetstream.publish(`${prefix}.started.x`, 'customer phone +15550100 not json');
    await bus.jetstream.publish(
      `${prefix}.started.y`,
      JSON.stringify({ id: 'x', note: 'customer phone +15550100' }),
    );
    await bus.jetstream.publish(`${prefix}.started.${good.conversationId}`, JSON.stringify(good));
    const { logger, text, records } = captureLogger('info');
    const durable = uniqueName('strict');
    const reader = consumer({ stream, durable, ackWaitMs: 1_000, logger });
    const got = await read(reader, 1, 5_000, (event) => reader.settle(event));
    assert.deepEqual(
      got.map((e) => e.id),
      [good.id],
    );
    assert.equal(reader.stats().terminated, 2);
    assert.equal(
      records().filter((r) => r.msg === 'terminated a message that is not a lifecycle event').length,
      2,
    );
    assert.ok(!text().includes('+15550100'), 'no payload in the logs');
    await sleep(1_500);
    const info = await bus.manager.consumers.info(stream, durable);
    assert.equal(info.num_ack_pending, 0, 'terminated messages are not pending');
    assert.equal(info.num_redelivered, 0, 'terminated messages are not redelivered');
  });

  it('hands unsettled events back at close, so another process gets them at once', async () => {
    const events = Array.from({ length: 6 }, () => eventOf(conversationId(), 'started'));
    const { stream } = await streamWith('handback', events);
    const durable = uniqueName('handback');
    const first = consumeEvents(bus, { stream, durable, ackWaitMs: 60_000 });
    const [taken] = await read(first, 1, 5_000);
    assert.ok(taken, 'one event read');
    await first.close();
    // How many of the six the first pull brought before the close depends on timing; every one it brought went back.
    const { delivered, naked } = first.stats();
    assert.ok(naked >= 1 && naked === delivered, `everything received went back (${naked} of ${delivered})`);
    const second = consumer({ stream, durable, ackWaitMs: 60_000 });
    const started = Date.now();
    const got = await read(second, events.length, 20_000, (event) => second.settle(event));
    assert.equal(new Set(got.map((e) => e.id)).size, events.length, 'all of them');
    assert.ok(Date.now() - started < 15_000, 'long before ackWait (60 s)');
  });

  it('creates the durable again when it is deleted under it', async () => {
    const first = eventOf(conversationId(), 'started');
    const { stream, prefix } = await streamWith('recreate', [first]);
    const durable = uniqueName('recreate');
    const { logger, records } = captureLogger('info');
    const reader = consumer({ stream, durable, logger });
    const [got] = await read(reader, 1, 5_000, (event) => reader.settle(event));
    assert.equal(got?.id, first.id);
    await bus.connection.flush();
    await bus.manager.consumers.delete(stream, durable);
    const second = eventOf(conversationId(), 'ended');
    await bus.jetstream.publish(`${prefix}.ended.${second.conversationId}`, JSON.stringify(second));
    const seen = await read(reader, 2, 20_000, (event) => reader.settle(event));
    assert.ok(
      seen.some((e) => e.id === second.id),
      'the new event arrives through the new durable',
    );
    assert.ok(
      records().some((r) => r.msg === 'the durable consumer is gone; creating it again'),
      'the recreation is logged',
    );
  });

  it('recognises lifecycle events', () => {
    assert.equal(isLifecycleEvent(eventOf(conversationId())), true);
    assert.equal(isLifecycleEvent({ ...eventOf(conversationId()), participant: undefined }), false);
    assert.equal(
      isLifecycleEvent({ ...eventOf(conversationId(), 'ended'), type: 'conversation.paused' }),
      false,
    );
    assert.equal(isLifecycleEvent(null), false);
  });
});

describe('consumeEvents across a NATS restart', () => {
  it('keeps its place and goes on delivering after the server comes back', async () => {
    const nats = await startOwnNats({ jetstream: true });
    const { logger } = captureLogger('silent');
    const bus = await connectBus({ url: nats.url, logger });
    const stream = uniqueName('restart');
    const prefix = uniquePrefix('restart');
    const reader = consumeEvents(bus, { stream, durable: 'proactive', ackWaitMs: 2_000, logger });
    try {
      await ensureEventStream(bus, { stream, subjectPrefix: prefix });
      const sink = createNatsSink(
        {
          kind: 'nats',
          url: nats.url,
          stream,
          subjectPrefix: prefix,
          retry: { initialDelayMs: 50, maxDelayMs: 500 },
        },
        { bus, logger },
      );
      const before = [eventOf(conversationId(), 'started'), eventOf(conversationId(), 'started')];
      for (const event of before) sink.write(event);
      assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);
      const got: string[] = [];
      const iterator = reader.events[Symbol.asyncIterator]();
      const take = async () => {
        const next = await iterator.next();
        assert.equal(next.done, false);
        got.push(next.value!.id);
        reader.settle(next.value!);
      };
      await take();
      await take();
      await bus.connection.flush();

      // An orderly restart: a killed server may forget acks it had not written yet, and redeliver those events.
      await nats.stop('SIGTERM');
      await sleep(300);
      await nats.restart();
      const afterRestart = [eventOf(conversationId(), 'ended'), eventOf(conversationId(), 'ended')];
      for (const event of afterRestart) sink.write(event);
      assert.equal(await sink.flush({ timeoutMs: 20_000 }), true);
      const deadline = setTimeout(() => void iterator.return?.(), 30_000);
      await take();
      await take();
      clearTimeout(deadline);
      await iterator.return?.();
      await sink.close();
      // Different conversations: no order between them, only each event once and none lost.
      assert.deepEqual(got.slice(0, 2).sort(), before.map((e) => e.id).sort(), 'before the restart');
      assert.deepEqual(
        got.slice(2).sort(),
        afterRestart.map((e) => e.id).sort(),
        'after it, nothing redelivered',
      );
    } finally {
      await reader.close();
      await bus.close();
      await nats.dispose();
    }
  });
});
