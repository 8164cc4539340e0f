import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LifecycleDeriver } from '../../src/conversations/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { assertUniqueIds, type Frame, feed, loadFrames, type Run, shuffled, summary } from './helpers.js';

const FIXTURES = [
  'voice-inbound-basic',
  'voice-offers-rejected',
  'voice-blind-transfers',
  'voice-consult-transfer',
  'message-parked-resumed',
  'email-inbound',
  'callback-outbound',
];

/** What must not depend on arrival order: each fact, its time, where transfers went, and the lookups. */
function facts(run: Run): string[] {
  const events = run.events.map((e: LifecycleEvent) => {
    const detail = e.type === 'conversation.transferred' ? ` ${JSON.stringify(e.to)} ${e.transferType}` : '';
    return `${summary([e])[0]!.join(' ')}${detail}`;
  });
  const lookups = run.lookups.map((l) => `lookup ${l.conversationId} ${l.participantId}`);
  return [...events.sort(), ...lookups.sort()];
}

describe('arrival order does not change what is emitted', () => {
  for (const name of FIXTURES) {
    const frames = loadFrames(name);
    const expected = facts(feed(new LifecycleDeriver(), frames));

    it(`${name}: every snapshot delivered twice (two topics, two channels)`, () => {
      const doubled: Frame[] = frames.flatMap((f) => [f, f]);
      const run = feed(new LifecycleDeriver(), doubled);
      assert.deepEqual(facts(run), expected);
      assertUniqueIds(run.events);
    });

    it(`${name}: snapshots out of order (40 seeded shuffles)`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const run = feed(new LifecycleDeriver(), shuffled(frames, seed));
        assert.deepEqual(facts(run), expected, `shuffle seed ${seed}`);
        assertUniqueIds(run.events);
      }
    });

    it(`${name}: the listener joins mid-way (from every frame on)`, () => {
      for (let from = 1; from < frames.length; from++) {
        const run = feed(new LifecycleDeriver(), frames.slice(from));
        assert.deepEqual(facts(run), expected, `first frame seen: ${from}`);
      }
    });
  }

  it('a late, older snapshot after the end changes nothing', () => {
    const frames = loadFrames('voice-consult-transfer');
    const deriver = new LifecycleDeriver();
    feed(deriver, frames);
    const again = feed(deriver, [frames[4]!, frames[0]!, frames[10]!]);
    assert.deepEqual(again.events, []);
    assert.deepEqual(again.lookups, []);
  });
});
