import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventId } from '../src/events.js';

describe('eventId', () => {
  it('is the same for the same fact, whatever the case of the ids', () => {
    const a = eventId('8D6B1C3E-0000-4000-8000-000000000001', 'participant.joined', 'ABC');
    const b = eventId('8d6b1c3e-0000-4000-8000-000000000001', 'participant.joined', 'abc');
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('differs by type and by subject', () => {
    const ids = new Set([
      eventId('c1', 'conversation.started'),
      eventId('c1', 'conversation.ended'),
      eventId('c1', 'participant.joined', 'p1'),
      eventId('c1', 'participant.joined', 'p2'),
      eventId('c2', 'participant.joined', 'p1'),
    ]);
    assert.equal(ids.size, 5);
  });
});
