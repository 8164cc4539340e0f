/**
 * The emulator publishes the per-media topics (`v2.routing.queues.{id}.conversations.{media}`,
 * `v2.users.{id}.conversations.{media}`) beside the aggregate ones, to the channels subscribed, in the platform's
 * flattened shape: every body conforms to the model the platform's definitions give its topic, every participant
 * carries its leg's state, none a media array, `startTime` or `afterCallWork`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { createWorld, ManualClock } from '../../src/emulator/world/index.js';
import { conformance } from '../conformance/check.js';
import { topicModel } from '../conformance/definitions.js';
import { type ConformanceWorld, scriptEveryShape, startConformanceWorld } from '../conformance/harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { createChannel, type Frame, SocketProbe, subscribe } from './helpers.js';

const MEDIA = ['calls', 'callbacks', 'emails', 'messages'];

function problemsOf(frame: Frame): string[] {
  const model = topicModel(frame.topicName);
  if (!model) return [`${frame.topicName}: not a topic of the platform's definitions`];
  const shape = frame.topicName.replace(/[0-9a-f-]{36}/g, '{id}');
  return conformance(frame.eventBody, model).map((problem) => `${shape} (${model}): ${problem}`);
}

describe('emulator: per-media topics over the socket', () => {
  let w: ConformanceWorld;
  before(async () => {
    w = await startConformanceWorld({ timeScale: 300 });
  });
  after(() => w?.stop());

  test('every per-media body of every shape matches its topic’s model and is flattened', async () => {
    const org = w.emulator.world!.org;
    const topics = [
      ...org.queues.map((q) => `v2.routing.queues.${q.id}.conversations`),
      ...org.users.map((u) => `v2.users.${u.id}.conversations`),
    ].flatMap((prefix) => MEDIA.map((media) => `${prefix}.${media}`));
    const channel = await createChannel(w.emulator, w.token);
    const subscribed = await subscribe(w.emulator, w.token, channel.id, topics);
    assert.equal(subscribed.status, 200);
    const socket = await SocketProbe.open(channel.connectUri);
    try {
      await scriptEveryShape(w);
      await waitFor(
        () => socket.frames.some((f) => f.topicName.endsWith('.callbacks')),
        'the callback conversation’s frames',
      );
      const frames = socket.frames.filter((f) => f.topicName !== 'channel.metadata');
      assert.ok(frames.length > 50, `only ${frames.length} frames`);
      assert.deepEqual(
        [...new Set(frames.map((f) => f.topicName.split('.').at(-1)))].sort(),
        [...MEDIA].sort(),
        'nothing but the subscribed per-media topics, of every media',
      );
      const problems = new Set(frames.flatMap(problemsOf));
      assert.deepEqual([...problems], []);
      for (const f of frames) {
        for (const p of (f.eventBody.participants ?? []) as Record<string, unknown>[]) {
          assert.equal(typeof p.state, 'string', `${f.topicName}: the leg's state on the participant`);
          for (const key of [
            'calls',
            'callbacks',
            'emails',
            'startTime',
            'afterCallWork',
            'userId',
            'queueId',
          ])
            assert.ok(!(key in p), `${f.topicName}: no ${key} on a flattened participant`);
        }
      }
      // After-call work shows as the participant's own times, and skipped work as wrapupSkipped.
      const participants = frames.flatMap(
        (f) => (f.eventBody.participants ?? []) as Record<string, unknown>[],
      );
      assert.ok(participants.some((p) => typeof p.endAcwTime === 'string'));
      assert.ok(participants.some((p) => p.wrapupSkipped === true));
    } finally {
      socket.close();
    }
  });
});

describe('world: per-media topics only when subscribed', () => {
  it('renders and publishes the per-media view for the subscribed topics alone', () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 0, 0));
    const published: string[] = [];
    let wanted = '';
    const world = createWorld(
      { seed: 3, agents: 6, queues: 2, contacts: 10, historyDays: 0, conversationsPerMinute: 0 },
      { publish: (topic) => published.push(topic), subscribed: (topic) => topic === wanted },
      clock,
    );
    const queue = world.org.queues[0]!.id;
    wanted = `v2.routing.queues.${queue}.conversations.calls`;
    world.startScriptedConversation({ kind: 'voice', queueId: queue, transfer: 'none' });
    world.startScriptedConversation({ kind: 'email', queueId: queue, transfer: 'none' });
    clock.advance(60 * 60_000);
    world.stop();
    const perMedia = published.filter((topic) => /\.conversations\.[a-z]+$/i.test(topic));
    assert.ok(perMedia.length > 3, 'the call went to the subscribed per-media topic');
    assert.deepEqual([...new Set(perMedia)], [wanted]);
    assert.ok(published.includes(`v2.routing.queues.${queue}.conversations`), 'aggregate topics as before');
  });

  it('publishes no per-media topic to a publisher that cannot say what is subscribed', () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 0, 0));
    const published: string[] = [];
    const world = createWorld(
      { seed: 3, agents: 6, queues: 2, contacts: 10, historyDays: 0, conversationsPerMinute: 0 },
      { publish: (topic) => published.push(topic) },
      clock,
    );
    world.startScriptedConversation({ kind: 'voice', transfer: 'none' });
    clock.advance(60 * 60_000);
    world.stop();
    assert.ok(published.length > 0);
    assert.ok(published.every((topic) => topic.endsWith('.conversations')));
  });
});
