import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ConversationEndedEvent, eventId, type LifecycleEvent } from '../src/events.js';
import { FanOut } from '../src/fan-out.js';

function ended(conversationId: string): ConversationEndedEvent {
  return {
    id: eventId(conversationId, 'conversation.ended'),
    type: 'conversation.ended',
    conversationId,
    occurredAt: '2026-11-23T10:00:00.000Z',
    observedAt: '2026-11-23T10:00:00.100Z',
    mediaType: 'voice',
    source: { kind: 'replay' },
  };
}

describe('FanOut', () => {
  it('delivers by type and to every-event listeners, and stops after removal', () => {
    const hub = new FanOut<LifecycleEvent>();
    const seen: string[] = [];
    const off = hub.on('conversation.ended', (event) => {
      seen.push(`ended:${event.conversationId}`);
    });
    hub.on('conversation.started', () => {
      seen.push('started');
    });
    hub.onAny((event) => {
      seen.push(`any:${event.type}`);
    });
    hub.emit(ended('c1'));
    off();
    hub.emit(ended('c2'));
    assert.deepEqual(seen, ['ended:c1', 'any:conversation.ended', 'any:conversation.ended']);
  });

  it('isolates a throwing listener and reports it', async () => {
    const errors: unknown[] = [];
    const hub = new FanOut<LifecycleEvent>({ onListenerError: (error) => errors.push(error) });
    let delivered = 0;
    hub.onAny(() => {
      throw new Error('boom');
    });
    hub.onAny(async () => {
      throw new Error('async boom');
    });
    hub.onAny(() => {
      delivered++;
    });
    hub.emit(ended('c1'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(delivered, 1);
    assert.equal(errors.length, 2);
  });

  it('iterates events in order and ends on close', async () => {
    const hub = new FanOut<LifecycleEvent>();
    const received: LifecycleEvent[] = [];
    const consumer = (async () => {
      for await (const event of hub) received.push(event);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    hub.emit(ended('c1'));
    hub.emit(ended('c2'));
    hub.close();
    await consumer;
    assert.deepEqual(
      received.map((event) => event.conversationId),
      ['c1', 'c2'],
    );
  });

  it('drops the oldest events of a consumer that falls behind, and counts them', async () => {
    const hub = new FanOut<LifecycleEvent>({ iteratorBuffer: 2 });
    const iterator = hub[Symbol.asyncIterator]();
    for (const id of ['c1', 'c2', 'c3']) hub.emit(ended(id));
    assert.equal(hub.droppedByIterators, 1);
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal((first.value as LifecycleEvent).conversationId, 'c2');
  });
});

describe('FanOut iterators that fall behind', () => {
  it('count what they dropped for good, also once the iterator has ended, and report each drop', async () => {
    const reported: Array<[string, number]> = [];
    const hub = new FanOut<LifecycleEvent>({
      iteratorBuffer: 2,
      onIteratorDrop: (event, total) => reported.push([event.conversationId, total]),
    });
    const iterator = hub[Symbol.asyncIterator]();
    for (const id of ['c1', 'c2', 'c3', 'c4']) hub.emit(ended(id));
    assert.deepEqual(reported, [
      ['c1', 1],
      ['c2', 2],
    ]);
    await iterator.return?.();
    assert.equal(hub.droppedByIterators, 2, 'an ended iterator still counts in the total');
    const second = hub[Symbol.asyncIterator]();
    for (const id of ['c5', 'c6', 'c7']) hub.emit(ended(id));
    assert.equal(hub.droppedByIterators, 3);
    await second.return?.();
  });
});
