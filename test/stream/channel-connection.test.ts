import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { GenesysApiError } from '../../src/errors.js';
import { ChannelBudget } from '../../src/stream/channel-budget.js';
import { ChannelConnection, type ChannelConnectionOptions } from '../../src/stream/channel-connection.js';
import type { Notification } from '../../src/stream/frames.js';
import type { Gap } from '../../src/stream/status.js';
import type { ConnectionTiming } from '../../src/stream/timing.js';
import { queueTopic } from '../../src/stream/topics.js';
import { TestClock } from '../helpers/test-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';
import { StatusLog } from './helpers/status-log.js';

const TOPICS = [queueTopic('q-a'), queueTopic('q-b'), queueTopic('q-c')];

const FAST: Partial<ConnectionTiming> = {
  heartbeatIntervalMs: 40,
  watchdogMultiple: 4,
  connectTimeoutMs: 1000,
  backoff: { initialDelayMs: 10, maxDelayMs: 40 },
  rotationJitterMs: 0,
  minChannelLifeMs: 50,
};

interface Harness {
  platform: FakePlatform;
  port: HttpPort;
  connection: ChannelConnection;
  status: StatusLog;
  notifications: Notification[];
  gaps: Gap[];
  budget: ChannelBudget;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function harness(
  options: {
    heartbeatIntervalMs?: number;
    channelLifetimeMs?: number;
    timing?: Partial<ConnectionTiming>;
    topics?: string[];
    budget?: number;
    start?: boolean;
    setup?: (platform: FakePlatform, port: HttpPort) => void;
    /** Called with each notification after it is recorded. */
    receive?: (notification: Notification) => void;
    /** The connection's clock (default: the system's). */
    clock?: TestClock;
  } = {},
): Promise<Harness> {
  const platform = await FakePlatform.start({
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 20,
    ...(options.channelLifetimeMs ? { channelLifetimeMs: options.channelLifetimeMs } : {}),
  });
  const port = new HttpPort(platform.url);
  options.setup?.(platform, port);
  const status = new StatusLog();
  const notifications: Notification[] = [];
  const gaps: Gap[] = [];
  const budget = new ChannelBudget(options.budget ?? 3);
  const connectionOptions: ChannelConnectionOptions = {
    slot: 0,
    port,
    topics: options.topics ?? TOPICS,
    budget,
    timing: { ...FAST, ...options.timing },
    onNotification: (n) => {
      notifications.push(n);
      options.receive?.(n);
    },
    onStatus: status.push,
    onGap: (gap) => gaps.push(gap),
    ...(options.clock ? { timers: options.clock } : {}),
  };
  const connection = new ChannelConnection(connectionOptions);
  cleanups.push(async () => {
    await connection.stop();
    await platform.stop();
  });
  if (options.start !== false) await connection.start();
  return { platform, port, connection, status, notifications, gaps, budget };
}

const only = <T>(items: T[]): T => {
  assert.equal(items.length, 1, `expected exactly one, got ${items.length}`);
  return items[0]!;
};

describe('ChannelConnection', { timeout: 20_000 }, () => {
  it('creates one channel, connects to its connectUri, subscribes every topic and delivers notifications', async () => {
    const h = await harness();
    const channel = only([...h.platform.channels.values()]);
    assert.equal(h.connection.channelId, channel.id);
    assert.deepEqual(channel.topics, TOPICS);
    const put = only(h.platform.callsTo(/subscriptions$/, 'PUT'));
    assert.equal(put.query.get('ignoreErrors'), 'true');
    assert.deepEqual(
      put.body,
      TOPICS.map((id) => ({ id })),
    );

    h.platform.publish(TOPICS[1]!, { id: 'conv-1', participants: [] }, 'corr-1');
    const got = await waitFor(() => h.notifications[0], 'a notification');
    assert.equal(got.topic, TOPICS[1]);
    assert.equal(got.channelId, channel.id);
    assert.equal(got.correlationId, 'corr-1');
    assert.equal(typeof got.receivedAt, 'number');
    assert.deepEqual(got.eventBody, { id: 'conv-1', participants: [] });
    assert.equal(h.budget.inUse, 1);

    // The socket goes to connectUri exactly, and carries no token: the channel id is the secret.
    const upgrade = only(h.platform.upgrades);
    assert.equal(upgrade.url, `/channels/${channel.id}`);
    assert.equal(upgrade.headers.authorization, undefined);
    assert.equal(upgrade.headers.cookie, undefined);
  });

  it('stays connected while heartbeats arrive', async () => {
    // The watchdog runs on a clock that moves 50 ms per heartbeat received: 1 s of heartbeats, with a watchdog of
    // 4 × 100 ms, whatever pauses the machine takes meanwhile.
    const clock = new TestClock();
    const h = await harness({ heartbeatIntervalMs: 20, timing: { heartbeatIntervalMs: 100 }, clock });
    for (let step = 0; step < 20; step++) {
      const frames = h.connection.health().frames;
      await waitFor(() => h.connection.health().frames > frames, 'the next heartbeat');
      clock.advance(50);
    }
    assert.equal(h.status.of('stale').length, 0);
    assert.equal(h.status.of('disconnected').length, 0);
    assert.equal(only([...h.platform.channels.values()]).connects, 1);
    const health = h.connection.health();
    assert.equal(health.state, 'connected');
    assert.ok(health.heartbeatAgeMs !== undefined && health.heartbeatAgeMs <= 50, `${health.heartbeatAgeMs}`);
  });

  it('pings a quiet socket and lives on the pongs', async () => {
    // No server heartbeats at all: only the client's pings keep frames coming. Pings after 120 ms of quiet; the
    // watchdog would trip after 600 ms without the pongs. The clock moves on only once a due pong has come.
    const clock = new TestClock();
    const h = await harness({
      heartbeatIntervalMs: 0,
      timing: { heartbeatIntervalMs: 100, watchdogMultiple: 6 },
      clock,
    });
    const quietMs = (): number => {
      const health = h.connection.health();
      return health.lastFrameAgeMs ?? health.channelAgeMs ?? 0;
    };
    for (let step = 0; step < 40; step++) {
      clock.advance(30);
      await waitFor(() => quietMs() < 150, 'the pong to a ping');
    }
    assert.equal(h.status.of('stale').length, 0);
    assert.equal(only([...h.platform.channels.values()]).connects, 1);
    assert.ok(h.connection.health().frames >= 7, `${h.connection.health().frames} pongs in 1.2 s of quiet`);
  });

  it("takes a stall of its own process for what it is, not for the server's silence", async () => {
    // Watchdog: 4 × 40 ms. The process "stalls" for a second: time jumps, and the watchdog's check runs late, before
    // the heartbeats sent meanwhile are read. It waits for them instead of reconnecting.
    const clock = new TestClock();
    const h = await harness({ heartbeatIntervalMs: 20, clock });
    const frames = h.connection.health().frames;
    clock.stall(1000);
    await waitFor(() => h.connection.health().frames > frames, 'the heartbeats sent during the stall');
    clock.advance(20);
    assert.equal(h.status.of('stale').length, 0, 'no reconnection for a stall of this process');

    // A server that really went silent is still noticed, stall or not: at the next check after the late one.
    const channel = only([...h.platform.channels.values()]);
    channel.heartbeats = false;
    clock.stall(1000);
    assert.equal(h.status.of('stale').length, 0, 'the late check does not judge');
    // Frames already on their way may still come; past them, a few checks of silence trip the watchdog.
    await waitFor(() => {
      clock.advance(10);
      return h.status.of('stale')[0];
    }, 'the watchdog to trip on the silence');
    assert.equal(channel.connects, 1, 'the trip came from the silence, not from the stall');
  });

  it('trips the watchdog when heartbeats stop, and reconnects re-using the channel after HEAD 200', async () => {
    const h = await harness({ heartbeatIntervalMs: 20 });
    const channel = only([...h.platform.channels.values()]);
    const silentFrom = Date.now();
    channel.heartbeats = false; // neither heartbeats nor pongs
    const stale = await waitFor(() => h.status.of('stale')[0], 'the watchdog to trip');
    const tripAfter = stale.seenAt - silentFrom;
    assert.ok(tripAfter >= 140, `tripped after ${tripAfter} ms, before 4 heartbeat intervals of silence`);
    assert.ok(tripAfter < 600, `tripped after ${tripAfter} ms`);
    channel.heartbeats = true;
    await waitFor(() => h.status.of('connected').length === 2, 'the reconnection');

    assert.equal(h.connection.channelId, channel.id, 'same channel');
    assert.equal(
      h.platform.callsTo(/^\/api\/v2\/notifications\/channels$/, 'POST').length,
      1,
      'no new channel',
    );
    assert.ok(
      h.platform.callsTo(new RegExp(`/channels/${channel.id}$`), 'HEAD').length >= 1,
      'HEAD before reuse',
    );
    assert.equal(channel.connects, 2);
    assert.equal(h.status.of('connected')[1]!.reusedChannel, true);
    assert.equal(h.platform.callsTo(/subscriptions$/, 'PUT').length, 1, 'subscriptions kept on the channel');

    // The gap closes at the new socket's first frame, just after it connects.
    await waitFor(() => h.gaps.length > 0, 'the gap to close');
    const gap = only(h.gaps);
    assert.equal(gap.reason, 'stale');
    assert.deepEqual(gap.topics, TOPICS);
    const start = Date.parse(gap.start);
    const end = Date.parse(gap.end);
    // The gap starts at the last frame, a full watchdog window (4 × 40 ms) before the trip.
    assert.ok(start >= silentFrom - 100, `start ${start - silentFrom} ms from silence`);
    assert.ok(start <= stale.seenAt - 160, `start ${stale.seenAt - start} ms before the trip`);
    assert.ok(end >= stale.seenAt && end <= Date.now(), 'ends once reconnected');
    assert.equal(h.connection.health().reconnects, 1);
  });

  it('keeps the gap open after reconnecting to a server that stays mute, until the new socket shows life', async () => {
    const h = await harness({ heartbeatIntervalMs: 20 });
    const channel = only([...h.platform.channels.values()]);
    channel.heartbeats = false;
    await waitFor(() => h.status.of('connected').length >= 2, 'a reconnection to the mute channel');
    assert.equal(h.gaps.length, 0, 'connected is not covered: no gap closed while the server says nothing');
    const alive = Date.now();
    channel.heartbeats = true;
    const gap = await waitFor(() => h.gaps[0], 'the gap to close once a frame arrives');
    assert.equal(h.gaps.length, 1, 'one gap spans every reconnection into silence');
    assert.ok(
      Date.parse(gap.end) >= alive - 5,
      `gap ends at the first sign of life (${Date.parse(gap.end) - alive} ms)`,
    );
  });

  it('replaces a channel that HEAD reports gone (404): new channel, whole topic list PUT again', async () => {
    const h = await harness();
    const first = only([...h.platform.channels.values()]);
    const droppedAt = Date.now();
    h.platform.expire(first);
    await waitFor(() => h.status.of('connected').length === 2, 'the reconnection');
    const second = only([...h.platform.channels.values()]);
    assert.notEqual(second.id, first.id);
    assert.equal(h.connection.channelId, second.id);
    assert.deepEqual(second.topics, TOPICS);
    assert.equal(h.platform.callsTo(new RegExp(`/channels/${first.id}$`), 'HEAD').length, 1);
    const puts = h.platform.callsTo(/subscriptions$/, 'PUT');
    assert.equal(puts.length, 2);
    assert.match(puts[1]!.path, new RegExp(second.id));
    assert.deepEqual(
      puts[1]!.body,
      TOPICS.map((id) => ({ id })),
    );
    assert.equal(h.status.of('channel-lost').length, 1);
    assert.equal(h.status.of('connected')[1]!.reusedChannel, false);
    assert.equal(h.budget.inUse, 1, 'the lost channel passed its place in the budget on');

    // The gap closes at the new socket's first frame, just after it connects.
    await waitFor(() => h.gaps.length > 0, 'the gap to close');
    const gap = only(h.gaps);
    assert.equal(gap.reason, 'channel-lost');
    assert.equal(gap.channelId, first.id);
    assert.ok(Date.parse(gap.start) >= droppedAt - 5, 'Date.parse(gap.start) >= droppedAt - 5');
    assert.ok(Date.parse(gap.end) >= Date.parse(gap.start), 'Date.parse(gap.end) >= Date.parse(gap.start)');
    assert.ok(Date.parse(gap.end) >= puts[1]!.at - 5, 'the gap ends once the new channel is subscribed');
  });

  it('never creates a channel per reconnect while the channel lives', async () => {
    const h = await harness();
    const channel = only([...h.platform.channels.values()]);
    for (let i = 0; i < 4; i++) {
      h.platform.dropSocket(channel);
      await waitFor(() => h.status.of('connected').length === i + 2, `reconnection ${i + 1}`);
      // Coverage counts as back at the new socket's first frame (the pong to its first ping).
      await waitFor(() => h.gaps.length === i + 1, `gap ${i + 1} to close`);
    }
    assert.equal(h.platform.channels.size, 1);
    assert.equal(h.platform.callsTo(/^\/api\/v2\/notifications\/channels$/, 'POST').length, 1);
    assert.equal(channel.connects, 5);
    assert.equal(h.gaps.length, 4);
    assert.ok(
      h.gaps.every((g) => g.reason === 'disconnected'),
      "h.gaps.every((g) => g.reason === 'disconnected')",
    );
  });

  it('hands over on socket_closing: the new socket is up before the old one goes, and no frame is lost', async () => {
    // A clock that stands still: no watchdog trip from a pause of the machine can blur the hand-over under test.
    const h = await harness({ clock: new TestClock() });
    const old = only([...h.platform.channels.values()]);
    const published: string[] = [];
    let oldOpenWhenNewConnected: boolean | undefined;
    let counter = 0;
    // The server keeps sending to every subscribed channel, through the overlap.
    const pump = setInterval(() => {
      for (const channel of h.platform.channels.values()) {
        if (channel !== old && channel.socket && oldOpenWhenNewConnected === undefined) {
          oldOpenWhenNewConnected = old.socket?.readyState === 1;
        }
      }
      const id = `conv-${counter++}`;
      if (h.platform.publish(TOPICS[0]!, { id }) > 0) published.push(id);
    }, 2);
    const heardOn = (channelId: string) => h.notifications.some((n) => n.channelId === channelId);
    try {
      // Enough traffic before the notice that "no frame lost" means something, however fast the hand-over goes.
      await waitFor(() => heardOn(old.id) && published.length > 5, 'frames on the old channel');
      h.platform.system(old, 'socket_closing');
      await waitFor(() => h.status.of('handover').some((s) => s.phase === 'completed'), 'the hand-over');
      await waitFor(() => !old.socket, 'the old socket to be dropped by the client');
      await waitFor(() => heardOn(h.connection.channelId!), 'frames on the new channel');
    } finally {
      clearInterval(pump);
    }
    const received = new Set<string>();
    const missing = (): string[] => {
      for (const n of h.notifications) received.add(n.eventBody.id as string);
      return published.filter((id) => !received.has(id));
    };
    // Frames still on their way when the pump stopped arrive in their own time; a lost one never does.
    await waitFor(() => missing().length === 0, 'every frame the server sent').catch(() => {});
    assert.deepEqual(missing(), [], 'every frame the server sent was received');
    const fresh = [...h.platform.channels.values()].find((c) => c !== old)!;
    assert.ok(fresh, 'a new channel');
    assert.equal(h.connection.channelId, fresh.id);
    assert.deepEqual(fresh.topics, TOPICS);
    assert.equal(oldOpenWhenNewConnected, true, 'the old socket was still open when the new one connected');
    assert.equal(old.connects, 1, 'never a second socket on the old channel');

    assert.ok(published.length > 5, `only ${published.length} frames published`);
    assert.equal(h.gaps.length, 0, 'no gap in a hand-over');
    assert.equal(h.budget.inUse, 1, 'the old channel left the budget');
    const handover = h.status.of('handover').find((s) => s.phase === 'completed')!;
    assert.equal(handover.reason, 'socket-closing');
    assert.equal(handover.fromChannelId, old.id);
    assert.equal(handover.toChannelId, fresh.id);
  });

  it('rotates to a fresh channel before the channel expires, overlapping the two', async () => {
    const h = await harness({
      channelLifetimeMs: 800,
      timing: { rotateBeforeMs: 500, minChannelLifeMs: 50 },
    });
    const first = only([...h.platform.channels.values()]);
    const createdAt = Date.now();
    const rotated = await waitFor(() => h.status.of('rotated')[0], 'the rotation', 3000);
    const after = rotated.seenAt - createdAt;
    assert.ok(after >= 200 && after < 700, `rotated ${after} ms after creation (expiry at 800, lead 500)`);
    assert.equal(rotated.reason, 'rotation');
    assert.equal(rotated.fromChannelId, first.id);
    assert.notEqual(rotated.toChannelId, first.id);
    assert.equal(h.connection.channelId, rotated.toChannelId);
    assert.equal(h.gaps.length, 0);
    assert.equal(h.connection.health().rotations, 1);
    assert.ok((h.connection.health().expiresInMs ?? 0) > 300, 'the new channel has its whole life ahead');
  });

  it('rotates before the token that created the channel expires, and asks for a fresh token', async () => {
    const h = await harness({
      timing: { rotateBeforeMs: 300 },
      setup: (_platform, port) => {
        port.tokenExpiry = Date.now() + 600;
      },
    });
    const first = h.connection.channelId;
    assert.ok(
      (h.connection.health().tokenExpiresInMs ?? 0) > 0,
      '(h.connection.health().tokenExpiresInMs ?? 0) > 0',
    );
    const rotated = await waitFor(() => h.status.of('rotated')[0], 'the rotation', 3000);
    assert.equal(rotated.reason, 'token-expiry');
    assert.equal(rotated.fromChannelId, first);
    assert.equal(h.port.tokenRefreshes, 1);
  });

  it('on token_revoked, gets a new token and a new channel', async () => {
    const h = await harness();
    const old = only([...h.platform.channels.values()]);
    h.platform.system(old, 'token_revoked');
    await waitFor(() => h.status.of('handover').some((s) => s.phase === 'completed'), 'the new channel');
    assert.equal(h.port.tokenRefreshes, 1);
    assert.notEqual(h.connection.channelId, old.id);
    assert.equal(h.status.of('handover')[0]!.reason, 'token-revoked');
  });

  it('on no_longer_subscribed, PUTs the topics again and records the gap', async () => {
    const h = await harness();
    const channel = only([...h.platform.channels.values()]);
    channel.topics = [];
    h.platform.system(channel, 'no_longer_subscribed');
    await waitFor(() => h.gaps.length === 1, 'the gap to close');
    assert.deepEqual(channel.topics, TOPICS);
    assert.equal(h.platform.callsTo(/subscriptions$/, 'PUT').length, 2);
    assert.equal(h.gaps[0]!.reason, 'no-longer-subscribed');
    assert.equal(h.connection.channelId, channel.id);
  });

  it('backs off with growing, capped delays while the platform fails', async () => {
    let failures = 6;
    const h = await harness({
      timing: { backoff: { initialDelayMs: 10, maxDelayMs: 80, random: () => 0.99 } },
      setup: (platform) => {
        platform.overrides.push((call) => {
          if (call.method !== 'HEAD' || failures <= 0) return undefined;
          failures--;
          return { status: 503, body: { code: 'service.unavailable' } };
        });
      },
    });
    const channel = only([...h.platform.channels.values()]);
    h.platform.dropSocket(channel);
    await waitFor(() => h.status.of('connected').length === 2, 'the reconnection', 5000);
    const delays = h.status.of('reconnecting').map((s) => s.delayMs);
    assert.deepEqual(delays, [9, 19, 39, 79, 79, 79, 79]);
    // The channel id is the channel's secret: errors show only its first characters.
    assert.equal(
      h.status.of('reconnecting')[1]!.error,
      `HEAD /api/v2/notifications/channels/${channel.id.slice(0, 8)}… → 503`,
    );
    assert.equal(h.connection.channelId, channel.id);
  });

  it('reports rejected topics with their missing permissions and keeps the others', async () => {
    const h = await harness({
      setup: (platform) => {
        platform.rejectTopics.set(TOPICS[2]!, ['routing:queue:view', 'analytics:queueObservation:view']);
      },
    });
    const subscribed = only(h.status.of('subscribed'));
    assert.equal(subscribed.permitted, 2);
    assert.deepEqual(subscribed.rejected, [
      {
        topic: TOPICS[2],
        state: 'Rejected',
        rejectionReason: 'missing.permissions',
        missingPermissions: ['routing:queue:view', 'analytics:queueObservation:view'],
      },
    ]);
    assert.equal(h.connection.health().rejected, 1);
    assert.equal(h.connection.health().state, 'connected');
    assert.deepEqual(
      h.connection.rejectedTopics.map((r) => r.topic),
      [TOPICS[2]],
    );
  });

  it('fails start on a lasting error instead of retrying it forever', async () => {
    const h = await harness({
      start: false,
      setup: (platform) => {
        platform.overrides.push((call) =>
          call.method === 'POST' ? { status: 403, body: { code: 'missing.permissions' } } : undefined,
        );
      },
    });
    await assert.rejects(h.connection.start(), (error: unknown) => {
      assert.ok(error instanceof GenesysApiError, 'error instanceof GenesysApiError');
      assert.equal(error.status, 403);
      return true;
    });
    assert.equal(h.budget.inUse, 0);
  });

  it('gives up starting after a few passing failures, saying why', async () => {
    const h = await harness({
      start: false,
      timing: { startAttempts: 3 },
      setup: (platform) => {
        platform.overrides.push((call) =>
          call.method === 'POST' ? { status: 503, body: { code: 'service.unavailable' } } : undefined,
        );
      },
    });
    await assert.rejects(
      h.connection.start(),
      (error: unknown) => error instanceof GenesysApiError && error.status === 503,
    );
    assert.equal(h.platform.callsTo(/^\/api\/v2\/notifications\/channels$/, 'POST').length, 3);
    assert.equal(h.status.of('reconnecting').length, 2);
    assert.equal(h.budget.inUse, 0);
  });

  it('replaces its topic list on the same channel', async () => {
    const h = await harness();
    const channel = only([...h.platform.channels.values()]);
    await h.connection.setTopics([TOPICS[0]!, queueTopic('q-new')]);
    assert.deepEqual(channel.topics, [TOPICS[0], queueTopic('q-new')]);
    assert.equal(h.platform.channels.size, 1);
  });

  it('counts malformed frames and carries on', async () => {
    const h = await harness();
    const channel = only([...h.platform.channels.values()]);
    h.platform.sendRaw(channel, 'garbage');
    h.platform.sendRaw(channel, '{"topicName":"v2.users.u.conversations"}');
    h.platform.publish(TOPICS[0]!, { id: 'after' });
    await waitFor(() => h.notifications.length === 1, 'the good frame');
    assert.equal(h.connection.health().malformed, 2);
    assert.deepEqual(
      h.status.of('malformed').map((s) => s.reason),
      ['not JSON', 'eventBody is not an object'],
    );
  });

  it('survives a receiver that throws, counting the failures', async () => {
    const h = await harness({
      receive: (n) => {
        if (n.eventBody.id === 'bad') throw new Error('receiver bug');
      },
    });
    const channel = only([...h.platform.channels.values()]);
    const seen = (): string[] => h.notifications.map((n) => n.eventBody.id as string);
    h.platform.publish(TOPICS[0]!, { id: 'bad' });
    h.platform.publish(TOPICS[0]!, { id: 'good' });
    await waitFor(() => seen().length === 2, 'both notifications');
    assert.deepEqual(seen(), ['bad', 'good']);
    assert.equal(h.connection.health().handlerErrors, 1);
    assert.equal(h.connection.health().state, 'connected');
    assert.equal(channel.connects, 1);
    assert.ok(
      h.status.of('error').some((s) => s.error.message === 'receiver bug'),
      'the failure is reported as a status',
    );
  });

  it('records a gap when the server stops serving the old socket before the new channel is subscribed', async () => {
    // socket_closing, then the server drops the old channel at once but this side does not see its socket close:
    // whatever is published until the new channel is subscribed reaches no socket.
    const h = await harness({ timing: { connectTimeoutMs: 200 } });
    const old = only([...h.platform.channels.values()]);
    const unheard: Array<{ id: string; at: number }> = [];
    let counter = 0;
    const pump = setInterval(() => {
      const id = `conv-${counter++}`;
      const at = Date.now();
      if (h.platform.publish(TOPICS[0]!, { id }) === 0) unheard.push({ id, at });
    }, 2);
    try {
      await waitFor(() => h.notifications.length > 3, 'frames on the old channel');
      h.platform.system(old, 'socket_closing');
      old.topics = [];
      old.heartbeats = false; // nor does it answer pings
      await waitFor(() => h.status.of('handover').some((s) => s.phase === 'completed'), 'the hand-over');
    } finally {
      clearInterval(pump);
    }
    assert.ok(unheard.length > 0, 'the scenario lost frames between the two channels');
    const gap = await waitFor(() => h.gaps[0], 'the hand-over gap to close');
    assert.equal(gap.reason, 'handover');
    assert.deepEqual(gap.topics, TOPICS);
    // The gap starts when the old socket's last frame arrived; what the server published while that frame was on its
    // way is lost too, a few milliseconds earlier on a loaded machine. The backfill widens every gap by its margin
    // (30 s by default) for that: a second's allowance here still fails a gap that starts at the wrong moment.
    const inFlightMs = 1000;
    for (const { id, at } of unheard) {
      assert.ok(
        Date.parse(gap.start) - inFlightMs <= at && at <= Date.parse(gap.end),
        `${id} (published at ${new Date(at).toISOString()}) falls inside the gap ${gap.start} – ${gap.end}`,
      );
    }
    assert.equal(h.connection.health().state, 'connected');
  });

  it('stops cleanly: socket closed, budget released, nothing left to run', async () => {
    const clock = new TestClock();
    const h = await harness({ clock });
    const channel = only([...h.platform.channels.values()]);
    await h.connection.stop();
    await waitFor(() => !channel.socket, 'the socket to close');
    assert.equal(h.connection.health().state, 'closed');
    assert.equal(h.budget.inUse, 0);
    // A day passes on the connection's clock: no watchdog, backoff or rotation is left to wake it up.
    clock.advance(24 * 3600_000);
    assert.equal(clock.pending, 0, 'no timer left');
    assert.equal(channel.connects, 1, 'no reconnection after stop');
  });
});
