import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GapTracker } from '../../src/stream/gap-tracker.js';

describe('GapTracker', () => {
  it('keeps one gap open from the earliest loss to the recovery', () => {
    const tracker = new GapTracker();
    assert.equal(tracker.end(0), undefined);
    tracker.begin(2000, 'disconnected', ['a', 'b'], 'ch-1');
    tracker.begin(1000, 'stale', ['c'], 'ch-2');
    tracker.relabel('channel-lost');
    assert.equal(tracker.isOpen, true);
    assert.deepEqual(tracker.end(3, 5000), {
      start: new Date(1000).toISOString(),
      end: new Date(5000).toISOString(),
      topics: ['a', 'b'],
      reason: 'channel-lost',
      slot: 3,
      channelId: 'ch-1',
    });
    assert.equal(tracker.isOpen, false);
    assert.equal(tracker.end(3), undefined);
  });

  it('copies the topic list, so later changes to it do not rewrite the gap', () => {
    const tracker = new GapTracker();
    const topics = ['a'];
    tracker.begin(0, 'restart', topics, undefined);
    topics.push('b');
    const gap = tracker.end(0, 1);
    assert.deepEqual(gap?.topics, ['a']);
    assert.equal('channelId' in (gap ?? {}), false);
  });
});
