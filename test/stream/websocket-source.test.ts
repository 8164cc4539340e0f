import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import type { OrgQueue } from '../../src/emulator/world/org.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import type { RecoveredConversation } from '../../src/stream/backfiller.js';
import type { Notification } from '../../src/stream/frames.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { NotificationsPort } from '../../src/stream/port.js';
import { queueTopic } from '../../src/stream/topics.js';
import { WebSocketSource } from '../../src/stream/websocket-source.js';
import { TestClock } from '../helpers/test-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

// The connections run on a test clock that moves only when a test says so: no pause of a loaded machine can look
// like a silent server (the watchdog allows 2.5 × 10 s of silence on that clock, and heartbeats come every 15 ms).
const TIMING = { heartbeatIntervalMs: 10_000, backoff: { initialDelayMs: 10, maxDelayMs: 40 } };

const uuid = (n: number): string => `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * The backfill test runs against FakePlatform: its multi-get answers for any conversation it holds, while the
 * emulator's analytics has no record yet of a conversation that has only just started, so nothing is recovered.
 */
async function fakePlatformWithQueues(count: number): Promise<FakePlatform> {
  const platform = await FakePlatform.start({ heartbeatIntervalMs: 15 });
  platform.queues = Array.from({ length: count }, (_, i) => ({ id: uuid(i), name: `Queue ${i}` }));
  return platform;
}

/** The emulator with `count` queues, heartbeats every 15 ms, and a notifications port onto it. */
async function platformWithQueues(
  count: number,
): Promise<{ emulator: Emulator; port: NotificationsPort; queues: OrgQueue[]; stop: () => Promise<void> }> {
  const emulator = await startEmulator({
    queues: count,
    agents: count,
    historyDays: 0,
    conversationsPerMinute: 0,
    heartbeatIntervalMs: 15,
  });
  const client = createPlatformClient({
    region: emulator.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
  });
  return {
    emulator,
    port: createNotificationsPort(client),
    queues: emulator.world!.org.queues,
    stop: async () => {
      await client.close();
      await emulator.stop();
    },
  };
}

describe('WebSocketSource', () => {
  it('subscribes a queue created while running, and drops a deleted one, without a restart', async () => {
    const platform = await platformWithQueues(3);
    const { hub } = platform.emulator;
    const clock = new TestClock();
    const source = new WebSocketSource({
      port: platform.port,
      selection: { queues: 'all' },
      rediscoverEveryMs: 1000,
      timing: TIMING,
      timers: clock,
    });
    cleanups.push(async () => {
      await source.stop();
      await platform.stop();
    });
    const got: Notification[] = [];
    source.onNotification((n) => got.push(n));
    await source.start();
    const channel = [...hub.channels.all()][0]!;
    await waitFor(() => channel.socket !== undefined, 'the socket');
    const socket = channel.socket;
    assert.equal(channel.topics.size, 3);

    const opened = { ...platform.queues[0]!, id: randomUUID(), name: 'Opened today' };
    platform.queues.push(opened);
    clock.advance(1000);
    await waitFor(() => channel.topics.has(queueTopic(opened.id)), 'the new queue to be subscribed');
    hub.publish(queueTopic(opened.id), { id: 'on-new-queue' });
    await waitFor(
      () => got.some((n) => n.eventBody.id === 'on-new-queue'),
      'a notification from the new queue',
    );

    const [deleted] = platform.queues.splice(0, 1);
    clock.advance(1000);
    await waitFor(() => !channel.topics.has(queueTopic(deleted!.id)), 'the deleted queue to be dropped');
    assert.equal(hub.channels.size, 1, 'the same channel throughout');
    assert.equal(channel.socket, socket, 'connected once: the same socket throughout');
  });

  it('backfills every gap when asked to', async () => {
    const platform = await fakePlatformWithQueues(2);
    platform.conversations.set('live-1', { id: 'live-1', participants: [] });
    const recovered: RecoveredConversation[] = [];
    const clock = new TestClock();
    const source = new WebSocketSource({
      port: new HttpPort(platform.url),
      topics: [queueTopic(uuid(0)), queueTopic(uuid(1))],
      timing: TIMING,
      timers: clock,
      backfill: {
        trackedConversations: () => ['live-1'],
        onRecovered: (r) => {
          recovered.push(r);
        },
        coalesceMs: 10,
        settleMs: 0,
      },
    });
    cleanups.push(async () => {
      await source.stop();
      await platform.stop();
    });
    await source.start();
    platform.dropSocket([...platform.channels.values()][0]!);
    // The reconnection waits its backoff on the test clock: move it on while waiting.
    await waitFor(() => {
      clock.advance(10);
      return recovered.length === 1;
    }, 'the reconnection and the backfill');
    await source.backfiller?.idle();
    assert.equal(recovered[0]!.conversationId, 'live-1');
    assert.equal(recovered[0]!.source.kind, 'backfill');
    assert.equal(platform.callsTo(/details\/query$/).length, 1);
    assert.equal(source.backfiller?.progress().totals.windows, 1);
    assert.equal(platform.callsTo(/analytics\/conversations\/details$/).length, 1, 'one multi-get');
  });

  it('refuses a selection and a fixed topic set together', () => {
    assert.throws(
      () =>
        new WebSocketSource({
          port: createNotificationsPort(
            createPlatformClient({ region: 'http://127.0.0.1:9', clientId: 'id', clientSecret: 'secret' }),
          ),
          selection: { queues: 'all' },
          topics: [queueTopic('x')],
        }),
      /either a selection or a fixed topic set/,
    );
  });
});
