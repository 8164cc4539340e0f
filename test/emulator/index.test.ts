import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type NotificationPublisher,
  startEmulator,
  type World,
  type WorldFactory,
  type WorldSettings,
} from '../../src/emulator/index.js';
import { api, createChannel, getToken, SocketProbe, subscribe } from './helpers.js';

/**
 * A stand-in world that records how the shell drives it: an empty org (the shell registers the world's routes over
 * it) and no traffic of its own.
 */
function recordingWorld() {
  const calls: string[] = [];
  let received: { settings?: Partial<WorldSettings>; publisher?: NotificationPublisher } = {};
  const factory: WorldFactory = (settings, publisher) => {
    received = { settings, publisher };
    const world = {
      org: {
        division: { id: 'division-1', name: 'Home' },
        queues: [],
        whatsappIntegration: { id: 'whatsapp-1' },
        openIntegration: { id: 'open-1' },
      },
      activeConversations: 0,
      errors: [],
      start() {
        calls.push('start');
      },
      stop() {
        calls.push('stop');
      },
      setTraffic(perMinute: number) {
        calls.push(`setTraffic:${perMinute}`);
      },
    };
    return world as unknown as World;
  };
  return { factory, calls, received: () => received };
}

describe('startEmulator world wiring', () => {
  it('splits shell and world settings, registers the world routes, starts, changes traffic and stops the world', async () => {
    const { factory, calls, received } = recordingWorld();
    const emulator = await startEmulator({
      world: factory,
      seed: 42,
      agents: 7,
      queues: 3,
      conversationsPerMinute: 12,
      heartbeatIntervalMs: 1234,
      rateLimitPerMinute: 99,
    });
    try {
      assert.deepEqual(received().settings, { seed: 42, agents: 7, queues: 3, conversationsPerMinute: 12 });
      assert.equal(emulator.settings.heartbeatIntervalMs, 1234);
      assert.equal(emulator.settings.rateLimitPerMinute, 99);
      assert.equal(received().publisher, emulator.hub);
      assert.deepEqual(calls, ['start']);

      const token = await getToken(emulator);
      const queues = await api(emulator, 'GET', '/api/v2/routing/queues', { token });
      assert.equal(queues.status, 200, 'the shell registers the world routes over the given world');
      assert.deepEqual((queues.body as { entities: unknown[] }).entities, []);
      assert.equal(queues.headers.get('inin-ratelimit-allowed'), '99');

      const traffic = await api(emulator, 'POST', '/__emulator/faults', {
        body: { type: 'traffic', conversationsPerMinute: 30 },
      });
      assert.deepEqual(traffic.body, { type: 'traffic', affected: 1 });
      assert.ok(calls.includes('setTraffic:30'));

      // What the world publishes reaches subscribed sockets.
      const channel = await createChannel(emulator, token);
      const topic = 'v2.routing.queues.q1.conversations';
      await subscribe(emulator, token, channel.id, [topic]);
      const probe = await SocketProbe.open(channel.connectUri);
      received().publisher?.publish(topic, { id: 'from-world' });
      const frame = await probe.next((candidate) => candidate.topicName === topic);
      assert.equal(frame.eventBody.id, 'from-world');
      probe.close();
      const status = (await api(emulator, 'GET', '/__emulator/status')).body as ReturnType<
        typeof emulator.status
      >;
      assert.deepEqual(status.world, { activeConversations: 0, errors: 0 });
      assert.equal(status.channels, 1);
      assert.equal(status.subscriptions, 1);
      assert.equal(status.notifications.published, 1);
    } finally {
      await emulator.stop();
    }
    assert.equal(calls.at(-1), 'stop');
  });

  it('runs without a world when told so; the traffic fault then touches nothing', async () => {
    const emulator = await startEmulator({ world: false });
    try {
      assert.equal(emulator.world, undefined);
      assert.equal(emulator.status().world, null);
      const traffic = await api(emulator, 'POST', '/__emulator/faults', {
        body: { type: 'traffic', conversationsPerMinute: 30 },
      });
      assert.deepEqual(traffic.body, { type: 'traffic', affected: 0 });
    } finally {
      await emulator.stop();
    }
  });

  it('refuses settings that cannot work', async () => {
    await assert.rejects(startEmulator({ world: false, heartbeatIntervalMs: 0 }), /heartbeatIntervalMs/);
    await assert.rejects(startEmulator({ world: false, rateLimitPerMinute: -1 }), /rateLimitPerMinute/);
  });
});
