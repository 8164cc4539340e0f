/**
 * One channel connection against the emulator, over the platform client (one attempt a request, so the connection's
 * own retries are what the tests count): what the connection asked of the platform is read from the emulator's
 * request journal (`emulator.requests`, WebSocket upgrades included), what the platform holds from its hub, and what
 * goes wrong is a fault. Malformed frames (not JSON, no event body), which the emulator never sends, are tested in
 * channel-connection-frames.test.ts.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  type ClientDefinition,
  DEFAULT_CLIENT,
  type Emulator,
  type JournalEntry,
  startEmulator,
} from '../../src/emulator/index.js';
import { GenesysApiError } from '../../src/errors.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import { ChannelBudget } from '../../src/stream/channel-budget.js';
import { ChannelConnection, type ChannelConnectionOptions } from '../../src/stream/channel-connection.js';
import type { Notification } from '../../src/stream/frames.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { Gap } from '../../src/stream/status.js';
import type { ConnectionTiming } from '../../src/stream/timing.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';
import { TestClock } from '../helpers/test-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { StatusLog } from './helpers/status-log.js';

const TOPICS = [queueTopic('q-a'), queueTopic('q-b'), queueTopic('q-c')];
const CREATE = '/api/v2/notifications/channels';

const FAST: Partial<ConnectionTiming> = {
  heartbeatIntervalMs: 40,
  watchdogMultiple: 4,
  connectTimeoutMs: 1000,
  backoff: { initialDelayMs: 10, maxDelayMs: 40 },
  rotationJitterMs: 0,
  minChannelLifeMs: 50,
};

interface Harness {
  emulator: Emulator;
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
    /** The emulator's heartbeat interval (20 ms by default). */
    heartbeatIntervalMs?: number;
    channelLifetimeMs?: number;
    tokenLifetimeSeconds?: number;
    /** The client the connection signs in as (the demo client, with every permission, by default). */
    client?: ClientDefinition;
    timing?: Partial<ConnectionTiming>;
    topics?: string[];
    budget?: number;
    start?: boolean;
    /** Called with the emulator before the connection starts. */
    setup?: (emulator: Emulator) => void;
    /** Called with each notification after it is recorded. */
    receive?: (notification: Notification) => void;
    /** The connection's clock (default: the system's). */
    clock?: TestClock;
  } = {},
): Promise<Harness> {
  const emulator = await startEmulator({
    world: false,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 20,
    ...(options.channelLifetimeMs ? { channelLifetimeMs: options.channelLifetimeMs } : {}),
    ...(options.tokenLifetimeSeconds ? { tokenLifetimeSeconds: options.tokenLifetimeSeconds } : {}),
    ...(options.client ? { clients: [options.client] } : {}),
  });
  const signIn = options.client ?? DEFAULT_CLIENT;
  const client = createPlatformClient({
    region: emulator.url,
    clientId: signIn.clientId,
    clientSecret: signIn.clientSecret,
    retry: { maxAttempts: 1 },
  });
  options.setup?.(emulator);
  const status = new StatusLog();
  const notifications: Notification[] = [];
  const gaps: Gap[] = [];
  const budget = new ChannelBudget(options.budget ?? 3);
  const connectionOptions: ChannelConnectionOptions = {
    slot: 0,
    port: createNotificationsPort(client),
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
    await client.close();
    await emulator.stop();
  });
  if (options.start !== false) await connection.start();
  return { emulator, connection, status, notifications, gaps, budget };
}

const only = <T>(items: T[]): T => {
  assert.equal(items.length, 1, `expected exactly one, got ${items.length}`);
  return items[0]!;
};

/** The emulator's channels. */
const channels = (h: Harness) => [...h.emulator.hub.channels.all()];

/** The topics a channel holds in the emulator's books, as they were given. */
const topicsOf = (channel: { topics: Map<string, string> }): string[] => [...channel.topics.values()];

/** Channels created so far (`POST /api/v2/notifications/channels`). */
const creates = (h: Harness): number => h.emulator.requests.list('POST', CREATE).length;

/** Subscription replacements (`PUT .../subscriptions`), in order. */
const puts = (h: Harness): JournalEntry[] => h.emulator.requests.list('PUT', /\/subscriptions$/);

