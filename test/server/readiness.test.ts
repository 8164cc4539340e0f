/**
 * Readiness is honest: besides disconnected channels, a failed sink, a sink whose oldest event waits past the bound,
 * a gap unrecovered past the bound, a proactive engine that is not running, an EventBridge queue not being read (or refusing every receive) and a
 * replica's unconfirmed lease each make `/readyz` answer 503 with the reason, and the metrics say the same.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CoordinatorHealth } from '../../src/cluster/coordinator.js';
import { createConversationStream, type StreamHealth } from '../../src/pipeline/conversation-stream.js';
import { ServiceApiBackend } from '../../src/server/api-backend.js';
import { startHttpServer } from '../../src/server/http-server.js';
import {
  composeReadiness,
  type EngineHealth,
  engineReadiness,
  sinkReadiness,
  streamReadiness,
} from '../../src/server/readiness.js';
import type { ServedStreamHealth } from '../../src/server/served-stream.js';
import { QueuedSink } from '../../src/sinks/queued-sink.js';
import type { SinkHealth } from '../../src/sinks/types.js';
import type { ChannelHealth } from '../../src/stream/channel-connection.js';
import { metricValue } from '../service/helpers.js';

const MINUTE = 60_000;

function channel(slot: number, state: ChannelHealth['state'] = 'connected'): ChannelHealth {
  return {
    slot,
    state,
    channelId: `c0ffee${slot}0-0000-0000-0000-000000000000`,
    topics: 10,
    permitted: 10,
    rejected: 0,
    channelAgeMs: 1000,
    expiresInMs: 86_000_000,
    tokenExpiresInMs: 80_000_000,
    heartbeatAgeMs: 100,
    lastFrameAgeMs: 100,
    reconnects: 0,
    handovers: 0,
    rotations: 0,
    channelsCreated: 1,
    frames: 5,
    malformed: 0,
    handlerErrors: 0,
  };
}

/** A real sink's health (nothing pending), with what a test wants changed. */
function sinkHealth(name: string, change: Partial<SinkHealth> = {}): SinkHealth {
  const sink = new QueuedSink({
    name,
    transport: { kind: 'webhook', target: 'https://hooks.example.com/…', deliver: async () => undefined },
  });
  const health = sink.health();
  void sink.close({ timeoutMs: 0 });
  return { ...health, ...change };
}

/** A real stream's health (nothing connected yet), as it reads once its one channel is connected. */
function streamHealth(change: Partial<ServedStreamHealth> = {}): ServedStreamHealth {
  const base = createConversationStream({}).health();
  return {
    ...base,
    pool: {
      state: 'running',
      topics: 10,
      channels: [channel(0)],
      budget: { limit: 20, inUse: 1, reserved: 0 },
      rejected: [],
      connected: true,
    },
    ...change,
  };
}

const BOUNDS = { maxBacklogAgeMs: 5 * MINUTE, maxGapAgeMs: 15 * MINUTE };

/** The dashboard of a service whose readiness is composed, as the service composes it, from its parts' own. */
function dashboard(
  read: () => { health: ServedStreamHealth; engine?: EngineHealth },
  options: { leaseTtlMs?: number } = {},
): ServiceApiBackend {
  const readiness = () => {
    const { health, engine } = read();
    const now = Date.now();
    return composeReadiness([
      sinkReadiness(health.sinks, BOUNDS),
      engineReadiness(engine, now),
      streamReadiness(health, { bounds: BOUNDS, leaseTtlMs: options.leaseTtlMs, now }),
    ]);
  };
  const state = new ServiceApiBackend({
    mode: 'run',
    showCustomerData: false,
    recentEvents: 10,
    stream: () => ({
      health: () => read().health,
      onAny: () => () => undefined,
      liveConversationIds: () => [],
      stop: async () => undefined,
      [Symbol.asyncIterator]: () => {
        throw new Error('not iterated');
      },
    }),
    platform: () => undefined,
    engine: () => read().engine,
    readiness,
    metrics: { defaultMetrics: false },
  });
  states.push(state);
  return state;
}

const states: ServiceApiBackend[] = [];
after(() => {
  for (const state of states) state.close();
});

const running: EngineHealth = {
  state: 'running',
  since: new Date().toISOString(),
  restarts: 0,
  lastError: null,
};

