import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Backfiller, type RecoveredConversation } from '../../src/stream/backfiller.js';
import { ChannelPool, type ChannelPoolOptions } from '../../src/stream/channel-pool.js';
import type { Notification } from '../../src/stream/frames.js';
import type { Gap, StreamStatus } from '../../src/stream/status.js';
import type { ConnectionTiming } from '../../src/stream/timing.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';

/** A pause before checking that something did not happen. */
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const FAST: Partial<ConnectionTiming> = {
  heartbeatIntervalMs: 40,
  watchdogMultiple: 4,
  connectTimeoutMs: 1000,
  backoff: { initialMs: 10, maxMs: 40 },
  rotationJitterMs: 0,
  minChannelLifeMs: 50,
};

const Q = (n: number): string => queueTopic(`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
const QID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(
  options: Partial<ChannelPoolOptions> & { heartbeatIntervalMs?: number; start?: boolean } = {},
  prepare?: (platform: FakePlatform) => void,
) {
  const platform = await FakePlatform.start({ heartbeatIntervalMs: options.heartbeatIntervalMs ?? 20 });
  prepare?.(platform);
  const port = new HttpPort(platform.url);
  const notifications: Notification[] = [];
  const statuses: StreamStatus[] = [];
  const pool = new ChannelPool({
    port,
    timing: FAST,
    onNotification: (n) => notifications.push(n),
    ...options,
  });
  pool.on('*', (s) => statuses.push(s));
  cleanups.push(async () => {
    await pool.stop();
    await platform.stop();
  });
  if (options.start !== false) await pool.start();
  return { platform, port, pool, notifications, statuses };
}

function subscribedTopics(platform: FakePlatform): string[] {
  return [...platform.channels.values()].flatMap((c) => c.topics);
}

describe('ChannelPool', () => {
  it('spreads more topics than one channel holds over several channels, each topic once', async () => {
    const topics = Array.from({ length: 7 }, (_, i) => Q(i));
    const { platform, pool } = await setup({ topics, plan: { topicsPerChannel: 3 } });
    assert.equal(platform.channels.size, 3);
    assert.deepEqual(subscribedTopics(platform).sort(), [...topics].sort());
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
    const { platform, pool, notifications } = await setup({ topics, plan: { topicsPerChannel: 2 } });
    const handled: Notification[] = [];
    pool.onNotification((n) => handled.push(n));
    for (const topic of topics) platform.publish(topic, { id: topic });
    await waitFor(() => handled.length === 4, 'four notifications');
    assert.deepEqual(handled.map((n) => n.topic).sort(), [...topics].sort());
    assert.equal(new Set(handled.map((n) => n.channelId)).size, 2);
    assert.equal(notifications.length, 0, 'the handler set later replaced the first one');
  });

  it('reports rejected topics with their missing permissions instead of failing the start', async () => {
    const topics = [Q(1), Q(2), userTopic('u-9')];
    const { pool, statuses } = await setup({ topics }, (platform) => {
      platform.rejectTopics.set(userTopic('u-9'), ['conversation:communication:view']);
    });
    assert.deepEqual(pool.rejectedTopics(), [
      {
        topic: userTopic('u-9'),
        state: 'Rejected',
        rejectionReason: 'missing.permissions',
        missingPermissions: ['conversation:communication:view'],
      },
    ]);
    const subscribed = statuses.filter((s) => s.type === 'subscribed');
    assert.equal(subscribed.length, 1);
    assert.equal(pool.health().connected, true);
    assert.equal(pool.health().rejected.length, 1);
  });

  it('adds and removes topics without reshuffling the channels that did not change', async () => {
    const { platform, pool, statuses } = await setup({
      topics: [Q(1), Q(2), Q(3), Q(4), Q(5)],
      plan: { topicsPerChannel: 3 },
    });
    const before = pool.health().channels.map((c) => c.channelId);
    const putsBefore = platform.callsTo(/subscriptions$/, 'PUT').length;
    // Q(6) joins slot 1 (room for one more); Q(7)..Q(9) need a new channel.
    const change = await pool.setTopics([Q(1), Q(2), Q(3), Q(4), Q(5), Q(6), Q(7), Q(8), Q(9)]);
    assert.deepEqual(change.changedSlots, [1]);
    assert.deepEqual(change.createdSlots, [2]);
    const after = pool.health().channels.map((c) => c.channelId);
    assert.deepEqual(after.slice(0, 2), before, 'existing channels kept');
    assert.equal(
      platform.callsTo(/subscriptions$/, 'PUT').length - putsBefore,
      2,
      'one PUT per touched channel',
    );
    assert.deepEqual(
      subscribedTopics(platform).sort(),
      [Q(1), Q(2), Q(3), Q(4), Q(5), Q(6), Q(7), Q(8), Q(9)].sort(),
    );

    // Removing a whole channel's topics drops that channel.
    const removal = await pool.setTopics([Q(4), Q(5), Q(6), Q(7), Q(8), Q(9)]);
    assert.deepEqual(removal.removedSlots, [0]);
    await waitFor(() => !platform.channels.get(before[0]!)?.socket, 'the dropped channel to disconnect');
    assert.equal(pool.health().channels.length, 2);
    assert.equal(pool.health().budget.inUse, 2);
    assert.ok(
      statuses.some((s) => s.type === 'topics-changed' && s.added === 4),
      "statuses.some((s) => s.type === 'topics-changed' && s.added === 4)",
    );
  });

  it('keeps trying to set up a channel added while running, instead of giving up', async () => {
    const { platform, pool, statuses } = await setup({ topics: [Q(1)], plan: { topicsPerChannel: 1 } });
    let failures = 7; // more than the attempts a first start allows
    platform.overrides.push((call) => {
      if (call.method !== 'POST' || failures <= 0) return undefined;
      failures--;
      return { status: 503, body: { code: 'service.unavailable' } };
    });
    const change = await pool.setTopics([Q(1), Q(2)]);
    assert.deepEqual(change.createdSlots, [1]);
    assert.equal(failures, 0);
    assert.equal(pool.health().connected, true);
    assert.deepEqual(subscribedTopics(platform).sort(), [Q(1), Q(2)].sort());
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
    const { pool, platform } = await setup({
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
    assert.equal(platform.connectedChannels().length, 0, 'no socket left open');
  });

  it('fails the start, and closes with the cause, when channels cannot be created at all', async () => {
    const { pool } = await setup({ topics: [Q(1)], start: false }, (platform) => {
      platform.overrides.push((call) =>
        call.method === 'POST' ? { status: 401, body: { code: 'authentication.required' } } : undefined,
      );
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
    const { platform, pool, statuses } = await setup({
      topics: [Q(1), Q(2)],
      plan: { topicsPerChannel: 1, channelBudget: 2, reservedChannels: 0 },
      timing: { ...FAST, handoverBudgetWaitMs: 50 },
    });
    const channel = [...platform.channels.values()][0]!;
    platform.system(channel, 'socket_closing');
    await waitFor(
      () => statuses.some((s) => s.type === 'handover' && s.phase === 'skipped'),
      'the skipped hand-over',
    );
    platform.dropSocket(channel); // the server closes the socket as announced
    await waitFor(() => pool.health().connected && channel.connects === 2, 'the reconnection');
    assert.equal(
      platform.callsTo(/^\/api\/v2\/notifications\/channels$/, 'POST').length,
      2,
      'no third channel',
    );
    assert.equal(pool.health().budget.inUse, 2);
  });

  it('hands over within the budget when there is headroom', async () => {
    const { platform, pool, statuses } = await setup({
      topics: [Q(1), Q(2)],
      plan: { topicsPerChannel: 1, channelBudget: 3, reservedChannels: 1 },
    });
    let peak = 0;
    const off = pool.on('*', () => {
      peak = Math.max(peak, pool.health().budget.inUse);
    });
    for (const channel of [...platform.channels.values()]) platform.system(channel, 'socket_closing');
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
    const topics = [Q(1), Q(2), Q(3), Q(4)];
    const recovered: RecoveredConversation[] = [];
    const gaps: Gap[] = [];
    let backfiller: Backfiller | undefined;
    const { platform, pool } = await setup({
      topics,
      plan: { topicsPerChannel: 2 },
      onGap: (gap) => {
        gaps.push(gap);
        backfiller?.enqueue(gap);
      },
    });
    backfiller = new Backfiller({
      port: new HttpPort(platform.url),
      trackedConversations: () => ['live-1'],
      onRecovered: (r) => {
        recovered.push(r);
      },
      marginMs: 1000,
      // Conversations that started up to five seconds before the gap are searched too (they may reach a queue's
      // topic only after their IVR).
      lookbackMs: 5000,
      coalesceMs: 20,
      // The platform double's analytics has no lag to wait for.
      settleMs: 0,
    });
    platform.conversations.set('live-1', { id: 'live-1', participants: [] });
    platform.conversations.set('new-1', { id: 'new-1', participants: [] });
    platform.conversations.set('other-queue', { id: 'other-queue', participants: [] });
    const now = Date.now();
    platform.analyticsConversations = [
      { conversationId: 'new-1', conversationStart: new Date(now + 50).toISOString(), queueId: QID(3) },
      { conversationId: 'other-queue', conversationStart: new Date(now + 50).toISOString(), queueId: QID(1) },
    ];
    const second = [...platform.channels.values()].find((c) => c.topics.includes(Q(3)))!;
    const droppedAt = Date.now();
    platform.dropSocket(second);
    await waitFor(() => gaps.length === 1, 'the gap');
    const reconnectedAt = Date.now();
    const gap = gaps[0]!;
    assert.equal(gap.reason, 'disconnected');
    assert.deepEqual([...gap.topics].sort(), [Q(3), Q(4)]);
    assert.equal(gap.channelId, second.id);
    assert.ok(
      Date.parse(gap.start) >= droppedAt - 5 && Date.parse(gap.start) <= Date.parse(gap.end),
      'Date.parse(gap.start) >= droppedAt - 5 && Date.parse(gap.start) <= Date.parse(gap.end)',
    );
    assert.ok(Date.parse(gap.end) <= reconnectedAt, 'Date.parse(gap.end) <= reconnectedAt');
    assert.deepEqual(pool.recentGaps(), [gap]);

    await delay(30);
    await backfiller.idle();
    const query = platform.callsTo(/details\/query$/)[0]!;
    const body = query.body as {
      interval: string;
      segmentFilters: Array<{ predicates: Array<{ value: string }> }>;
    };
    const [from, to] = body.interval.split('/');
    assert.equal(Date.parse(from!), Date.parse(gap.start) - 5000);
    assert.equal(Date.parse(to!), Date.parse(gap.end) + 1000);
    assert.deepEqual(body.segmentFilters[0]!.predicates.map((p) => p.value).sort(), [QID(3), QID(4)]);
    // The followed conversation is read back from analytics (the multi-get), the new one found by the query.
    assert.deepEqual(
      recovered.map((r) => [r.conversationId, r.source.via]),
      [
        ['live-1', 'analytics'],
        ['new-1', 'analytics'],
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
