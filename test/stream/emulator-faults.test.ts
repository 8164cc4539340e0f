/**
 * The channel pool against the emulator, over the real platform client: after each fault the emulator can
 * inject, the pool ends up connected with every topic subscribed, and notifications flow again.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/platform-client.js';
import { ChannelPool } from '../../src/stream/channel-pool.js';
import type { Notification } from '../../src/stream/frames.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { Gap, StreamStatus } from '../../src/stream/status.js';
import type { ConnectionTiming } from '../../src/stream/timing.js';
import { queueTopic } from '../../src/stream/topics.js';
import { waitFor } from '../helpers/wait-for.js';

const HEARTBEAT_MS = 50;
const TIMING: Partial<ConnectionTiming> = {
  heartbeatIntervalMs: HEARTBEAT_MS,
  watchdogMultiple: 4,
  connectTimeoutMs: 2000,
  backoff: { initialDelayMs: 20, maxDelayMs: 200 },
  rotationJitterMs: 0,
  minChannelLifeMs: 100,
  rotationRetryMs: 200,
  handoverBudgetWaitMs: 500,
};

const queueId = (n: number): string => `0000${String(n).padStart(4, '0')}-0000-4000-8000-000000000000`;
const topicsFor = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => queueTopic(queueId(i)));

interface Rig {
  emulator: Emulator;
  client: PlatformClient;
  pool: ChannelPool;
  topics: string[];
  notifications: Notification[];
  statuses: StreamStatus[];
  gaps: Gap[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function rig(
  options: {
    topics?: number;
    topicsPerChannel?: number;
    channelLifetimeMs?: number;
    timing?: Partial<ConnectionTiming>;
  } = {},
): Promise<Rig> {
  const emulator = await startEmulator({
    port: 0,
    world: false,
    heartbeatIntervalMs: HEARTBEAT_MS,
    socketClosingDelayMs: 300,
    ...(options.channelLifetimeMs ? { channelLifetimeMs: options.channelLifetimeMs } : {}),
  });
  const client = createPlatformClient({
    region: emulator.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    retry: { initialDelayMs: 20, maxDelayMs: 100, defaultRetryAfterMs: 50 },
  });
  const topics = topicsFor(options.topics ?? 4);
  const notifications: Notification[] = [];
  const statuses: StreamStatus[] = [];
  const gaps: Gap[] = [];
  const pool = new ChannelPool({
    port: createNotificationsPort(client),
    topics,
    plan: { topicsPerChannel: options.topicsPerChannel ?? 2 },
    timing: { ...TIMING, ...options.timing },
    onNotification: (n) => notifications.push(n),
    onGap: (gap) => gaps.push(gap),
  });
  pool.on('*', (s) => statuses.push(s));
  cleanups.push(async () => {
    await pool.stop();
    await client.close();
    await emulator.stop();
  });
  await pool.start();
  return { emulator, client, pool, topics, notifications, statuses, gaps };
}

/** Topics subscribed on channels that have a socket connected, in the emulator's own books. */
function coveredTopics(emulator: Emulator): Set<string> {
  const covered = new Set<string>();
  for (const channel of emulator.hub.channels.all()) {
    if (!channel.connected) continue;
    for (const key of channel.topics.keys()) covered.add(key.toLowerCase());
  }
  return covered;
}

/** Waits until the pool is connected, every topic is covered, and a notification on each topic arrives. */
async function assertFullyCovered(r: Rig, what: string, timeoutMs = 8000): Promise<void> {
  await waitFor(
    () => r.pool.health().connected && r.topics.every((t) => coveredTopics(r.emulator).has(t)),
    `every topic covered ${what}`,
    timeoutMs,
  );
  // Events sent while a fault still lingers (a silence, a socket not yet noticed as dead) are lost, as on the
  // platform: publish again until each topic has been heard from.
  const marker = `after-${what}-${Date.now()}`;
  const seen = new Set<string>();
  let lastPublish = 0;
  await waitFor(
    () => {
      for (const n of r.notifications) if (n.eventBody.id === marker) seen.add(n.topic);
      r.notifications.length = 0;
      if (r.topics.every((t) => seen.has(t))) return true;
      if (Date.now() - lastPublish > 250) {
        lastPublish = Date.now();
        for (const topic of r.topics)
          if (!seen.has(topic)) r.emulator.hub.publish(topic, { id: marker, topic });
      }
      return false;
    },
    `a notification on every topic ${what}`,
    timeoutMs,
  );
}

const channelPosts = (r: Rig): number => r.statuses.filter((s) => s.type === 'channel-created').length;

