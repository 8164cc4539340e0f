import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFact, GroundTruthLog } from '../../../src/emulator/world/ground-truth.js';
import { newConversation } from '../../../src/emulator/world/model.js';
import { ConversationStore } from '../../../src/emulator/world/store.js';

function conversation(id: string, start: number, ended: boolean) {
  const c = newConversation(id, 'sms', 'live', 'division');
  c.startTime = start;
  if (ended) c.endTime = start + 10;
  return c;
}

describe('ConversationStore', () => {
  it('answers start-time ranges in order, whatever the insertion order', () => {
    const store = new ConversationStore();
    for (const [id, start] of [
      ['c', 300],
      ['a', 100],
      ['b', 200],
      ['d', 400],
    ] as const)
      store.add(conversation(id, start, true));
    assert.deepEqual(
      store.startedBetween(100, 400).map((c) => c.id),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      store.startedBetween(150, 401).map((c) => c.id),
      ['b', 'c', 'd'],
    );
    assert.equal(store.get('A'.toLowerCase())?.id, 'a');
  });

  it('forgets the oldest ended conversations beyond its capacity, never one in progress', () => {
    const store = new ConversationStore(10);
    store.add(conversation('ongoing', 0, false));
    for (let i = 1; i <= 30; i++) store.add(conversation(`c${i}`, i * 10, true));
    assert.ok(store.size <= 11);
    assert.ok(store.get('ongoing'), 'a conversation in progress is kept');
    assert.ok(store.get('c30'), 'the newest are kept');
    assert.equal(store.get('c1'), undefined);
  });
});

describe('GroundTruthLog', () => {
  it('lists facts in time order even when a burst adds past ones, and caps its size', () => {
    const log = new GroundTruthLog(5);
    const c = conversation('x', 0, false);
    for (const t of [1000, 2000, 3000]) log.add(buildFact(c, 'conversation.started', t));
    log.add(buildFact(c, 'conversation.ended', 500));
    assert.deepEqual(
      log.list().map((f) => Date.parse(f.occurredAt)),
      [500, 1000, 2000, 3000],
    );
    assert.deepEqual(
      log.list(1000, 2000).map((f) => Date.parse(f.occurredAt)),
      [1000, 2000],
    );
    for (let t = 4000; t < 10_000; t += 1000) log.add(buildFact(c, 'conversation.started', t));
    assert.ok(log.size <= 6);
    assert.equal(Date.parse(log.list().at(-1)!.occurredAt), 9000);
  });
});
