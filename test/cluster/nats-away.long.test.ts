/**
 * NATS away for longer than a replica's memory outbox lasts: the bus sink fills past its bound, the shards stop
 * reading (and their leases lapse, NATS being where they live), and once NATS is back the replica takes its shards
 * again from their checkpoints — which never passed an event JetStream had not acknowledged — and backfills what
 * it did not read. JetStream ends with every fact of the ground truth.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Bus, connectBus } from '../../src/bus/connection.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { type OwnNats, readStream, startOwnNats } from '../bus/helpers.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { testSchemas } from '../store/pg-helpers.js';
import { ReplicaSet } from './replica-harness.js';

const SHARDS = 2;
const HEARTBEAT_MS = 400;
/** A small bound, so a NATS outage of seconds passes it under this traffic; the bound is what this test is about. */
const OUTBOX_CAPACITY = 40;

describe('a replica while NATS is away', { timeout: 300_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const stream = `SBNATSAWAY_${run}`;
  const schemas = testSchemas('sb_nats_away');
  let emulator: Emulator;
  let nats: OwnNats;
  let set: ReplicaSet;

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      seed: 31,
      timeScale: 30,
      conversationsPerMinute: 0,
      historyDays: 0,
      agents: 30,
      queues: 6,
      heartbeatIntervalMs: HEARTBEAT_MS,
      analyticsLagMs: 1000,
      analyticsLagJitterMs: 1000,
    });
    nats = await startOwnNats({ jetstream: true });
    set = new ReplicaSet({
      emulator,
      natsUrl: nats.url,
      storeUrl: schemas.url(schemas.schema('away')),
      shards: SHARDS,
      spareChannels: 2,
      leaseTtl: '4s',
      heartbeatMs: HEARTBEAT_MS,
      stream,
      bucket: `sbnatsaway-${run}`,
      outboxCapacity: OUTBOX_CAPACITY,
    });
  });

  after(async () => {
    await set?.stopAll();
    set?.dispose();
    await nats?.dispose();
    await emulator?.stop();
    await schemas.dropAll();
  });

  it('loses nothing: JetStream ends with every fact', async (t) => {
    const replica = await set.start('r1');
    await waitForAsync(async () => (await set.owners(['r1'])).size === SHARDS, 'both shards owned', {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    emulator.world!.setTraffic(10);
    await waitForAsync(
      async () => ((await replica.health())?.stream?.pipeline.eventsTotal ?? 0) > 30,
      'events flowing',
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    await nats.stop('SIGKILL');
    const downAt = Date.now();
    // Away until the bus sink has passed its bound, and then some: longer than the memory outbox lasts.
    await waitForAsync(
      async () => ((await replica.health())?.stream?.sinks ?? []).some((sink) => (sink.fullCount ?? 0) > 0),
      'the bus sink to pass its bound',
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await nats.restart();
    t.diagnostic(`NATS away for ${Math.round((Date.now() - downAt) / 1000)} s`);

    await waitForAsync(async () => (await set.owners(['r1'])).size === SHARDS, 'both shards owned again', {
      timeoutMs: 90_000,
      intervalMs: 200,
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    emulator.world!.setTraffic(0);
    await waitForAsync(() => emulator.world!.activeConversations === 0, 'every conversation to end', {
      timeoutMs: 90_000,
      intervalMs: 200,
    });
    const previous = { total: -1 };
    await waitForAsync(() => set.atRest(['r1'], SHARDS, previous), 'the replica to be at rest', {
      timeoutMs: 120_000,
      intervalMs: 1_000,
    });
    await set.stopAll();

    const bus: Bus = await connectBus({ url: nats.url });
    try {
      const events = (await readStream(bus, stream)).map((message) => message.json<LifecycleEvent>());
      const ids = new Set(events.map((event) => event.id));
      const truth = emulator.world!.groundTruth();
      const truthIds = new Set(truth.map((fact) => fact.id));
      const missing = truth.filter((fact) => !ids.has(fact.id));
      t.diagnostic(`${ids.size} of ${truth.length} facts in JetStream, ${missing.length} missing`);
      assert.ok(truth.length > 100, `enough traffic to mean something (${truth.length} facts)`);
      assert.deepEqual(
        missing.slice(0, 5).map((fact) => `${fact.type} ${fact.conversationId} ${fact.occurredAt}`),
        [],
        `${missing.length} of ${truth.length} facts missing from JetStream`,
      );
      assert.deepEqual(
        events.filter((event) => !truthIds.has(event.id)).map((event) => event.type),
        [],
        'nothing that did not happen',
      );
    } finally {
      await bus.close();
    }
  });
});
