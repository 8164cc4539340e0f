/**
 * Fencing at the bus: a replica's NATS sink publishes an event only when a shard owner vouches for it. A shard
 * runner (recorded frames for a source, held and then activated as in a hand-over) feeds the real NATS sink whose
 * stamp hook is the cluster stream's: what the runner delivers — replayed after activation, recovered by a
 * backfill — goes out stamped with its epoch; an event nobody recorded an origin for is refused, counted and
 * logged by its ids only.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Bus } from '../../src/bus/index.js';
import { ClusterStream } from '../../src/cluster/cluster-stream.js';
import { acquireLease } from '../../src/cluster/lease.js';
import { ShardRunner } from '../../src/cluster/shard-runner.js';
import type { LifecycleEvent } from '../../src/events.js';
import { silentLogger } from '../../src/logging.js';
import { createNatsSink, EventDispatcher } from '../../src/sinks/index.js';
import type { ChannelAllowance } from '../../src/stream/channel-budget.js';
import { type Notification, parseFrame } from '../../src/stream/frames.js';
import type { NotificationsPort } from '../../src/stream/port.js';
import type { NotificationHandler, NotificationSource } from '../../src/stream/source.js';
import {
  conversationId,
  deleteStreams,
  eventOf,
  readStream,
  testBus,
  uniqueName,
  uniquePrefix,
} from '../bus/helpers.js';
import { captureLogger } from '../sinks/helpers.js';
import { MemoryKv } from './memory-kv.js';

const FIXTURES = new URL('../fixtures/snapshots/', import.meta.url);

/** Every recorded REST conversation body, by conversation id (what the wrap-up lookups and the backfill read). */
function restConversations(): Map<string, unknown> {
  const byId = new Map<string, unknown>();
  for (const name of readdirSync(FIXTURES).filter((file) => file.startsWith('rest-'))) {
    const body = JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as { id: string };
    byId.set(body.id, body);
  }
  return byId;
}

/** The recorded notifications of one conversation. */
function notifications(name: string): Notification[] {
  return readFileSync(new URL(`${name}.jsonl`, FIXTURES), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => parseFrame(line))
    .filter((frame): frame is Notification & { kind: 'notification' } => frame.kind === 'notification');
}

/** A source the test feeds by hand. */
class HandFedSource implements NotificationSource {
  private handler: NotificationHandler | undefined;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  onNotification(handler: NotificationHandler): void {
    this.handler = handler;
  }

  feed(notification: Notification): void {
    this.handler?.(notification);
  }
}

/** The shard's one channel, always available (no live pool runs here). */
const oneChannel: ChannelAllowance = {
  limit: 1,
  inUse: 0,
  tryAcquire: () => ({ release: () => undefined }),
  acquire: async () => ({ release: () => undefined }),
};

