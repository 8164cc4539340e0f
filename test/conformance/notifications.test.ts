/**
 * Conformance of every notification the emulator publishes: the envelope (`topicName`, `version`, `eventBody`,
 * `metadata.CorrelationId`), and each body against the model the platform's definitions give its topic
 * (`notificationMappings.json` of the generated SDK): conversation snapshots of every media, transfers, after-call
 * work, and the system messages (socket closing, no longer subscribed, token revoked).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createChannel, type Frame, SocketProbe, subscribe } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { conformance } from './check.js';
import { topicModel } from './definitions.js';
import { type ConformanceWorld, scriptEveryShape, startConformanceWorld } from './harness.js';

function checkFrame(frame: Frame): string[] {
  if (frame.topicName === 'channel.metadata') {
    // Heartbeats and pongs have no model in the definitions; GENESYS.md §3 gives their exact form.
    const message = (frame.eventBody as { message?: unknown }).message;
    const keys = Object.keys(frame).sort().join(',');
    return (message === 'WebSocket Heartbeat' || message === 'pong') && keys === 'eventBody,topicName'
      ? []
      : [`channel.metadata: unexpected frame ${JSON.stringify(frame)}`];
  }
  const problems: string[] = [];
  const model = topicModel(frame.topicName);
  if (!model) return [`${frame.topicName}: not a topic of the platform's definitions`];
  if (frame.version !== '2')
    problems.push(`${frame.topicName}: version ${String(frame.version)}, expected "2"`);
  if (typeof frame.metadata?.CorrelationId !== 'string')
    problems.push(`${frame.topicName}: metadata.CorrelationId is missing`);
  const extra = Object.keys(frame).filter(
    (k) => !['topicName', 'version', 'eventBody', 'metadata'].includes(k),
  );
  if (extra.length > 0) problems.push(`${frame.topicName}: unexpected envelope keys ${extra.join(', ')}`);
  const shape = frame.topicName.replace(/[0-9a-f-]{36}/g, '{id}');
  for (const problem of conformance(frame.eventBody, model)) problems.push(`${shape} (${model}): ${problem}`);
  return problems;
}

function dedupe(problems: string[]): string[] {
  const seen = new Map<string, number>();
  for (const p of problems) {
    const shape = p.replace(/\[\d+\]/g, '[]').replace(/"[^"]*" is not/, 'X is not');
    seen.set(shape, (seen.get(shape) ?? 0) + 1);
  }
  return [...seen].map(([p, n]) => (n > 1 ? `${p} (×${n})` : p));
}

describe('conformance: notification bodies', () => {
  let w: ConformanceWorld;
  before(async () => {
    w = await startConformanceWorld({ timeScale: 300 });
  });
  after(() => w?.stop());

  test('every conversation snapshot of every shape, on queue and user topics, matches its topic’s model', async () => {
    const org = w.emulator.world!.org;
    const topics = [
      ...org.queues.map((q) => `v2.routing.queues.${q.id}.conversations`),
      ...org.users.map((u) => `v2.users.${u.id}.conversations`),
    ];
    const channel = await createChannel(w.emulator, w.token);
    const subscribed = await subscribe(w.emulator, w.token, channel.id, topics);
    assert.equal(subscribed.status, 200);
    const socket = await SocketProbe.open(channel.connectUri);
    try {
      socket.send({ message: 'ping' });
      await scriptEveryShape(w);
      await waitFor(() => socket.frames.some((f) => f.topicName === 'channel.metadata'), 'a pong');
      const snapshots = socket.frames.filter((f) => f.topicName !== 'channel.metadata');
      assert.ok(snapshots.length > 50, `only ${snapshots.length} snapshots`);
      const media = new Set(
        snapshots.flatMap((f) =>
          ((f.eventBody.participants ?? []) as Record<string, unknown>[]).flatMap((p) =>
            ['calls', 'messages', 'emails', 'callbacks'].filter((k) => k in p),
          ),
        ),
      );
      assert.deepEqual([...media].sort(), ['callbacks', 'calls', 'emails', 'messages']);
      assert.deepEqual(dedupe(socket.frames.flatMap(checkFrame)), []);
    } finally {
      socket.close();
    }
  });

  test('system messages match the system message model', async () => {
    const frames: Frame[] = [];
    const queue = w.emulator.world!.org.queues[0]!.id;
    const open = async () => {
      const channel = await createChannel(w.emulator, w.token);
      await subscribe(w.emulator, w.token, channel.id, [`v2.routing.queues.${queue}.conversations`]);
      return { channel, socket: await SocketProbe.open(channel.connectUri) };
    };
    const closing = await open();
    w.emulator.faults.socketClosing(50, { channelId: closing.channel.id });
    frames.push(await closing.socket.next((f) => f.topicName === 'v2.system.socket_closing'));
    closing.socket.close();

    const dropped = await open();
    w.emulator.faults.noLongerSubscribed({ channelId: dropped.channel.id });
    frames.push(await dropped.socket.next((f) => f.topicName.startsWith('v2.system.no_longer_subscribed.')));
    dropped.socket.close();

    const revoked = await open();
    w.emulator.faults.revokeTokens({});
    frames.push(await revoked.socket.next((f) => f.topicName.startsWith('v2.system.token_revoked.')));
    revoked.socket.close();

    assert.deepEqual(frames.flatMap(checkFrame), []);
  });
});
