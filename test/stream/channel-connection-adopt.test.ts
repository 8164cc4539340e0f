/**
 * Taking over an existing channel (`adopt`) and connecting only when allowed (`mayConnect`), against the emulator
 * over the platform client: its journal (`emulator.requests`, upgrades included) says what the connection asked of
 * the platform.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import { ChannelBudget } from '../../src/stream/channel-budget.js';
import { ChannelConnection, type ChannelConnectionOptions } from '../../src/stream/channel-connection.js';
import type { Notification } from '../../src/stream/frames.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { ChannelInfo, NotificationsPort } from '../../src/stream/port.js';
import type { ConnectionTiming } from '../../src/stream/timing.js';
import { queueTopic } from '../../src/stream/topics.js';
import { TestClock } from '../helpers/test-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { StatusLog } from './helpers/status-log.js';

const TOPICS = [queueTopic('q-a'), queueTopic('q-b')];
const CREATE = '/api/v2/notifications/channels';

const FAST: Partial<ConnectionTiming> = {
  heartbeatIntervalMs: 100,
  watchdogMultiple: 6,
  connectTimeoutMs: 1000,
  backoff: { initialDelayMs: 10, maxDelayMs: 40 },
  rotationJitterMs: 0,
  minChannelLifeMs: 50,
};

interface Harness {
  emulator: Emulator;
  port: NotificationsPort;
  budget: ChannelBudget;
  status: StatusLog;
  notifications: Notification[];
  connect(options?: Partial<ChannelConnectionOptions>): ChannelConnection;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function harness(platformOptions: { channelLifetimeMs?: number } = {}): Promise<Harness> {
  const emulator = await startEmulator({ world: false, heartbeatIntervalMs: 20, ...platformOptions });
  // One attempt a request, as the connection's own retries are what these tests watch.
  const client = createPlatformClient({
    region: emulator.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    retry: { maxAttempts: 1 },
  });
  cleanups.push(async () => {
    await client.close();
    await emulator.stop();
  });
  const port = createNotificationsPort(client);
  const budget = new ChannelBudget(3);
  const status = new StatusLog();
  const notifications: Notification[] = [];
  return {
    emulator,
    port,
    budget,
    status,
    notifications,
    connect(options = {}) {
      const connection = new ChannelConnection({
        slot: 0,
        port,
        topics: TOPICS,
        budget,
        timing: FAST,
        onNotification: (n) => notifications.push(n),
        onStatus: status.push,
        ...options,
      });
      cleanups.push(() => connection.stop());
      return connection;
    },
  };
}

/**
 * Moves a test clock on in small steps until `condition` holds: the connection's waits (backoff, rotation retries)
 * pass on the clock, its platform calls and sockets in real time between the steps.
 */
function driveUntil<T>(clock: TestClock, condition: () => T, what: string): Promise<NonNullable<T>> {
  return waitFor(() => {
    clock.advance(10);
    return condition();
  }, what);
}

/** A channel created beforehand, as the previous owner of a shard would have. */
async function existingChannel(h: Harness): Promise<ChannelInfo> {
  const channel = await h.port.createChannel();
  await h.port.replaceSubscriptions(channel.id, TOPICS);
  return channel;
}

/** Channels created so far (`POST /api/v2/notifications/channels`). */
const creates = (h: Harness): number => h.emulator.requests.list('POST', CREATE).length;

/** `HEAD`s of one channel, or of any channel. */
const heads = (h: Harness, channelId?: string): number =>
  h.emulator.requests.list(
    'HEAD',
    channelId ? `${CREATE}/${channelId}` : /^\/api\/v2\/notifications\/channels\/[^/]+$/,
  ).length;

/** Sockets opened on a channel (upgrades the platform went ahead with). */
const connects = (h: Harness, channelId: string): number =>
  h.emulator.requests.upgrades(`/channels/${channelId}`).filter((u) => u.status === 101).length;

/** The topics a channel holds in the emulator's books, as they were given. */
const topicsOf = (h: Harness, channelId: string): string[] => [
  ...(h.emulator.hub.channels.get(channelId)?.topics.values() ?? []),
];

