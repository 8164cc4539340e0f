import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { placeShards, rendezvousOwner } from '../../src/cluster/rendezvous.js';
import { shardIds, shardOfTopic, splitTopics } from '../../src/cluster/shards.js';
import { ConfigError } from '../../src/errors.js';

describe('rendezvous placement', () => {
  it('spreads shards over members and moves only the shards a leaving member held', () => {
    const shards = shardIds(60);
    const three = placeShards(shards, ['a', 'b', 'c']);
    const counts = new Map<string, number>();
    for (const owner of three.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    assert.equal(counts.size, 3, 'every member gets shards');
    for (const [member, count] of counts) assert.ok(count >= 10, `${member} holds ${count} of 60`);

    const two = placeShards(shards, ['a', 'c']);
    for (const shard of shards) {
      if (three.get(shard) !== 'b') assert.equal(two.get(shard), three.get(shard), `shard ${shard} stayed`);
      else assert.notEqual(two.get(shard), 'b', `shard ${shard} left b`);
    }
  });

  it('is the same whatever order the members are listed in', () => {
    for (const shard of shardIds(20)) {
      assert.equal(rendezvousOwner(shard, ['x', 'y', 'z']), rendezvousOwner(shard, ['z', 'x', 'y']));
    }
    assert.equal(rendezvousOwner('0', []), undefined);
  });
});

describe('topic shards', () => {
  it('puts a topic in the same shard whatever its case, and splits deterministically', () => {
    assert.equal(
      shardOfTopic('v2.routing.queues.ABC.conversations', 8),
      shardOfTopic('v2.routing.queues.abc.conversations', 8),
    );
    const topics = Array.from({ length: 500 }, (_, i) => `v2.routing.queues.q${i}.conversations`);
    const first = splitTopics(topics, 4);
    const second = splitTopics([...topics].reverse(), 4);
    assert.deepEqual(first, second);
    assert.equal(
      [...first.values()].reduce((n, list) => n + list.length, 0),
      500,
    );
  });

  it('refuses a split that would put more than 1,000 topics on one channel', () => {
    const topics = Array.from({ length: 2500 }, (_, i) => `v2.users.u${i}.conversations`);
    assert.throws(() => splitTopics(topics, 2), ConfigError);
    assert.doesNotThrow(() => splitTopics(topics, 4));
  });
});
