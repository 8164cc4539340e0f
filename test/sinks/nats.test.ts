import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Bus, busSubject, connectBus } from '../../src/bus/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { createNatsSink, type NatsSink } from '../../src/sinks/index.js';
import {
  conversationId,
  deleteStreams,
  eventOf,
  readStream,
  sleep,
  startOwnNats,
  storedEvents,
  testBus,
  uniqueName,
  uniquePrefix,
} from '../bus/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLogger } from './helpers.js';

const FAST_RETRY = { initialDelayMs: 50, maxDelayMs: 500 };

function idsByConversation(events: LifecycleEvent[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const event of events)
    map.set(event.conversationId, [...(map.get(event.conversationId) ?? []), event.id]);
  return map;
}

describe('NATS sink', () => {
  let bus: Bus;
  const streams: string[] = [];
  const sinks: NatsSink[] = [];
  before(async () => {
    bus = await testBus();
  });
  after(async () => {
    for (const sink of sinks) await sink.close({ timeoutMs: 1_000 });
    await deleteStreams(bus, ...streams);
    await bus.close();
  });

  function sinkOn(stream: string, prefix: string, options: Parameters<typeof createNatsSink>[1] = {}) {
    streams.push(stream);
    const sink = createNatsSink(
      { kind: 'nats', url: bus.description, stream, subjectPrefix: prefix, retry: FAST_RETRY },
      { bus, ...options },
    );
    sinks.push(sink);
    return sink;
  }

  it('stores an event published twice once, and counts the duplicate', async () => {
    const stream = uniqueName('dedupe');
    const prefix = uniquePrefix('dedupe');
    const sink = sinkOn(stream, prefix);
    const event = eventOf(conversationId(), 'started');
    sink.write(event);
    assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);
    sink.write(structuredClone(event));
    assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);

    const stored = await readStream(bus, stream);
    assert.equal(stored.length, 1, 'stored once');
    assert.equal(stored[0]!.subject, busSubject(prefix, event));
    assert.deepEqual(stored[0]!.json(), event, 'the body is the event as JSON');
    assert.deepEqual(sink.publishStats(), { published: 1, duplicates: 1, fenced: 0 });
    const health = sink.health();
    assert.equal(health.kind, 'nats');
    assert.equal(health.delivered, 2);
    assert.equal(health.failed, 0);
  });

  it("keeps each conversation's events in order while conversations go in parallel", async () => {
    const stream = uniqueName('order');
    const sink = sinkOn(stream, uniquePrefix('order'), {});
    const conversations = Array.from({ length: 12 }, () => conversationId());
    const written: LifecycleEvent[] = [];
    for (let round = 0; round < 15; round++) {
      for (const id of conversations) {
        const event = eventOf(id);
        written.push(event);
        sink.write(event);
      }
    }
    assert.equal(await sink.flush({ timeoutMs: 20_000 }), true);
    const stored = await storedEvents(bus, stream);
    assert.equal(stored.length, written.length, 'everything arrived');
    assert.deepEqual(idsByConversation(stored), idsByConversation(written), 'per-conversation order kept');
  });

  it('does not publish fenced events, adds the stamp headers, and logs once per burst', async () => {
    const stream = uniqueName('fence');
    const { logger, records } = captureLogger('info');
    let clock = Date.now();
    const owned = new Set<string>();
    const sink = sinkOn(stream, uniquePrefix('fence'), {
      logger,
      now: () => clock,
      stamp: (event) => ({
        allowed: owned.has(event.conversationId),
        headers: { 'Switchboard-Shard': '7', 'Switchboard-Epoch': '3', 'Switchboard-Replica': 'replica-a' },
      }),
    });
    const mine = conversationId();
    const lost = conversationId();
    owned.add(mine);
    owned.add(lost);
    const allowed = [eventOf(mine), eventOf(lost)];
    for (const event of allowed) sink.write(event);
    assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);
    // The lease of the second conversation's shard is lost: its events stop, the other's go on, interleaved.
    owned.delete(lost);
    const later: LifecycleEvent[] = [];
    for (let i = 0; i < 5; i++) {
      sink.write(eventOf(lost));
      const event = eventOf(mine);
      later.push(event);
      sink.write(event);
    }
    assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);

    const stored = await readStream(bus, stream);
    assert.deepEqual(
      stored.map((m) => m.json<LifecycleEvent>().id).sort(),
      [...allowed, ...later].map((e) => e.id).sort(),
      'only the events published as owner',
    );
    for (const message of stored) {
      assert.equal(message.header.get('Switchboard-Shard'), '7');
      assert.equal(message.header.get('Switchboard-Epoch'), '3');
      assert.equal(message.header.get('Switchboard-Replica'), 'replica-a');
    }
    assert.deepEqual(sink.publishStats(), { published: 7, duplicates: 0, fenced: 5 });
    const fenceLines = () => records().filter((r) => String(r.msg).startsWith('not publishing events'));
    assert.equal(fenceLines().length, 1, 'one line for the burst, allowed events in between or not');

    clock += 60_000;
    sink.write(eventOf(lost));
    assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);
    assert.equal(fenceLines().length, 2, 'a new burst after a pause is logged again');
    assert.equal(fenceLines()[1]!.previousBurst, 5, 'with the size of the burst before');
  });
});