describe('ChannelPool against the emulator', () => {
  it('starts with every topic subscribed and notifications flowing', async () => {
    const r = await rig();
    assert.equal(r.pool.health().channels.length, 2);
    await assertFullyCovered(r, 'at start');
  });

  it('recovers from dropped sockets, re-using the channels', async () => {
    const r = await rig();
    const before = r.pool.health().channels.map((c) => c.channelId);
    assert.equal(r.emulator.faults.dropSockets(), 2);
    await waitFor(() => r.gaps.length === 2, 'both gaps to close');
    await assertFullyCovered(r, 'after dropped sockets');
    assert.deepEqual(
      r.pool.health().channels.map((c) => c.channelId),
      before,
    );
    assert.equal(channelPosts(r), 2, 'no new channel');
    assert.ok(
      r.gaps.every((g) => g.reason === 'disconnected'),
      "r.gaps.every((g) => g.reason === 'disconnected')",
    );
  });

  it('recovers when heartbeats stop (watchdog)', async () => {
    const r = await rig();
    r.emulator.faults.stopHeartbeats(0.3);
    await waitFor(() => r.statuses.some((s) => s.type === 'stale'), 'the watchdog to trip');
    await assertFullyCovered(r, 'after silent sockets');
    assert.ok(
      r.gaps.some((g) => g.reason === 'stale'),
      "r.gaps.some((g) => g.reason === 'stale')",
    );
  });

  it('hands over on socket_closing without a gap', async () => {
    const r = await rig();
    const before = r.pool.health().channels.map((c) => c.channelId);
    r.emulator.faults.socketClosing(400);
    await waitFor(
      () => r.statuses.filter((s) => s.type === 'handover' && s.phase === 'completed').length === 2,
      'both hand-overs',
    );
    await assertFullyCovered(r, 'after socket_closing');
    const after = r.pool.health().channels.map((c) => c.channelId);
    assert.ok(
      after.every((id) => !before.includes(id)),
      'every channel replaced',
    );
    assert.equal(r.gaps.length, 0);
    assert.ok(r.pool.health().budget.inUse <= 2, 'r.pool.health().budget.inUse <= 2');
  });

  it('replaces expired channels and subscribes again', async () => {
    const r = await rig();
    r.emulator.faults.expireChannels();
    await waitFor(() => r.gaps.length === 2, 'both gaps to close');
    await assertFullyCovered(r, 'after expired channels');
    assert.equal(channelPosts(r), 4);
    assert.ok(
      r.gaps.every((g) => g.reason === 'channel-lost'),
      "r.gaps.every((g) => g.reason === 'channel-lost')",
    );
  });

  it('rotates channels before they expire', async () => {
    const r = await rig({ channelLifetimeMs: 3000, timing: { rotateBeforeMs: 2200 } });
    await waitFor(() => r.statuses.filter((s) => s.type === 'rotated').length >= 2, 'both rotations', 5000);
    await assertFullyCovered(r, 'after rotation');
    assert.deepEqual(r.gaps, []);
  });

  it('gets a new token and new channels when the token is revoked', async () => {
    const r = await rig();
    const tokenBefore = r.client.tokens.current()?.generation;
    r.emulator.faults.revokeTokens();
    await waitFor(() => (r.client.tokens.current()?.generation ?? 0) > (tokenBefore ?? 0), 'a new token');
    await assertFullyCovered(r, 'after token revocation');
    assert.ok(channelPosts(r) >= 4, 'channelPosts(r) >= 4');
  });

  it('subscribes again after no_longer_subscribed', async () => {
    const r = await rig();
    assert.equal(r.emulator.faults.noLongerSubscribed({}, [r.topics[0]!]), 1);
    await waitFor(() => r.gaps.some((g) => g.reason === 'no-longer-subscribed'), 'the gap to close');
    await assertFullyCovered(r, 'after no_longer_subscribed');
  });

  it('recovers when the token expires under the channels', async () => {
    const r = await rig();
    r.emulator.faults.expireTokens();
    await assertFullyCovered(r, 'after token expiry');
    assert.ok(channelPosts(r) >= 4, 'channels die with their token');
  });

  it('keeps trying through 5xx on subscribe', async () => {
    const r = await rig();
    r.emulator.faults.failRequests({ pathPattern: '/subscriptions$', method: 'PUT', count: 8, status: 503 });
    r.emulator.faults.expireChannels();
    await assertFullyCovered(r, 'after failing subscriptions', 10_000);
    assert.ok(
      r.statuses.some((s) => s.type === 'reconnecting' && s.error?.includes('503')),
      "r.statuses.some((s) => s.type === 'reconnecting' && s.error?.includes('503'))",
    );
  });

  it('rides out a 429 storm', async () => {
    const r = await rig();
    r.emulator.faults.failRequests({
      path: '/api/v2/notifications',
      count: 6,
      status: 429,
      retryAfterSeconds: 0,
    });
    r.emulator.faults.expireChannels();
    await assertFullyCovered(r, 'after a 429 storm', 10_000);
  });

  it('spreads more topics than one channel holds', async () => {
    const r = await rig({ topics: 2500, topicsPerChannel: 1000 });
    assert.equal(r.pool.health().channels.length, 3);
    assert.equal(coveredTopics(r.emulator).size, 2500);
    r.emulator.faults.dropSockets();
    await assertFullyCovered(r, 'with 2,500 topics after dropped sockets');
  });
});