describe('readiness', () => {
  it('is ready when the channels are connected and nothing waits too long', () => {
    const state = dashboard(() => ({
      health: streamHealth({ sinks: [sinkHealth('webhook', { oldestPendingAgeMs: 4 * MINUTE })] }),
      engine: running,
    }));
    const readiness = state.readiness();
    assert.equal(readiness.ready, true, readiness.reason);
    assert.equal(readiness.reason, 'ok');
    assert.deepEqual(readiness.conditions, []);
  });

  it('is not ready while a sink is failed, and says why', async () => {
    let failed = true;
    const state = dashboard(() => ({
      health: streamHealth({
        sinks: [
          sinkHealth('file'),
          sinkHealth(
            'webhook',
            failed
              ? {
                  status: 'failed',
                  failedBecause: 'its outbox is full (10000 events)',
                  pending: 10_001,
                  pendingBytes: 7_000_000,
                  fullMsTotal: 4_500,
                }
              : {},
          ),
        ],
        ...(failed
          ? {
              intake: {
                paused: true,
                pausedSince: new Date().toISOString(),
                skippedNotifications: 3,
                pauses: 1,
              },
            }
          : {}),
      }),
    }));
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, backend: state });
    try {
      const answer = await fetch(`${server.url}/readyz`);
      assert.equal(answer.status, 503);
      const body = (await answer.json()) as { ready: boolean; reason: string; conditions: string[] };
      assert.equal(body.ready, false);
      assert.equal(body.reason, 'sink webhook failed: its outbox is full (10000 events)');
      assert.deepEqual(body.conditions, ['sink_failed']);
      const metrics = (await state.metricsText()).body;
      assert.equal(metricValue(metrics, 'switchboard_ready'), 0);
      assert.equal(metricValue(metrics, 'switchboard_not_ready', { condition: 'sink_failed' }), 1);
      assert.equal(metricValue(metrics, 'switchboard_not_ready', { condition: 'channels' }), 0);
      assert.equal(metricValue(metrics, 'switchboard_sink_failed_status', { sink: 'webhook' }), 1);
      assert.equal(metricValue(metrics, 'switchboard_sink_outbox_pending', { sink: 'webhook' }), 10_001);
      assert.equal(
        metricValue(metrics, 'switchboard_sink_outbox_pending_bytes', { sink: 'webhook' }),
        7_000_000,
      );
      assert.equal(
        metricValue(metrics, 'switchboard_sink_outbox_full_seconds_total', { sink: 'webhook' }),
        4.5,
      );
      assert.equal(metricValue(metrics, 'switchboard_stream_intake_paused'), 1);

      failed = false;
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      const after = (await state.metricsText()).body;
      assert.equal(metricValue(after, 'switchboard_ready'), 1);
      assert.equal(metricValue(after, 'switchboard_not_ready', { condition: 'sink_failed' }), 0);
      assert.equal(metricValue(after, 'switchboard_stream_intake_paused'), 0);
    } finally {
      await server.close();
    }
  });

  it("is not ready while a sink's oldest event has waited past the bound", async () => {
    const state = dashboard(() => ({
      health: streamHealth({ sinks: [sinkHealth('webhook', { oldestPendingAgeMs: 6 * MINUTE })] }),
    }));
    const readiness = state.readiness();
    assert.equal(readiness.ready, false);
    assert.equal(
      readiness.reason,
      'sink webhook: its oldest undelivered event has waited 360 s (bound 300 s)',
    );
    assert.deepEqual(readiness.conditions, ['sink_backlog']);
    const metrics = (await state.metricsText()).body;
    assert.equal(metricValue(metrics, 'switchboard_not_ready', { condition: 'sink_backlog' }), 1);
    assert.equal(metricValue(metrics, 'switchboard_sink_oldest_pending_seconds', { sink: 'webhook' }), 360);
  });

  it('is not ready while a gap has stayed unrecovered past the bound', () => {
    let oldestUnrecovered = new Date(Date.now() - 20 * MINUTE).toISOString();
    const state = dashboard(() => {
      const health = streamHealth();
      return {
        health: {
          ...health,
          gaps: {
            ...health.gaps,
            recovery: {
              ...(health.gaps.recovery ?? {}),
              openGaps: 1,
              oldestUnrecovered,
            } as NonNullable<StreamHealth['gaps']['recovery']>,
          },
        },
      };
    });
    const readiness = state.readiness();
    assert.equal(readiness.ready, false);
    assert.match(
      readiness.reason,
      new RegExp(`^a gap is not recovered since ${oldestUnrecovered} \\(120\\d s ago, bound 900 s\\)$`),
    );
    assert.deepEqual(readiness.conditions, ['gap_unrecovered']);

    oldestUnrecovered = new Date(Date.now() - MINUTE).toISOString();
    assert.equal(state.readiness().ready, true, 'a younger gap is being recovered: ready');
  });

  it('with an EventBridge queue, alone or beside the channels, is ready only while the queue is read', async () => {
    let running = true;
    let withPool = true;
    let failingSince: string | undefined;
    const queue = () => ({
      kind: 'eventbridge',
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/genesys',
      running,
      receives: 4,
      received: 12,
      redeliveries: 1,
      deleted: 10,
      deleteFailures: 0,
      poison: 1,
      inFlight: 1,
      awaitingDelete: 0,
      lagMs: 850,
      receiveErrors: failingSince ? 3 : 0,
      ...(failingSince ? { failingSince, lastError: 'AccessDenied: not allowed' } : {}),
    });
    const state = dashboard(() => {
      const health = streamHealth({ source: queue() });
      return { health: withPool ? health : { ...health, pool: undefined } };
    });
    let readiness = state.readiness() as ReturnType<typeof state.readiness> & { source?: unknown };
    assert.equal(readiness.ready, true, readiness.reason);
    assert.deepEqual(readiness.source, { kind: 'both', running: true, lagMs: 850 });
    const overview = state.overview() as { source: { kind: string; eventBridge: Record<string, unknown> } };
    assert.equal(overview.source.kind, 'both');
    assert.deepEqual(
      [
        overview.source.eventBridge.lagMs,
        overview.source.eventBridge.received,
        overview.source.eventBridge.deleted,
      ],
      [850, 12, 10],
    );
    assert.deepEqual(
      [
        overview.source.eventBridge.redeliveries,
        overview.source.eventBridge.poison,
        overview.source.eventBridge.inFlight,
      ],
      [1, 1, 1],
    );

    withPool = false;
    assert.equal((state.overview() as { source: { kind: string } }).source.kind, 'eventbridge');
    running = false;
    readiness = state.readiness();
    assert.equal(readiness.ready, false);
    assert.equal(readiness.reason, 'the EventBridge queue is not being read');
    assert.deepEqual(readiness.conditions, ['source']);
    const metrics = (await state.metricsText()).body;
    assert.equal(metricValue(metrics, 'switchboard_not_ready', { condition: 'source' }), 1);

    // Running, but every receive has failed for two minutes (the queue gone, the credentials refused).
    running = true;
    failingSince = new Date(Date.now() - 2 * MINUTE).toISOString();
    readiness = state.readiness();
    assert.match(
      readiness.reason,
      /^every receive from the EventBridge queue has failed for 12\d s: AccessDenied: not allowed$/,
    );
    assert.deepEqual(readiness.conditions, ['source']);
    failingSince = new Date(Date.now() - 10_000).toISOString();
    assert.equal(state.readiness().ready, true, 'failing briefly: retried, still ready');

    withPool = true;
    const websocket = dashboard(() => ({ health: streamHealth() }));
    assert.equal((websocket.overview() as { source: { kind: string } }).source.kind, 'websocket');
    const replay = dashboard(() => ({ health: { ...streamHealth(), pool: undefined } }));
    assert.equal((replay.overview() as { source: { kind: string } }).source.kind, 'other');
  });

  it('is not ready while the proactive engine is down or restarting, and counts its restarts', async () => {
    const since = new Date(Date.now() - 3000).toISOString();
    let engine: EngineHealth = {
      state: 'down',
      since,
      restarts: 2,
      lastError: { code: 'store_unavailable', message: 'The ledger could not be read.', at: since },
      nextStartAt: new Date(Date.now() + 4000).toISOString(),
    };
    const state = dashboard(() => ({ health: streamHealth(), engine }));
    const down = state.readiness();
    assert.equal(down.ready, false);
    assert.match(
      down.reason,
      new RegExp(
        `^proactive engine down since ${since} after store_unavailable: The ledger could not be read\\.; started again in [34]\\.\\d s$`,
      ),
    );
    assert.deepEqual(down.conditions, ['engine_down']);
    const metrics = (await state.metricsText()).body;
    assert.equal(metricValue(metrics, 'switchboard_proactive_engine_up'), 0);
    assert.equal(metricValue(metrics, 'switchboard_proactive_engine_restarts_total'), 2);
    assert.equal(metricValue(metrics, 'switchboard_not_ready', { condition: 'engine_down' }), 1);

    engine = { ...engine, state: 'starting', restarts: 3, since: new Date().toISOString() };
    assert.match(state.readiness().reason, /^proactive engine restarting \(restart 3, down since /);
    engine = { ...engine, state: 'running' };
    assert.equal(state.readiness().ready, true);
    const back = (await state.metricsText()).body;
    assert.equal(metricValue(back, 'switchboard_proactive_engine_up'), 1);
  });

  it('is not ready while a replica holds a lease it can no longer trust, and lists every reason', () => {
    const cluster: CoordinatorHealth = {
      replicaId: 'r1',
      members: ['r1', 'r2'],
      shards: [
        { shard: '0', owner: 'r1', placedOn: 'r1', epoch: 41, state: 'active', leaseAgeMs: 13_000 },
        { shard: '1', owner: 'r2', placedOn: 'r2', epoch: 17 },
      ],
      owned: 1,
      incoming: undefined,
      counters: { takeovers: 0, handoversIn: 0, handoversOut: 0, standDowns: 0, movesAborted: 0 },
      sparePermitsHeld: 0,
      storeAgeMs: 250,
    };
    const state = dashboard(
      () => ({
        health: streamHealth({
          cluster,
          sinks: [sinkHealth('nats', { oldestPendingAgeMs: 10 * MINUTE })],
        }),
      }),
      { leaseTtlMs: 15_000 },
    );
    const readiness = state.readiness();
    assert.equal(readiness.ready, false);
    assert.deepEqual(readiness.conditions, ['sink_backlog', 'lease_unconfirmed']);
    assert.equal(
      readiness.reason,
      'sink nats: its oldest undelivered event has waited 600 s (bound 300 s); shard 0: lease not confirmed for 13 s; it may no longer act on it (lost, or the store unreachable)',
    );
  });
});