describe('publishing fenced by recorded origins', { timeout: 60_000 }, () => {
  let bus: Bus;
  const streams: string[] = [];
  before(async () => {
    bus = await testBus();
  });
  after(async () => {
    await deleteStreams(bus, ...streams);
    await bus.close();
  });

  it('publishes what a shard owner delivered (replayed after activation, backfilled) and refuses the rest', async () => {
    const rest = restConversations();
    const port = {
      getConversationDetails: async () => [],
      getConversation: async (id: string) => rest.get(id),
    } as unknown as NotificationsPort;
    const cluster = new ClusterStream({
      settings: { replicaId: 'replica-a', shards: 1, spareChannels: 1, leaseTtlMs: 60_000, bucket: 'unused' },
      stream: { port },
      selection: { topics: [] },
    });
    const stream = uniqueName('origin');
    streams.push(stream);
    const { logger, records } = captureLogger('info');
    const sink = createNatsSink(
      {
        kind: 'nats',
        url: bus.description,
        stream,
        subjectPrefix: uniquePrefix('origin'),
        retry: { initialDelayMs: 50, maxDelayMs: 500 },
      },
      { bus, stamp: cluster.stamp, logger },
    );
    const sinks = new EventDispatcher([sink], { logger: silentLogger() });
    const source = new HandFedSource();
    const delivered: LifecycleEvent[] = [];
    const runner = new ShardRunner({
      shard: '0',
      replicaId: 'replica-a',
      topics: [],
      base: {
        port,
        source,
        sinks,
        lookups: { firstLookAfterMs: 0, batchWindowMs: 0, horizonMs: 0 },
      },
      allowance: oneChannel,
      origins: cluster.origins,
      hold: true,
      onEvent: (event) => delivered.push(event),
      logger: silentLogger(),
    });
    try {
      // Moving in: connected and held, frames kept, nothing derived yet.
      await runner.start(undefined);
      for (const notification of notifications('voice-inbound-basic')) source.feed(notification);
      await runner.stream.pipeline.idle();
      assert.equal(delivered.length, 0, 'a held shard delivers nothing');

      // The old owner let go: the lease is ours; activation replays what was held.
      const lease = await acquireLease(
        new MemoryKv({ ttlMs: 60_000 }),
        'shard.0',
        { owner: 'replica-a' },
        { ttlMs: 60_000, safetyMs: 1000 },
      );
      assert.ok(lease, 'the shard lease');
      await runner.activate(lease);
      await runner.stream.pipeline.idle();
      const replayed = delivered.length;
      assert.ok(replayed > 0, 'the held frames derived events once activated');

      // A gap's recovery: a conversation read back through REST.
      runner.stream.pipeline.receiveRecovered(rest.get('d2a9f5c8-7b6e-4f1a-a3c4-8e0b1d2f3a49'), {
        kind: 'backfill',
        via: 'conversation',
      });
      await runner.stream.pipeline.idle();
      const backfilled = delivered.filter((event) => event.source.kind === 'backfill');
      assert.ok(backfilled.length > 0, 'the recovered conversation derived events');

      // An event no shard runner delivered: nothing vouches for it.
      const stray = eventOf(conversationId(), 'started');
      sink.write(stray);

      assert.equal(await sinks.flush({ timeoutMs: 20_000 }), true, 'the sink caught up');
      const stored = await readStream(bus, stream);
      assert.deepEqual(
        stored.map((message) => message.json<LifecycleEvent>().id).sort(),
        delivered.map((event) => event.id).sort(),
        'every delivered event published, replayed and backfilled alike, and nothing else',
      );
      for (const message of stored) {
        assert.equal(message.header.get('Switchboard-Epoch'), String(lease.epoch));
        assert.equal(message.header.get('Switchboard-Shard'), '0');
      }
      assert.deepEqual(sink.publishStats(), { published: delivered.length, duplicates: 0, fenced: 1 });

      const refusals = records().filter((record) => String(record.msg).startsWith('not publishing events'));
      assert.equal(refusals.length, 1, 'the refusal is logged');
      const { eventId, conversationId: refusedConversation, reason } = refusals[0]!;
      assert.deepEqual(
        { eventId, conversationId: refusedConversation, reason },
        {
          eventId: stray.id,
          conversationId: stray.conversationId,
          reason: 'no recorded origin',
        },
      );
      const logged = JSON.stringify(refusals[0]);
      for (const field of ['occurredAt', 'mediaType', 'participant', 'source'])
        assert.ok(!logged.includes(`"${field}"`), `the log line carries ids only, not ${field}`);
    } finally {
      await runner.stop({ checkpoint: false, drainMs: 0 });
      await sinks.close({ timeoutMs: 2000 });
    }
  });

  it('refuses an event with no recorded origin at once, rather than holding it back', () => {
    const cluster = new ClusterStream({
      settings: { replicaId: 'replica-a', shards: 1, spareChannels: 1, leaseTtlMs: 60_000, bucket: 'unused' },
      stream: { port: {} as NotificationsPort },
      selection: { topics: [] },
    });
    const stray = eventOf(conversationId());
    assert.deepEqual(cluster.stamp(stray), { allowed: false, reason: 'no recorded origin' });
  });
});
