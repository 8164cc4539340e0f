/**
 * Taking over an existing channel (`adopt`) and connecting only when allowed (`mayConnect`), against the loopback
 * platform double.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ChannelBudget } from '../../src/stream/channel-budget.js';
import { ChannelConnection, type ChannelConnectionOptions } from '../../src/stream/channel-connection.js';
import type { Notification } from '../../src/stream/frames.js';
import type { ChannelInfo } from '../../src/stream/port.js';
import type { ConnectionTiming } from '../../src/stream/timing.js';
import { queueTopic } from '../../src/stream/topics.js';
import { TestClock } from '../helpers/test-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';
import { StatusLog } from './helpers/status-log.js';

const TOPICS = [queueTopic('q-a'), queueTopic('q-b')];
const CREATE = /^\/api\/v2\/notifications\/channels$/;

const FAST: Partial<ConnectionTiming> = {
  heartbeatIntervalMs: 100,
  watchdogMultiple: 6,
  connectTimeoutMs: 1000,
  backoff: { initialMs: 10, maxMs: 40 },
  rotationJitterMs: 0,
  minChannelLifeMs: 50,
};

interface Harness {
  platform: FakePlatform;
  port: HttpPort;
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
  const platform = await FakePlatform.start({ heartbeatIntervalMs: 20, ...platformOptions });
  cleanups.push(() => platform.stop());
  const port = new HttpPort(platform.url);
  const budget = new ChannelBudget(3);
  const status = new StatusLog();
  const notifications: Notification[] = [];
  return {
    platform,
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

describe('ChannelConnection: adopt', { timeout: 10_000 }, () => {
  it('takes over a live channel: HEAD, then connects to its connectUri without creating one', async () => {
    const h = await harness();
    const channel = await existingChannel(h);
    // The previous owner's socket, still open: connecting to the channel closes it.
    const previous = new WebSocket(channel.connectUri);
    await new Promise((resolve, reject) => previous.once('open', resolve).once('error', reject));
    const previousClosed = new Promise<number>((resolve) => previous.once('close', (code) => resolve(code)));
    const createsBefore = h.platform.callsTo(CREATE, 'POST').length;
    const upgradesBefore = h.platform.upgrades.length;

    const connection = h.connect({ adopt: channel });
    await connection.start();

    assert.equal(h.platform.callsTo(CREATE, 'POST').length, createsBefore, 'no channel created');
    assert.equal(connection.channelId, channel.id);
    assert.equal(connection.health().channelsCreated, 0);
    assert.equal(
      h.platform.callsTo(new RegExp(`/channels/${channel.id}$`), 'HEAD').length,
      1,
      'asked once whether it lives',
    );
    const upgrades = h.platform.upgrades.slice(upgradesBefore);
    assert.deepEqual(
      upgrades.map((u) => u.url),
      [new URL(channel.connectUri).pathname],
      "the socket went to the channel's connectUri",
    );
    const connected = h.status.of('connected');
    assert.equal(connected.length, 1);
    assert.equal(connected[0]!.reusedChannel, true);
    assert.equal(connected[0]!.channelId, channel.id);
    assert.equal(h.status.of('channel-created').length, 0);
    assert.equal(h.budget.inUse, 1, 'the adopted channel counts against the budget');
    assert.equal(await previousClosed, 4000, "the previous owner's socket was closed by the take-over");

    // Notifications on the adopted channel arrive.
    h.platform.publish(TOPICS[0]!, { id: 'conv-1' });
    const got = await waitFor(() => h.notifications[0], 'a notification on the adopted channel');
    assert.equal(got.channelId, channel.id);
  });

  it('creates one new channel when the adopted channel is gone (HEAD 404)', async () => {
    const h = await harness();
    const channel = await existingChannel(h);
    h.platform.expire(h.platform.channels.get(channel.id)!);
    const createsBefore = h.platform.callsTo(CREATE, 'POST').length;

    const connection = h.connect({ adopt: channel });
    await connection.start();

    assert.equal(h.platform.callsTo(CREATE, 'POST').length, createsBefore + 1, 'exactly one channel created');
    assert.notEqual(connection.channelId, channel.id);
    assert.ok(h.platform.channels.has(connection.channelId!), 'connected to the new channel');
    assert.equal(
      h.platform.callsTo(new RegExp(`/channels/${channel.id}$`), 'HEAD').length,
      1,
      'the adopted channel was checked',
    );
    assert.ok(
      h.platform.upgrades.every((u) => !u.url.includes(channel.id)),
      'no socket was opened on the dead channel',
    );
    assert.deepEqual(
      h.status.of('channel-lost').map((s) => s.channelId),
      [channel.id],
    );
    assert.equal(h.status.of('connected')[0]!.reusedChannel, false);
    assert.equal(connection.health().channelsCreated, 1);
    assert.equal(h.budget.inUse, 1, 'the dead channel passed its budget claim to the new one');
    assert.deepEqual(h.platform.channels.get(connection.channelId!)!.topics, TOPICS, 'subscribed');
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
    assert.equal(h.platform.calls.length, 0, 'no platform call at all');
    assert.equal(h.platform.upgrades.length, 0, 'no socket');
    assert.equal(connection.health().state, 'connecting');
    assert.equal(h.budget.inUse, 0, 'no channel claimed');

    allowed = true;
    await driveUntil(clock, () => started, 'the start once allowed');
    await starting;
    assert.equal(connection.health().state, 'connected');
    assert.equal(h.platform.callsTo(CREATE, 'POST').length, 1);
    assert.equal(h.platform.upgrades.length, 1);
  });

  it('does not even check an adopted channel while not allowed', async () => {
    const h = await harness();
    const channel = await existingChannel(h);
    const callsBefore = h.platform.calls.length;
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
    assert.deepEqual(h.platform.calls.slice(callsBefore), [], 'no HEAD, no create');
    assert.equal(h.platform.upgrades.length, 0, 'no socket');
    allowed = true;
    await driveUntil(clock, () => started, 'the start once allowed');
    await starting;
    assert.equal(connection.channelId, channel.id, 'then takes the adopted channel over');
    assert.equal(h.platform.callsTo(CREATE, 'POST').length, 1, 'only the channel created beforehand');
  });

  it('creates no channel for a rotation while not allowed, and rotates once allowed', async () => {
    // Channels live 3 s; rotation planned 2.9 s ahead, so once the channel is 100 ms old, retried every 50 ms — all
    // on a test clock, so "several refusals" takes as long as the steps to get there, whatever the machine's load.
    const h = await harness({ channelLifetimeMs: 3000 });
    const clock = new TestClock();
    let allowed = true;
    let refusals = 0;
    const connection = h.connect({
      timers: clock,
      timing: { ...FAST, rotateBeforeMs: 2900, rotationRetryMs: 50 },
      mayConnect: () => {
        if (!allowed) refusals++;
        return allowed;
      },
    });
    await connection.start();
    allowed = false;
    const first = connection.channelId;
    await driveUntil(clock, () => refusals >= 3, 'the rotation to be refused several times');
    assert.equal(h.platform.callsTo(CREATE, 'POST').length, 1, 'no new channel while not allowed');
    assert.equal(h.status.of('handover').length, 0, 'no hand-over started');
    assert.equal(connection.channelId, first, 'still on the first channel');
    assert.equal(connection.health().state, 'connected', 'and still connected to it');
    assert.equal(h.budget.inUse, 1);

    allowed = true;
    const rotated = await driveUntil(clock, () => h.status.of('rotated')[0], 'the rotation once allowed');
    assert.equal(rotated.fromChannelId, first);
    assert.notEqual(connection.channelId, first);
    assert.equal(h.platform.callsTo(CREATE, 'POST').length, 2, 'one channel for the rotation');
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
    const channel = h.platform.channels.get(connection.channelId!)!;
    allowed = false;
    h.platform.dropSocket(channel);
    await waitFor(() => h.status.of('disconnected').length === 1, 'the disconnect');
    const headsBefore = h.platform.callsTo(/channels\/[^/]+$/, 'HEAD').length;
    await driveUntil(clock, () => refusals >= 3, 'the reconnection to be refused several times');
    assert.equal(channel.connects, 1, 'no reconnection');
    assert.equal(h.platform.callsTo(/channels\/[^/]+$/, 'HEAD').length, headsBefore, 'no HEAD either');
    assert.equal(connection.health().state, 'reconnecting');
    allowed = true;
    await driveUntil(clock, () => h.status.of('connected').length === 2, 'the reconnection once allowed');
    assert.equal(channel.connects, 2, 'back on the same channel');
  });
});