describe('NATS sink across a NATS restart', () => {
  it('loses nothing and stores everything exactly once, in order per conversation', async () => {
    const nats = await startOwnNats({ jetstream: true });
    const stream = uniqueName('restart');
    const { logger } = captureLogger('silent');
    const sink = createNatsSink(
      {
        kind: 'nats',
        url: nats.url,
        stream,
        publishTimeoutMs: 1_000,
        retry: FAST_RETRY,
        closeTimeoutMs: 2_000,
      },
      { logger },
    );
    let check: Bus | undefined;
    try {
      await sink.ready();
      const conversations = Array.from({ length: 10 }, () => conversationId());
      const written: LifecycleEvent[] = [];
      const total = 400;
      let killed = false;
      for (let i = 0; i < total; i++) {
        const event = eventOf(conversations[i % conversations.length]!);
        written.push(event);
        sink.write(event);
        if (i % 10 === 9) await sleep(5);
        if (!killed && sink.publishStats().published >= total / 4) {
          killed = true;
          await nats.stop('SIGKILL');
        }
      }
      assert.ok(killed, 'the server was killed while events were being published');
      assert.ok(sink.publishStats().published < total, 'events were left to publish when it died');
      await sleep(500);
      await nats.restart();
      assert.equal(await sink.flush({ timeoutMs: 60_000 }), true, 'the sink caught up after the restart');

      check = await connectBus({ url: nats.url });
      const stored = await storedEvents(check, stream);
      const ids = stored.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no event stored twice');
      assert.equal(ids.length, written.length, 'no event lost');
      assert.deepEqual(idsByConversation(stored), idsByConversation(written), 'per-conversation order kept');
      const health = sink.health();
      assert.equal(health.failed, 0);
      assert.equal(health.delivered, total);
      assert.ok(health.retries > 0, 'deliveries were retried during the outage');
    } finally {
      await sink.close({ timeoutMs: 2_000 });
      await check?.close();
      await nats.dispose();
    }
  });
});

describe('NATS sink before NATS is reachable', () => {
  it('keeps events queued and retrying, then delivers them when the server appears', async () => {
    const nats = await startOwnNats({ jetstream: true });
    await nats.stop('SIGTERM');
    const stream = uniqueName('late');
    const sink = createNatsSink(
      { kind: 'nats', url: nats.url, stream, publishTimeoutMs: 1_000, retry: FAST_RETRY },
      {},
    );
    let check: Bus | undefined;
    try {
      const event = eventOf(conversationId(), 'started');
      sink.write(event);
      await waitFor(() => sink.health().retries >= 2, 'retries while NATS is down', 10_000);
      assert.equal(sink.health().lastError?.code, 'nats_unavailable');
      await nats.restart();
      assert.equal(await sink.flush({ timeoutMs: 20_000 }), true);
      check = await connectBus({ url: nats.url });
      assert.deepEqual(
        (await storedEvents(check, stream)).map((e) => e.id),
        [event.id],
      );
    } finally {
      await sink.close({ timeoutMs: 2_000 });
      await check?.close();
      await nats.dispose();
    }
  });
});
