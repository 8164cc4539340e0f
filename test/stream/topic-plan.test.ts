import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { TopicPlan } from '../../src/stream/topic-plan.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';

const queues = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => queueTopic(`q${from + i}`));

function slotOf(plan: TopicPlan): Map<string, number> {
  const where = new Map<string, number>();
  for (const channel of plan.channels()) for (const topic of channel.topics) where.set(topic, channel.slot);
  return where;
}

describe('TopicPlan', () => {
  it('packs topics onto as few channels as the per-channel limit allows', () => {
    const plan = new TopicPlan({ topicsPerChannel: 1000 });
    const change = plan.assign(queues(0, 2500));
    assert.deepEqual(
      change.channels.map((c) => c.topics.length),
      [1000, 1000, 500],
    );
    assert.deepEqual(change.createdSlots, [0, 1, 2]);
    assert.equal(new Set(plan.topics()).size, 2500);
  });

  it('honours a lower per-channel limit', () => {
    const plan = new TopicPlan({ topicsPerChannel: 3 });
    plan.assign(queues(0, 7));
    assert.deepEqual(
      plan.channels().map((c) => c.topics.length),
      [3, 3, 1],
    );
  });

  it('lower-cases and de-duplicates topics and refuses unsubscribable ones', () => {
    const plan = new TopicPlan();
    const change = plan.assign([
      'v2.routing.queues.ABC.conversations',
      'v2.routing.queues.abc.conversations',
      'channel.metadata',
      'v2.system.socket_closing',
      `v2.users.${'x'.repeat(200)}.conversations`,
    ]);
    assert.deepEqual(plan.topics(), ['v2.routing.queues.abc.conversations']);
    assert.deepEqual(
      change.invalid.map((i) => i.topic),
      ['channel.metadata', 'v2.system.socket_closing', `v2.users.${'x'.repeat(200)}.conversations`],
    );
  });

  it('keeps every existing assignment when topics are added', () => {
    const plan = new TopicPlan({ topicsPerChannel: 10 });
    plan.assign(queues(0, 25));
    const before = slotOf(plan);
    const change = plan.assign([...queues(0, 25), ...queues(100, 8)]);
    const after = slotOf(plan);
    for (const [topic, slot] of before) assert.equal(after.get(topic), slot, topic);
    // The 5 free places of slot 2 fill first, then one new channel takes the rest.
    assert.deepEqual(change.changedSlots, [2]);
    assert.deepEqual(change.createdSlots, [3]);
    assert.deepEqual(
      plan.channels().map((c) => c.topics.length),
      [10, 10, 10, 3],
    );
    assert.equal(change.addedTopics.length, 8);
  });

  it('leaves untouched channels alone when topics are removed, and drops emptied channels', () => {
    const plan = new TopicPlan({ topicsPerChannel: 10 });
    plan.assign(queues(0, 30));
    const change = plan.assign([...queues(0, 10), ...queues(25, 5)]);
    assert.deepEqual(change.removedSlots, [1]);
    assert.deepEqual(change.changedSlots, [2]);
    assert.deepEqual(change.createdSlots, []);
    assert.equal(change.removedTopics.length, 15);
    assert.deepEqual(
      plan.channels().map((c) => [c.slot, c.topics.length]),
      [
        [0, 10],
        [2, 5],
      ],
    );
    // A freed slot number is reused for the next channel that is needed.
    plan.assign([...queues(0, 10), ...queues(25, 5), ...queues(200, 10)]);
    assert.deepEqual(
      plan.channels().map((c) => [c.slot, c.topics.length]),
      [
        [0, 10],
        [1, 5],
        [2, 10],
      ],
    );
  });

  it('compacts fragmented channels when they would exceed the budget', () => {
    const plan = new TopicPlan({ topicsPerChannel: 10, channelBudget: 4, reservedChannels: 1 });
    plan.assign(queues(0, 30));
    // Removing half of every channel and adding 10 new topics fits 3 channels only by compacting.
    const kept = [...queues(0, 5), ...queues(10, 5), ...queues(20, 5)];
    plan.assign([...kept, ...queues(500, 10)]);
    assert.ok(plan.channels().length <= 3, 'plan.channels().length <= 3');
    assert.equal(plan.topics().length, 25);
    assert.ok(
      plan.channels().every((c) => c.topics.length <= 10),
      'plan.channels().every((c) => c.topics.length <= 10)',
    );
  });

  it('refuses a topic set that does not fit the budget, saying what to do, and changes nothing', () => {
    const plan = new TopicPlan({ topicsPerChannel: 100, channelBudget: 5, reservedChannels: 1 });
    plan.assign(queues(0, 50));
    assert.throws(
      () => plan.assign(queues(0, 401)),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, 'error instanceof ConfigError');
        assert.match(error.message, /401 topics need 5 channels of 100 topics/);
        assert.match(error.message, /only 4 channels are usable \(budget 5, 1 kept free/);
        assert.match(error.hint ?? '', /--queues\/--users/);
        assert.match(error.hint ?? '', /shard/);
        return true;
      },
    );
    assert.equal(plan.topics().length, 50);
    assert.doesNotThrow(() => plan.assign(queues(0, 400)));
  });

  it('with the platform defaults, holds 19,000 topics and refuses 19,001', () => {
    const plan = new TopicPlan();
    assert.equal(plan.channelBudget, 20);
    assert.equal(plan.usableChannels, 19);
    assert.throws(() => plan.assign(queues(0, 19_001)), ConfigError);
    plan.assign(queues(0, 19_000));
    assert.equal(plan.channels().length, 19);
  });

  it('rejects settings beyond what the platform allows', () => {
    assert.throws(() => new TopicPlan({ topicsPerChannel: 1001 }), ConfigError);
    assert.throws(() => new TopicPlan({ topicsPerChannel: 0 }), ConfigError);
    assert.throws(() => new TopicPlan({ channelBudget: 21 }), ConfigError);
    assert.throws(() => new TopicPlan({ channelBudget: 2, reservedChannels: 2 }), ConfigError);
  });

  it('takes any topic set from outside, such as a shard of users', () => {
    const shard = Array.from({ length: 30 }, (_, i) => userTopic(`u${i}`)).filter((_, i) => i % 3 === 0);
    const plan = new TopicPlan({ topicsPerChannel: 4 });
    plan.assign(shard);
    assert.deepEqual(plan.topics().sort(), [...shard].sort());
    assert.equal(plan.channels().length, 3);
  });
});
