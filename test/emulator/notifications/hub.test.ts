import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.js';
import { api, createChannel, type Frame, getToken, SocketProbe } from '../helpers.js';

describe('NotificationHub delivery', () => {
  it('delivers thousands of snapshots in publish order to every subscriber, quickly', async () => {
    const emulator = await startEmulator({ world: false });
    const probes: SocketProbe[] = [];
    try {
      const token = await getToken(emulator);
      const topics = Array.from({ length: 100 }, (_, i) => `v2.routing.queues.q${i}.conversations`);
      for (let c = 0; c < 2; c++) {
        const channel = await createChannel(emulator, token);
        await api(emulator, 'PUT', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
          token,
          body: topics.map((id) => ({ id })),
        });
        probes.push(await SocketProbe.open(channel.connectUri));
      }
      const count = 5000;
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        emulator.hub.publish(topics[i % topics.length]!, {
          id: `conversation-${i}`,
          sequence: i,
          participants: [],
        });
      }
      const isEvent = (frame: Frame) => frame.topicName !== 'channel.metadata';
      for (const probe of probes) await probe.next((frame) => frame.eventBody.sequence === count - 1, 10_000);
      const elapsed = performance.now() - started;
      for (const probe of probes) {
        const sequence = probe.frames.filter(isEvent).map((frame) => frame.eventBody.sequence);
        assert.equal(sequence.length, count);
        assert.ok(
          sequence.every((value, index) => value === index),
          'publish order kept',
        );
      }
      assert.equal(emulator.hub.counters.published, count);
      assert.ok(elapsed < 8000, `took ${Math.round(elapsed)} ms`);
    } finally {
      for (const probe of probes) probe.close();
      await emulator.stop();
    }
  });

  it('does no work for topics nobody subscribed to and serialises once for many', async () => {
    const emulator = await startEmulator({ world: false });
    try {
      let serialised = 0;
      const body = {
        toJSON() {
          serialised++;
          return {};
        },
      };
      emulator.hub.publish('v2.routing.queues.nobody.conversations', body);
      assert.equal(serialised, 0);
      assert.equal(emulator.hub.counters.framesSent, 0);

      // With three subscribers, the body is still serialised once.
      const token = await getToken(emulator);
      const probes: SocketProbe[] = [];
      for (let i = 0; i < 3; i++) {
        const channel = await createChannel(emulator, token);
        await api(emulator, 'POST', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
          token,
          body: [{ id: 'v2.routing.queues.shared.conversations' }],
        });
        probes.push(await SocketProbe.open(channel.connectUri));
      }
      emulator.hub.publish('v2.routing.queues.shared.conversations', body);
      for (const probe of probes)
        await probe.next((frame) => frame.topicName.endsWith('shared.conversations'));
      assert.equal(serialised, 1);
      for (const probe of probes) probe.close();
    } finally {
      await emulator.stop();
    }
  });

  it('publishes with the CorrelationId it is given, and says how many sockets the frame reached', async () => {
    const emulator = await startEmulator({ world: false });
    const probes: SocketProbe[] = [];
    try {
      const topic = 'v2.routing.queues.counted.conversations';
      assert.equal(emulator.hub.publish(topic, { id: 'nobody' }), 0, 'no subscriber');
      const token = await getToken(emulator);
      const channels = [];
      for (let i = 0; i < 3; i++) {
        const channel = await createChannel(emulator, token);
        await api(emulator, 'PUT', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
          token,
          body: [{ id: topic }],
        });
        channels.push(channel);
      }
      assert.equal(emulator.hub.publish(topic, { id: 'no-socket' }), 0, 'subscribed, but no socket open');
      for (const channel of channels.slice(0, 2)) probes.push(await SocketProbe.open(channel.connectUri));
      assert.equal(emulator.hub.publish(topic, { id: 'given' }, 'corr-given'), 2, 'the two open sockets');
      for (const probe of probes) {
        const frame = await probe.next((f) => f.eventBody.id === 'given');
        assert.equal(frame.metadata?.CorrelationId, 'corr-given');
      }
      assert.equal(emulator.hub.publish(topic, { id: 'own' }), 2);
      const own = await probes[0]!.next((f) => f.eventBody.id === 'own');
      assert.match(
        own.metadata?.CorrelationId ?? '',
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );

      // A silenced socket is not written to: it does not count.
      assert.equal(emulator.faults.stopHeartbeats(60, { channelId: channels[0]!.id }), 1);
      assert.equal(emulator.hub.publish(topic, { id: 'silenced' }), 1, 'only the socket that still speaks');
    } finally {
      for (const probe of probes) probe.close();
      await emulator.stop();
    }
  });
});
