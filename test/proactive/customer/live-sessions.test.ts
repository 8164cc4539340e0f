import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventId, type LifecycleEvent } from '../../../src/events.js';
import { eventMatches, LiveSessionTracker } from '../../../src/proactive/index.js';

const at = '2025-01-15T12:00:00.000Z';
function started(
  conversationId: string,
  contactId: string | undefined,
  messageType = 'webmessaging',
): LifecycleEvent {
  return {
    id: eventId(conversationId, 'conversation.started'),
    type: 'conversation.started',
    conversationId,
    occurredAt: at,
    observedAt: at,
    mediaType: 'message',
    messageType,
    source: { kind: 'replay' },
    direction: 'inbound',
    customer: {
      participantId: `${conversationId}-c`,
      purpose: 'customer',
      ...(contactId ? { externalContactId: contactId } : {}),
    },
  };
}
function ended(conversationId: string): LifecycleEvent {
  return {
    id: eventId(conversationId, 'conversation.ended'),
    type: 'conversation.ended',
    conversationId,
    occurredAt: at,
    observedAt: at,
    mediaType: 'message',
    messageType: 'webmessaging',
    source: { kind: 'replay' },
  };
}

describe('live web messaging sessions', () => {
  it('knows who is in an active web messaging conversation until it ends', () => {
    const tracker = new LiveSessionTracker();
    const now = Date.parse(at) + 1000;
    tracker.observe(started('c1', 'ana'));
    tracker.observe(started('c2', 'ben', 'sms'));
    tracker.observe(started('c3', undefined));
    assert.equal(tracker.activeWebMessaging('ana', now), 'c1');
    assert.equal(tracker.activeWebMessaging('ben', now), undefined, 'SMS is not web messaging');
    assert.deepEqual(tracker.customerOf('c2'), { known: true, contactId: 'ben' });
    assert.deepEqual(tracker.customerOf('c3'), { known: true });
    assert.deepEqual(tracker.customerOf('nope'), { known: false });
    tracker.observe(ended('c1'));
    assert.equal(tracker.activeWebMessaging('ana', now), undefined);
    assert.deepEqual(
      tracker.customerOf('c1'),
      { known: true, contactId: 'ana' },
      'identity outlives the session',
    );
    assert.equal(tracker.activeWebMessaging('ana', now + 2 * 86_400_000), undefined);
  });

  it('forgets the oldest conversations beyond its bound', () => {
    const tracker = new LiveSessionTracker({ maxConversations: 2 });
    tracker.observe(started('c1', 'ana'));
    tracker.observe(started('c2', 'ben'));
    tracker.observe(started('c3', 'cy'));
    assert.equal(tracker.size, 2);
    assert.deepEqual(tracker.customerOf('c1'), { known: false });
    assert.equal(tracker.activeWebMessaging('ana', Date.parse(at)), undefined);
  });

  it('matches events against trigger filters', () => {
    const event = started('c1', 'ana');
    assert.equal(
      eventMatches({ kind: 'event', event: 'conversation.started', messageType: ['WebMessaging'] }, event),
      true,
    );
    assert.equal(
      eventMatches({ kind: 'event', event: 'conversation.started', messageType: ['sms'] }, event),
      false,
    );
    assert.equal(eventMatches({ kind: 'event', event: 'conversation.ended' }, event), false);
    const wrapup: LifecycleEvent = {
      ...ended('c1'),
      id: 'w',
      type: 'conversation.wrapup',
      participant: { participantId: 'a', purpose: 'agent', queueId: 'q1' },
      code: 'code-1',
      codeName: 'Resolved',
      afterCallWork: 'complete',
    };
    const trigger = { kind: 'event' as const, event: 'conversation.wrapup' as const };
    assert.equal(eventMatches({ ...trigger, wrapupCode: ['resolved'] }, wrapup), true);
    assert.equal(eventMatches({ ...trigger, wrapupCode: ['code-1'], queueId: ['q1'] }, wrapup), true);
    assert.equal(eventMatches({ ...trigger, wrapupCode: ['Escalated'] }, wrapup), false);
    assert.equal(eventMatches({ ...trigger, queueId: ['q2'] }, wrapup), false);
  });
});
