/**
 * The channel pool against the emulator, over the platform client (one attempt a request, so the pool's own retries
 * are what the tests count): what the pool asked of the platform is read from the emulator's request journal, and
 * what the platform holds from its hub.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  type ClientDefinition,
  DEFAULT_CLIENT,
  type Emulator,
  type StartEmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';
import { createWorld } from '../../src/emulator/world/index.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import { Backfiller, type RecoveredConversation } from '../../src/stream/backfiller.js';
import { ChannelPool, type ChannelPoolOptions } from '../../src/stream/channel-pool.js';
import type { Notification } from '../../src/stream/frames.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { NotificationsPort } from '../../src/stream/port.js';
import type { Gap, StreamStatus } from '../../src/stream/status.js';
import type { ConnectionTiming } from '../../src/stream/timing.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';
import { waitFor } from '../helpers/wait-for.js';

/** A pause before checking that something did not happen. */
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const FAST: Partial<ConnectionTiming> = {
  heartbeatIntervalMs: 40,
  watchdogMultiple: 4,
  connectTimeoutMs: 1000,
  backoff: { initialDelayMs: 10, maxDelayMs: 40 },
  rotationJitterMs: 0,
  minChannelLifeMs: 50,
};

const Q = (n: number): string => queueTopic(`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
const CREATE = '/api/v2/notifications/channels';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface SetupOptions extends Partial<ChannelPoolOptions> {
  heartbeatIntervalMs?: number;
  start?: boolean;
  /** The emulator's settings and world (none by default: the topics name queues that need not exist). */
  platform?: StartEmulatorOptions;
  /** The client the pool signs in as (the demo client, with every permission, by default). */
  client?: ClientDefinition;
  /** The pool's topics, read from the emulator once it runs (its world's queues), instead of `topics`. */
  topicsFor?: (emulator: Emulator) => string[];
}

async function setup(options: SetupOptions = {}, prepare?: (emulator: Emulator) => void) {
  const {
    heartbeatIntervalMs,
    start,
    platform: platformOptions,
    client: as,
    topicsFor,
    ...poolOptions
  } = options;
  const emulator = await startEmulator({
    world: false,
    heartbeatIntervalMs: heartbeatIntervalMs ?? 20,
    ...platformOptions,
    ...(as ? { clients: [as] } : {}),
  });
  const signIn = as ?? DEFAULT_CLIENT;
  const client = createPlatformClient({
    region: emulator.url,
    clientId: signIn.clientId,
    clientSecret: signIn.clientSecret,
    retry: { maxAttempts: 1 },
  });
  const port: NotificationsPort = createNotificationsPort(client);
  prepare?.(emulator);
  const notifications: Notification[] = [];
  const statuses: StreamStatus[] = [];
  const pool = new ChannelPool({
    port,
    timing: FAST,
    onNotification: (n) => notifications.push(n),
    ...poolOptions,
    ...(topicsFor ? { topics: topicsFor(emulator) } : {}),
  });
  pool.on('*', (s) => statuses.push(s));
  cleanups.push(async () => {
    await pool.stop();
    await client.close();
    await emulator.stop();
  });
  if (start !== false) await pool.start();
  return { emulator, port, pool, notifications, statuses };
}

/** Every topic subscribed on the emulator's channels, as the pool named it. */
function subscribedTopics(emulator: Emulator): string[] {
  return [...emulator.hub.channels.all()].flatMap((c) => [...c.topics.values()]);
}

/** Sockets opened on a channel (upgrades the platform went ahead with). */
function connects(emulator: Emulator, channelId: string): number {
  return emulator.requests.upgrades(`/channels/${channelId}`).filter((u) => u.status === 101).length;
}

describe('ChannelPool', () => {
  it('spreads more topics than one channel holds over several channels, each topic once', async () => {
    const topics = Array.from({ length: 7 }, (_, i) => Q(i));
    const { emulator, pool } = await setup({ topics, plan: { topicsPerChannel: 3 } });
    assert.equal(emulator.hub.channels.size, 3);
    assert.deepEqual(subscribedTopics(emulator).sort(), [...topics].sort());
    const health = pool.health();
    assert.equal(health.connected, true);
    assert.equal(health.state, 'running');
    assert.deepEqual(
      health.channels.map((c) => [c.slot, c.state, c.topics]),
      [
        [0, 'connected', 3],
        [1, 'connected', 3],
        [2, 'connected', 1],
      ],
    );
    assert.deepEqual(health.budget, { limit: 20, inUse: 3, reserved: 1 });
    for (const channel of health.channels) {
      assert.ok(channel.channelId, 'channel.channelId');
      assert.ok((channel.expiresInMs ?? 0) > 23 * 3600_000, '(channel.expiresInMs ?? 0) > 23 * 3600_000');
      assert.ok((channel.channelAgeMs ?? -1) >= 0, '(channel.channelAgeMs ?? -1) >= 0');
    }
  });

  it('delivers notifications from every channel to the one handler', async () => {
    const topics = Array.from({ length: 4 }, (_, i) => Q(i));
    const { emulator, pool, notifications } = await setup({ topics, plan: { topicsPerChannel: 2 } });
    const handled: Notification[] = [];
    pool.onNotification((n) => handled.push(n));
    for (const topic of topics) emulator.hub.publish(topic, { id: topic });
    await waitFor(() => handled.length === 4, 'four notifications');
    assert.deepEqual(handled.map((n) => n.topic).sort(), [...topics].sort());
    assert.equal(new Set(handled.map((n) => n.channelId)).size, 2);
    assert.equal(notifications.length, 0, 'the handler set later replaced the first one');
  });

  it('reports rejected topics with their missing permissions instead of failing the start', async () => {
    const topics = [Q(1), Q(2), userTopic('u-9')];
    // A client whose role may see queues' conversations but not other users': the platform refuses the user topic.
    const { emulator, pool, statuses } = await setup({
      topics,
      client: {
        clientId: 'queues-only',
        clientSecret: 'queues-only-secret',
        permissions: ['routing:queue:view'],
      },
    });
    assert.deepEqual(pool.rejectedTopics(), [
      {
        topic: userTopic('u-9'),
        state: 'Rejected',
        rejectionReason: 'Missing permissions',
        missingPermissions: ['conversation:communication:view'],
      },
    ]);
    assert.deepEqual(
      subscribedTopics(emulator).sort(),
      [Q(1), Q(2)].sort(),
      'the permitted topics subscribed',
    );
    const subscribed = statuses.filter((s) => s.type === 'subscribed');
    assert.equal(subscribed.length, 1);
    assert.equal(pool.health().connected, true);
    assert.equal(pool.health().rejected.length, 1);
  });

  it('adds and removes topics without reshuffling the channels that did not change', async () => {
    const { emulator, pool, statuses } = await setup({
      topics: [Q(1), Q(2), Q(3), Q(4), Q(5)],
      plan: { topicsPerChannel: 3 },
    });
    const puts = (): number => emulator.requests.list('PUT', /\/subscriptions$/).length;
    const before = pool.health().channels.map((c) => c.channelId);
    const putsBefore = puts();
    // Q(6) joins slot 1 (room for one more); Q(7)..Q(9) need a new channel.
    const change = await pool.setTopics([Q(1), Q(2), Q(3), Q(4), Q(5), Q(6), Q(7), Q(8), Q(9)]);
    assert.deepEqual(change.changedSlots, [1]);
    assert.deepEqual(change.createdSlots, [2]);
    const after = pool.health().channels.map((c) => c.channelId);
    assert.deepEqual(after.slice(0, 2), before, 'existing channels kept');
    assert.equal(puts() - putsBefore, 2, 'one PUT per touched channel');
    assert.deepEqual(
      subscribedTopics(emulator).sort(),
      [Q(1), Q(2), Q(3), Q(4), Q(5), Q(6), Q(7), Q(8), Q(9)].sort(),
    );

    // Removing a whole channel's topics drops that channel.
    const removal = await pool.setTopics([Q(4), Q(5), Q(6), Q(7), Q(8), Q(9)]);
    assert.deepEqual(removal.removedSlots, [0]);
    await waitFor(
      () => !emulator.hub.channels.get(before[0]!)?.connected,
      'the dropped channel to disconnect',
    );
    assert.equal(pool.health().channels.length, 2);
    assert.equal(pool.health().budget.inUse, 2);
    assert.ok(
      statuses.some((s) => s.type === 'topics-changed' && s.added === 4),
      "statuses.some((s) => s.type === 'topics-changed' && s.added === 4)",
    );
  });

  it('keeps trying to set up a channel added while running, instead of giving up', async () => {
    const { emulator, pool, statuses } = await setup({ topics: [Q(1)], plan: { topicsPerChannel: 1 } });
    const failures = 7; // more than the attempts a first start allows
    emulator.faults.failRequests({
      method: 'POST',
      pathPattern: `^${CREATE}$`,
      status: 503,
      count: failures,
    });
    const change = await pool.setTopics([Q(1), Q(2)]);
    assert.deepEqual(change.createdSlots, [1]);
    assert.equal(emulator.status().pendingRequestFaults, 0, 'every failure was served');
    assert.deepEqual(
      emulator.requests
        .list('POST', CREATE)
        .slice(1)
        .map((e) => e.status),
      [...Array.from({ length: failures }, () => 503), 200],
      'seven refusals, then the channel',
    );
    assert.equal(pool.health().connected, true);
    assert.deepEqual(subscribedTopics(emulator).sort(), [Q(1), Q(2)].sort());
    assert.equal(statuses.filter((s) => s.type === 'reconnecting' && s.slot === 1).length, 7);
  });

  it('streams status events to async iterators and resolves closed() with the cause', async () => {
    const { pool } = await setup({ topics: [Q(1)], start: false });
    const seen: string[] = [];
    const iterating = (async () => {
      for await (const status of pool.status) seen.push(status.type);
    })();
    await pool.start();
    await pool.stop();
    await iterating;
    assert.deepEqual(await pool.closed(), { reason: 'stopped' });
    assert.deepEqual(seen.slice(0, 4), ['channel-created', 'connecting', 'subscribed', 'connected']);
    assert.equal(seen.at(-1), 'closed');
  });

  it('stays stopped when stopped while starting', async () => {
    const { pool, emulator } = await setup({
      topics: [Q(1), Q(2)],
      plan: { topicsPerChannel: 1 },
      start: false,
    });
    const starting = pool.start();
    await pool.stop();
    await starting;
    assert.equal(pool.health().state, 'stopped');
    assert.deepEqual(await pool.closed(), { reason: 'stopped' });
    await delay(50);
    assert.equal(emulator.hub.connectedCount(), 0, 'no socket left open');
  });

  it('fails the start, and closes with the cause, when channels cannot be created at all', async () => {
    const { pool } = await setup({ topics: [Q(1)], start: false }, (emulator) => {
      emulator.faults.failRequests({ method: 'POST', pathPattern: `^${CREATE}$`, status: 401, count: 1000 });
    });
    await assert.rejects(pool.start());
    const cause = await pool.closed();
    assert.equal(cause.reason, 'failed');
    assert.match(cause.error?.message ?? '', /401/);
  });

  it('records a restart gap from the checkpoint to the moment every channel is covered', async () => {
    const checkpoint = new Date(Date.now() - 60_000);
    const gaps: Gap[] = [];
    await setup({
      topics: [Q(1), Q(2), Q(3)],
      plan: { topicsPerChannel: 2 },
      resumeFrom: checkpoint,
      onGap: (gap) => gaps.push(gap),
    });
    assert.equal(gaps.length, 2);
    for (const gap of gaps) {
      assert.equal(gap.reason, 'restart');
      assert.equal(gap.start, checkpoint.toISOString());
      assert.ok(Date.parse(gap.end) <= Date.now(), 'Date.parse(gap.end) <= Date.now()');
    }
    assert.deepEqual(gaps.flatMap((g) => g.topics).sort(), [Q(1), Q(2), Q(3)].sort());
  });

  it('keeps within the channel budget: without headroom a hand-over is skipped, the channel re-used', async () => {
    const { emulator, pool, statuses } = await setup({
      topics: [Q(1), Q(2)],
      plan: { topicsPerChannel: 1, channelBudget: 2, reservedChannels: 0 },
      timing: { ...FAST, handoverBudgetWaitMs: 50 },
    });
    const channelId = [...emulator.hub.channels.all()][0]!.id;
    // socket_closing, with the close itself left for later: the test closes the socket once the pool has decided.
    assert.equal(emulator.faults.socketClosing(600_000, { channelId }), 1);
    await waitFor(
      () => statuses.some((s) => s.type === 'handover' && s.phase === 'skipped'),
      'the skipped hand-over',
    );
    emulator.faults.dropSockets({ channelId }); // the server closes the socket as announced
    await waitFor(() => pool.health().connected && connects(emulator, channelId) === 2, 'the reconnection');
    assert.equal(emulator.requests.list('POST', CREATE).length, 2, 'no third channel');
    assert.equal(pool.health().budget.inUse, 2);
  });

  it('hands over within the budget when there is headroom', async () => {
    const { emulator, pool, statuses } = await setup({
      topics: [Q(1), Q(2)],
      plan: { topicsPerChannel: 1, channelBudget: 3, reservedChannels: 1 },
    });
    let peak = 0;
    const off = pool.on('*', () => {
      peak = Math.max(peak, pool.health().budget.inUse);
    });
    // socket_closing on both, the close itself a minute away (as on the platform): the pool hands over before it.
    assert.equal(emulator.faults.socketClosing(60_000), 2);
    await waitFor(
      () => statuses.filter((s) => s.type === 'handover' && s.phase === 'completed').length === 2,
      'both hand-overs',
    );
    off();
    assert.ok(peak <= 3, `peak ${peak} channels in use`);
    assert.equal(pool.health().budget.inUse, 2);
    assert.equal(pool.health().connected, true);
  });

  it('records the gap of a dropped channel and has the backfiller fill it', async () => {
    const recovered: RecoveredConversation[] = [];
    const gaps: Gap[] = [];
    let backfiller: Backfiller | undefined;
    // A world of five queues, four of them streamed two a channel, without traffic of its own; its analytics shows a
    // change at once (no lag for the backfiller to wait out).
    const { emulator, pool, port } = await setup({
      topicsFor: (e) => e.world!.org.queues.slice(1, 5).map((q) => queueTopic(q.id)),
      plan: { topicsPerChannel: 2 },
      platform: {
        world: createWorld,
        queues: 5,
        agents: 5,
        historyDays: 0,
        conversationsPerMinute: 0,
        analyticsLagMs: 0,
        analyticsLagJitterMs: 0,
      },
      onGap: (gap) => {
        gaps.push(gap);
        backfiller?.enqueue(gap);
      },
    });
    const world = emulator.world!;
    const queueOf = (topic: string): string => topic.split('.')[3]!;
    const onNewQueue = queueTopic(world.org.queues[3]!.id);
    const second = [...emulator.hub.channels.all()].find((c) => c.topics.has(onNewQueue.toLowerCase()))!;
    const dropped = [...second.topics.values()].sort();
    assert.equal(dropped.length, 2, 'the dropped channel holds two topics');
    const elsewhere = [...emulator.hub.channels.all()].find((c) => c !== second)!;
    const otherQueue = queueOf([...elsewhere.topics.values()][0]!);
    backfiller = new Backfiller({
      port,
      trackedConversations: () => [live],
      onRecovered: (r) => {
        recovered.push(r);
      },
      marginMs: 1000,
      // Conversations that started up to five seconds before the gap are searched too (they may reach a queue's
      // topic only after their IVR).
      lookbackMs: 5000,
      coalesceMs: 20,
      // The world's analytics has no lag to wait for.
      settleMs: 0,
    });
    // Callbacks reach their queue at once (no flow before it), and are not transferred anywhere else.
    const start = (queueId: string): string =>
      world.startScriptedConversation({ kind: 'callback', queueId, transfer: 'none' }).conversationId;
    // One the stream followed before the gap, on a queue of the other channel: read back from analytics.
    const live = start(otherQueue);
    // One that started on a queue of the dropped channel: found by the search.
    const fresh = start(queueOf(onNewQueue));
    // One on a queue the gap did not touch: not searched for.
    const elsewhereOnly = start(otherQueue);
    await waitFor(
      () => world.analyticsRecords([live, fresh, elsewhereOnly]).length === 3,
      'the conversations in analytics',
    );
    const droppedAt = Date.now();
    assert.equal(emulator.faults.dropSockets({ channelId: second.id }), 1);
    await waitFor(() => gaps.length === 1, 'the gap');
    const reconnectedAt = Date.now();
    const gap = gaps[0]!;
    assert.equal(gap.reason, 'disconnected');
    assert.deepEqual([...gap.topics].sort(), dropped);
    assert.equal(gap.channelId, second.id);
    assert.ok(
      Date.parse(gap.start) >= droppedAt - 5 && Date.parse(gap.start) <= Date.parse(gap.end),
      'Date.parse(gap.start) >= droppedAt - 5 && Date.parse(gap.start) <= Date.parse(gap.end)',
    );
    assert.ok(Date.parse(gap.end) <= reconnectedAt, 'Date.parse(gap.end) <= reconnectedAt');
    assert.deepEqual(pool.recentGaps(), [gap]);

    await waitFor(() => recovered.length >= 2, 'the recovery');
    await backfiller.idle();
    const query = emulator.requests.list('POST', /details\/query$/)[0]!;
    const body = JSON.parse(query.text) as {
      interval: string;
      segmentFilters: Array<{ predicates: Array<{ value: string }> }>;
    };
    const [from, to] = body.interval.split('/');
    assert.equal(Date.parse(from!), Date.parse(gap.start) - 5000);
    assert.equal(Date.parse(to!), Date.parse(gap.end) + 1000);
    assert.deepEqual(
      body.segmentFilters[0]!.predicates.map((p) => p.value).sort(),
      dropped.map(queueOf).sort(),
    );
    // The followed conversation is read back from analytics (the multi-get), the new one found by the query.
    assert.deepEqual(
      recovered.map((r) => [r.conversationId, r.source.via]),
      [
        [live, 'analytics'],
        [fresh, 'analytics'],
      ],
    );
    assert.deepEqual(recovered[0]!.source, {
      kind: 'backfill',
      via: 'analytics',
      gapStart: gap.start,
      gapEnd: gap.end,
    });
    backfiller.stop();
  });
});