describe('ChannelConnection: adopt', { timeout: 10_000 }, () => {
  it('takes over a live channel: HEAD, then connects to its connectUri without creating one', async () => {
    const h = await harness();
    const channel = await existingChannel(h);
    // The previous owner's socket, still open: connecting to the channel closes it.
    const previous = new WebSocket(channel.connectUri);
    await new Promise((resolve, reject) => previous.once('open', resolve).once('error', reject));
    const previousClosed = new Promise<number>((resolve) => previous.once('close', (code) => resolve(code)));
    const createsBefore = creates(h);
    const upgradesBefore = h.emulator.requests.upgrades().length;

    const connection = h.connect({ adopt: channel });
    await connection.start();

    assert.equal(creates(h), createsBefore, 'no channel created');
    assert.equal(connection.channelId, channel.id);
    assert.equal(connection.health().channelsCreated, 0);
    assert.equal(heads(h, channel.id), 1, 'asked once whether it lives');
    const upgrades = h.emulator.requests.upgrades().slice(upgradesBefore);
    assert.deepEqual(
      upgrades.map((u) => [u.path, u.status]),
      [[new URL(channel.connectUri).pathname, 101]],
      "the socket went to the channel's connectUri",
    );
    const connected = h.status.of('connected');
    assert.equal(connected.length, 1);
    assert.equal(connected[0]!.reusedChannel, true);
    assert.equal(connected[0]!.channelId, channel.id);
    assert.equal(h.status.of('channel-created').length, 0);
    assert.equal(h.budget.inUse, 1, 'the adopted channel counts against the budget');
    // The platform closes the earlier socket of a channel normally when another connects to it.
    assert.equal(await previousClosed, 1000, "the previous owner's socket was closed by the take-over");

    // Notifications on the adopted channel arrive.
    h.emulator.hub.publish(TOPICS[0]!, { id: 'conv-1' });
    const got = await waitFor(() => h.notifications[0], 'a notification on the adopted channel');
    assert.equal(got.channelId, channel.id);
  });

  it('creates one new channel when the adopted channel is gone (HEAD 404)', async () => {
    const h = await harness();
    const channel = await existingChannel(h);
    assert.equal(h.emulator.faults.expireChannels({ channelId: channel.id }), 1);
    const createsBefore = creates(h);

    const connection = h.connect({ adopt: channel });
    await connection.start();

    assert.equal(creates(h), createsBefore + 1, 'exactly one channel created');
    assert.notEqual(connection.channelId, channel.id);
    assert.ok(h.emulator.hub.channels.get(connection.channelId!), 'connected to the new channel');
    assert.equal(connects(h, connection.channelId!), 1, 'connected to the new channel');
    assert.equal(heads(h, channel.id), 1, 'the adopted channel was checked');
    assert.deepEqual(
      h.emulator.requests.list('HEAD', `${CREATE}/${channel.id}`).map((e) => e.status),
      [404],
      'and the platform said it is gone',
    );
    assert.ok(
      h.emulator.requests.upgrades().every((u) => !u.path.includes(channel.id)),
      'no socket was opened on the dead channel',
    );
    assert.deepEqual(
      h.status.of('channel-lost').map((s) => s.channelId),
      [channel.id],
    );
    assert.equal(h.status.of('connected')[0]!.reusedChannel, false);
    assert.equal(connection.health().channelsCreated, 1);
    assert.equal(h.budget.inUse, 1, 'the dead channel passed its budget claim to the new one');
    assert.deepEqual(topicsOf(h, connection.channelId!), TOPICS, 'subscribed');
  });
});