/** `HEAD`s of a channel. */
const heads = (h: Harness, channelId: string): JournalEntry[] =>
  h.emulator.requests.list('HEAD', `${CREATE}/${channelId}`);

/** Sockets opened on a channel (upgrades the platform went ahead with). */
const connects = (h: Harness, channelId: string): number =>
  h.emulator.requests.upgrades(`/channels/${channelId}`).filter((u) => u.status === 101).length;

/** Tokens the client asked for. */
const tokenRequests = (h: Harness): number => h.emulator.requests.list('POST', '/oauth/token').length;

/** When a request reached the emulator, on the wall clock (the journal keeps `performance.now()`). */
const arrivedAt = (entry: JournalEntry): number => performance.timeOrigin + entry.at;

/** Silences a channel, open as its socket stays: no heartbeats, no pongs, no events, until {@link speak}. */
const mute = (h: Harness, channelId: string): void => {
  assert.equal(h.emulator.faults.stopHeartbeats(3600, { channelId }), 1);
};

/** Ends a channel's silence: a silence of no length takes the place of the one under way. */
const speak = (h: Harness, channelId: string): void => {
  h.emulator.faults.stopHeartbeats(0, { channelId });
};

describe('ChannelConnection', { timeout: 20_000 }, () => {
  it('creates one channel, connects to its connectUri, subscribes every topic and delivers notifications', async () => {
    const h = await harness();
    const channel = only(channels(h));
    assert.equal(h.connection.channelId, channel.id);
    assert.deepEqual(topicsOf(channel), TOPICS);
    const put = only(puts(h));
    assert.equal(put.query.get('ignoreErrors'), 'true');
    assert.deepEqual(
      JSON.parse(put.text),
      TOPICS.map((id) => ({ id })),
    );

    h.emulator.hub.publish(TOPICS[1]!, { id: 'conv-1', participants: [] }, 'corr-1');
    const got = await waitFor(() => h.notifications[0], 'a notification');
    assert.equal(got.topic, TOPICS[1]);
    assert.equal(got.channelId, channel.id);
    assert.equal(got.correlationId, 'corr-1');
    assert.equal(typeof got.receivedAt, 'number');
    assert.deepEqual(got.eventBody, { id: 'conv-1', participants: [] });
    assert.equal(h.budget.inUse, 1);

    // The socket goes to connectUri exactly, and carries no token: the channel id is the secret.
    const upgrade = only(h.emulator.requests.upgrades());
    assert.equal(upgrade.path, `/channels/${channel.id}`);
    assert.equal(upgrade.query.size, 0);
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
    assert.equal(connects(h, only(channels(h)).id), 1);
    const health = h.connection.health();
    assert.equal(health.state, 'connected');
    assert.ok(health.heartbeatAgeMs !== undefined && health.heartbeatAgeMs <= 50, `${health.heartbeatAgeMs}`);
  });

  it('pings a quiet socket and lives on the pongs', async () => {
    // No server heartbeats at all (the emulator's come once an hour): only the client's pings keep frames coming.
    // Pings after 120 ms of quiet; the watchdog would trip after 600 ms without the pongs. The clock moves on only
    // once a due pong has come.
    const clock = new TestClock();
    const h = await harness({
      heartbeatIntervalMs: 3_600_000,
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
    assert.equal(connects(h, only(channels(h)).id), 1);
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
    const channel = only(channels(h));
    mute(h, channel.id);
    clock.stall(1000);
    assert.equal(h.status.of('stale').length, 0, 'the late check does not judge');
    // Frames already on their way may still come; past them, a few checks of silence trip the watchdog.
    await waitFor(() => {
      clock.advance(10);
      return h.status.of('stale')[0];
    }, 'the watchdog to trip on the silence');
    assert.equal(connects(h, channel.id), 1, 'the trip came from the silence, not from the stall');
  });

  it('trips the watchdog when heartbeats stop, and reconnects re-using the channel after HEAD 200', async () => {
    const h = await harness({ heartbeatIntervalMs: 20 });
    const channel = only(channels(h));
    const silentFrom = Date.now();
    mute(h, channel.id); // neither heartbeats nor pongs
    const stale = await waitFor(() => h.status.of('stale')[0], 'the watchdog to trip');
    const tripAfter = stale.seenAt - silentFrom;
    assert.ok(tripAfter >= 140, `tripped after ${tripAfter} ms, before 4 heartbeat intervals of silence`);
    assert.ok(tripAfter < 600, `tripped after ${tripAfter} ms`);
    speak(h, channel.id);
    await waitFor(() => h.status.of('connected').length === 2, 'the reconnection');

    assert.equal(h.connection.channelId, channel.id, 'same channel');
    assert.equal(creates(h), 1, 'no new channel');
    const checked = heads(h, channel.id);
    assert.ok(checked.length >= 1, 'HEAD before reuse');
    assert.ok(
      checked.every((e) => e.status === 200),
      'and the platform said it lives',
    );
    assert.equal(connects(h, channel.id), 2);
    assert.equal(h.status.of('connected')[1]!.reusedChannel, true);
    assert.equal(puts(h).length, 1, 'subscriptions kept on the channel');

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
    const channel = only(channels(h));
    mute(h, channel.id);
    await waitFor(() => h.status.of('connected').length >= 2, 'a reconnection to the mute channel');
    assert.equal(h.gaps.length, 0, 'connected is not covered: no gap closed while the server says nothing');
    const alive = Date.now();
    speak(h, channel.id);
    const gap = await waitFor(() => h.gaps[0], 'the gap to close once a frame arrives');
    assert.equal(h.gaps.length, 1, 'one gap spans every reconnection into silence');
    assert.ok(
      Date.parse(gap.end) >= alive - 5,
      `gap ends at the first sign of life (${Date.parse(gap.end) - alive} ms)`,
    );
  });

  it('replaces a channel that HEAD reports gone (404): new channel, whole topic list PUT again', async () => {
    const h = await harness();
    const first = only(channels(h));
    const droppedAt = Date.now();
    assert.equal(h.emulator.faults.expireChannels({ channelId: first.id }), 1);
    await waitFor(() => h.status.of('connected').length === 2, 'the reconnection');
    const second = only(channels(h));
    assert.notEqual(second.id, first.id);
    assert.equal(h.connection.channelId, second.id);
    assert.deepEqual(topicsOf(second), TOPICS);
    assert.deepEqual(
      heads(h, first.id).map((e) => e.status),
      [404],
    );
    const replaced = puts(h);
    assert.equal(replaced.length, 2);
    assert.match(replaced[1]!.path, new RegExp(second.id));
    assert.deepEqual(
      JSON.parse(replaced[1]!.text),
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
    assert.ok(
      Date.parse(gap.end) >= arrivedAt(replaced[1]!) - 5,
      'the gap ends once the new channel is subscribed',
    );
  });

  it('never creates a channel per reconnect while the channel lives', async () => {
    const h = await harness();
    const channel = only(channels(h));
    for (let i = 0; i < 4; i++) {
      assert.equal(h.emulator.faults.dropSockets({ channelId: channel.id }), 1);
      await waitFor(() => h.status.of('connected').length === i + 2, `reconnection ${i + 1}`);
      // Coverage counts as back at the new socket's first frame (the pong to its first ping).
      await waitFor(() => h.gaps.length === i + 1, `gap ${i + 1} to close`);
    }
    assert.equal(h.emulator.hub.channels.size, 1);
    assert.equal(creates(h), 1);
    assert.equal(connects(h, channel.id), 5);
    assert.equal(h.gaps.length, 4);
    assert.ok(
      h.gaps.every((g) => g.reason === 'disconnected'),
      "h.gaps.every((g) => g.reason === 'disconnected')",
    );
  });

  it('hands over on socket_closing: the new socket is up before the old one goes, and no frame is lost', async () => {
    // A clock that stands still: no watchdog trip from a pause of the machine can blur the hand-over under test.
    const h = await harness({ clock: new TestClock() });
    const old = only(channels(h));
    const published: string[] = [];
    let oldOpenWhenNewConnected: boolean | undefined;
    let counter = 0;
    // The server keeps sending to every subscribed channel, through the overlap.
    const pump = setInterval(() => {
      for (const channel of channels(h)) {
        if (channel !== old && channel.connected && oldOpenWhenNewConnected === undefined) {
          oldOpenWhenNewConnected = old.socket?.readyState === 1;
        }
      }
      const id = `conv-${counter++}`;
      if (h.emulator.hub.publish(TOPICS[0]!, { id }) > 0) published.push(id);
    }, 2);
    const heardOn = (channelId: string) => h.notifications.some((n) => n.channelId === channelId);
    try {
      // Enough traffic before the notice that "no frame lost" means something, however fast the hand-over goes.
      await waitFor(() => heardOn(old.id) && published.length > 5, 'frames on the old channel');
      // The close itself a minute away, as on the platform: the connection hands over before it.
      assert.equal(h.emulator.faults.socketClosing(60_000, { channelId: old.id }), 1);
      await waitFor(() => h.status.of('handover').some((s) => s.phase === 'completed'), 'the hand-over');
      await waitFor(() => !old.connected, 'the old socket to be dropped by the client');
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
    const fresh = channels(h).find((c) => c !== old)!;
    assert.ok(fresh, 'a new channel');
    assert.equal(h.connection.channelId, fresh.id);
    assert.deepEqual(topicsOf(fresh), TOPICS);
    assert.equal(oldOpenWhenNewConnected, true, 'the old socket was still open when the new one connected');
    assert.equal(connects(h, old.id), 1, 'never a second socket on the old channel');

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
    const first = only(channels(h));
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
    // Tokens live a second: the channel dies with its token, so it is rotated 300 ms before.
    const h = await harness({ tokenLifetimeSeconds: 1, timing: { rotateBeforeMs: 300 } });
    const first = h.connection.channelId;
    assert.ok(
      (h.connection.health().tokenExpiresInMs ?? 0) > 0,
      '(h.connection.health().tokenExpiresInMs ?? 0) > 0',
    );
    assert.equal(tokenRequests(h), 1);
    const rotated = await waitFor(() => h.status.of('rotated')[0], 'the rotation', 3000);
    assert.equal(rotated.reason, 'token-expiry');
    assert.equal(rotated.fromChannelId, first);
    assert.equal(tokenRequests(h), 2, 'one fresh token');
  });

  it('on token_revoked, gets a new token and a new channel', async () => {
    const h = await harness();
    const old = only(channels(h));
    assert.equal(tokenRequests(h), 1);
    // The platform ends the channels of a revoked token, telling their sockets token_revoked.
    assert.equal(h.emulator.faults.revokeTokens(), 1);
    await waitFor(() => h.status.of('handover').some((s) => s.phase === 'completed'), 'the new channel');
    assert.equal(tokenRequests(h), 2, 'one fresh token');
    assert.notEqual(h.connection.channelId, old.id);
    assert.equal(h.status.of('handover')[0]!.reason, 'token-revoked');
  });

  it('on no_longer_subscribed, PUTs the topics again and records the gap', async () => {
    const h = await harness();
    const channel = only(channels(h));
    assert.equal(h.emulator.faults.noLongerSubscribed({ channelId: channel.id }), 1);
    await waitFor(() => h.gaps.length === 1, 'the gap to close');
    assert.deepEqual(topicsOf(channel), TOPICS);
    assert.equal(puts(h).length, 2);
    assert.equal(h.gaps[0]!.reason, 'no-longer-subscribed');
    assert.equal(h.connection.channelId, channel.id);
  });

  it('backs off with growing, capped delays while the platform fails', async () => {
    const h = await harness({
      timing: { backoff: { initialDelayMs: 10, maxDelayMs: 80, random: () => 0.99 } },
    });
    const channel = only(channels(h));
    h.emulator.faults.failRequests({
      method: 'HEAD',
      pathPattern: `^${CREATE}/[^/]+$`,
      status: 503,
      count: 6,
    });
    assert.equal(h.emulator.faults.dropSockets({ channelId: channel.id }), 1);
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
    // A client whose role may see queues' conversations but not other users': the platform refuses the user topic.
    const refused = userTopic('u-9');
    const h = await harness({
      topics: [TOPICS[0]!, TOPICS[1]!, refused],
      client: {
        clientId: 'queues-only',
        clientSecret: 'queues-only-secret',
        permissions: ['routing:queue:view'],
      },
    });
    const subscribed = only(h.status.of('subscribed'));
    assert.equal(subscribed.permitted, 2);
    assert.deepEqual(subscribed.rejected, [
      {
        topic: refused,
        state: 'Rejected',
        rejectionReason: 'Missing permissions',
        missingPermissions: ['conversation:communication:view'],
      },
    ]);
    assert.deepEqual(topicsOf(only(channels(h))), [TOPICS[0], TOPICS[1]], 'the others subscribed');
    assert.equal(h.connection.health().rejected, 1);
    assert.equal(h.connection.health().state, 'connected');
    assert.deepEqual(
      h.connection.rejectedTopics.map((r) => r.topic),
      [refused],
    );
  });

  it('fails start on a lasting error instead of retrying it forever', async () => {
    const h = await harness({
      start: false,
      setup: (emulator) => {
        emulator.faults.failRequests({
          method: 'POST',
          pathPattern: `^${CREATE}$`,
          status: 403,
          code: 'missing.permissions',
          count: 1000,
        });
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
      setup: (emulator) => {
        emulator.faults.failRequests({
          method: 'POST',
          pathPattern: `^${CREATE}$`,
          status: 503,
          count: 1000,
        });
      },
    });
    await assert.rejects(
      h.connection.start(),
      (error: unknown) => error instanceof GenesysApiError && error.status === 503,
    );
    assert.equal(creates(h), 3);
    assert.equal(h.status.of('reconnecting').length, 2);
    assert.equal(h.budget.inUse, 0);
  });

  it('replaces its topic list on the same channel', async () => {
    const h = await harness();
    const channel = only(channels(h));
    await h.connection.setTopics([TOPICS[0]!, queueTopic('q-new')]);
    assert.deepEqual(topicsOf(channel), [TOPICS[0], queueTopic('q-new')]);
    assert.equal(h.emulator.hub.channels.size, 1);
  });

  it('survives a receiver that throws, counting the failures', async () => {
    const h = await harness({
      receive: (n) => {
        if (n.eventBody.id === 'bad') throw new Error('receiver bug');
      },
    });
    const channel = only(channels(h));
    const seen = (): string[] => h.notifications.map((n) => n.eventBody.id as string);
    h.emulator.hub.publish(TOPICS[0]!, { id: 'bad' });
    h.emulator.hub.publish(TOPICS[0]!, { id: 'good' });
    await waitFor(() => seen().length === 2, 'both notifications');
    assert.deepEqual(seen(), ['bad', 'good']);
    assert.equal(h.connection.health().handlerErrors, 1);
    assert.equal(h.connection.health().state, 'connected');
    assert.equal(connects(h, channel.id), 1);
    assert.ok(
      h.status.of('error').some((s) => s.error.message === 'receiver bug'),
      'the failure is reported as a status',
    );
  });

  it('records a gap when the server stops serving the old socket before the new channel is subscribed', async () => {
    // socket_closing, then the server stops serving the old channel at once (no events, heartbeats or pongs) but this
    // side does not see its socket close: whatever is published until the new channel is subscribed reaches no socket.
    const h = await harness({ timing: { connectTimeoutMs: 200 } });
    const old = only(channels(h));
    const unheard: Array<{ id: string; at: number }> = [];
    let counter = 0;
    const pump = setInterval(() => {
      const id = `conv-${counter++}`;
      const at = Date.now();
      if (h.emulator.hub.publish(TOPICS[0]!, { id }) === 0) unheard.push({ id, at });
    }, 2);
    try {
      await waitFor(() => h.notifications.length > 3, 'frames on the old channel');
      assert.equal(h.emulator.faults.socketClosing(60_000, { channelId: old.id }), 1);
      mute(h, old.id);
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
    const channel = only(channels(h));
    await h.connection.stop();
    await waitFor(() => !channel.connected, 'the socket to close');
    assert.equal(h.connection.health().state, 'closed');
    assert.equal(h.budget.inUse, 0);
    // A day passes on the connection's clock: no watchdog, backoff or rotation is left to wake it up.
    clock.advance(24 * 3600_000);
    assert.equal(clock.pending, 0, 'no timer left');
    assert.equal(connects(h, channel.id), 1, 'no reconnection after stop');
  });
});