describe('ChannelConnection: mayConnect', { timeout: 10_000 }, () => {
  it('does not connect while not allowed, then connects once allowed', async () => {
    const h = await harness();
    const clock = new TestClock();
    let allowed = false;
    const asked: number[] = [];
    const connection = h.connect({
      timers: clock,
      mayConnect: () => {
        asked.push(clock.now());
        return allowed;
      },
    });
    let started = false;
    const starting = connection.start().then(() => {
      started = true;
    });
    await driveUntil(clock, () => asked.length >= 4, 'the connection to ask again, backing off');
    assert.equal(started, false, 'start has not resolved');
    assert.deepEqual(h.emulator.requests.list(), [], 'no platform call at all, not even for a token');
    assert.deepEqual(h.emulator.requests.upgrades(), [], 'no socket');
    assert.equal(connection.health().state, 'connecting');
    assert.equal(h.budget.inUse, 0, 'no channel claimed');

    allowed = true;
    await driveUntil(clock, () => started, 'the start once allowed');
    await starting;
    assert.equal(connection.health().state, 'connected');
    assert.equal(creates(h), 1);
    assert.equal(h.emulator.requests.upgrades().length, 1);
  });

  it('does not even check an adopted channel while not allowed', async () => {
    const h = await harness();
    const channel = await existingChannel(h);
    const callsBefore = h.emulator.requests.list().length;
    const clock = new TestClock();
    let allowed = false;
    let asked = 0;
    const connection = h.connect({
      adopt: channel,
      timers: clock,
      mayConnect: () => {
        asked++;
        return allowed;
      },
    });
    let started = false;
    const starting = connection.start().then(() => {
      started = true;
    });
    await driveUntil(clock, () => asked >= 4, 'the connection to ask again, backing off');
    assert.deepEqual(h.emulator.requests.list().slice(callsBefore), [], 'no HEAD, no create');
    assert.deepEqual(h.emulator.requests.upgrades(), [], 'no socket');
    allowed = true;
    await driveUntil(clock, () => started, 'the start once allowed');
    await starting;
    assert.equal(connection.channelId, channel.id, 'then takes the adopted channel over');
    assert.equal(creates(h), 1, 'only the channel created beforehand');
  });

  it('creates no channel for a rotation while not allowed, and rotates once allowed', async () => {
    // Channels live a minute; rotation planned 59.9 s ahead, so once the channel is 100 ms old, retried every 50 ms —
    // all on a test clock, so "several refusals" takes as long as the steps to get there, whatever the machine's
    // load, and the emulator's channel is still far from its real expiry meanwhile.
    const h = await harness({ channelLifetimeMs: 60_000 });
    const clock = new TestClock();
    let allowed = true;
    let refusals = 0;
    const connection = h.connect({
      timers: clock,
      timing: { ...FAST, rotateBeforeMs: 59_900, rotationRetryMs: 50 },
      mayConnect: () => {
        if (!allowed) refusals++;
        return allowed;
      },
    });
    await connection.start();
    allowed = false;
    const first = connection.channelId;
    await driveUntil(clock, () => refusals >= 3, 'the rotation to be refused several times');
    assert.equal(creates(h), 1, 'no new channel while not allowed');
    assert.equal(h.status.of('handover').length, 0, 'no hand-over started');
    assert.equal(connection.channelId, first, 'still on the first channel');
    assert.equal(connection.health().state, 'connected', 'and still connected to it');
    assert.equal(h.budget.inUse, 1);

    allowed = true;
    const rotated = await driveUntil(clock, () => h.status.of('rotated')[0], 'the rotation once allowed');
    assert.equal(rotated.fromChannelId, first);
    assert.notEqual(connection.channelId, first);
    assert.equal(creates(h), 2, 'one channel for the rotation');
    await waitFor(() => h.budget.inUse === 1, 'the old channel to leave the budget');
  });

  it('after a disconnect, does not reconnect while not allowed', async () => {
    const h = await harness();
    const clock = new TestClock();
    let allowed = true;
    let refusals = 0;
    const connection = h.connect({
      timers: clock,
      mayConnect: () => {
        if (!allowed) refusals++;
        return allowed;
      },
    });
    await connection.start();
    const channelId = connection.channelId!;
    allowed = false;
    assert.equal(h.emulator.faults.dropSockets({ channelId }), 1);
    await waitFor(() => h.status.of('disconnected').length === 1, 'the disconnect');
    const headsBefore = heads(h);
    await driveUntil(clock, () => refusals >= 3, 'the reconnection to be refused several times');
    assert.equal(connects(h, channelId), 1, 'no reconnection');
    assert.equal(heads(h), headsBefore, 'no HEAD either');
    assert.equal(connection.health().state, 'reconnecting');
    allowed = true;
    await driveUntil(clock, () => h.status.of('connected').length === 2, 'the reconnection once allowed');
    assert.equal(connects(h, channelId), 2, 'back on the same channel');
  });
});
