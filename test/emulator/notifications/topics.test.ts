import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandTopic, findFamily, judgeTopic } from '../../../src/emulator/notifications/topics.js';

const ALL = { permissions: new Set(['*']) };
const NONE = { permissions: new Set<string>() };

describe('notification topics', () => {
  it('recognises queue, user, per-media and detail-event topics case-insensitively', () => {
    for (const topic of [
      'v2.routing.queues.q1.conversations',
      'V2.Routing.Queues.Q1.Conversations.Calls',
      'v2.users.u1.conversations.messages',
      'v2.detail.events.conversation.c1.acd.end',
      'v2.users.u1.presence',
    ]) {
      assert.ok(findFamily(topic), topic);
    }
    for (const topic of [
      'v2.routing.queues.conversations',
      'v2.routing.queues.q1.conversations.faxes',
      'v2.routing.queues.q1.conversations.',
      'v2.routing.queues.{id}.conversations.extra',
      'v2.conversations.webchat',
    ]) {
      assert.equal(findFamily(topic), undefined, topic);
    }
    assert.equal(findFamily('v2.users.abc.conversations')?.id, 'abc');
  });

  it('expands the combined form', () => {
    assert.deepEqual(expandTopic('v2.users.u1?presence&routingStatus'), [
      'v2.users.u1.presence',
      'v2.users.u1.routingStatus',
    ]);
    assert.deepEqual(expandTopic('v2.users.u1.presence'), ['v2.users.u1.presence']);
  });

  it('rejects reserved topics and names over the limit; checks permissions; lets a user read their own topics', () => {
    assert.equal(judgeTopic('channel.metadata', ALL, 200).rejection?.kind, 'invalid');
    assert.equal(judgeTopic('v2.system.token_revoked.x', ALL, 200).rejection?.kind, 'invalid');
    assert.equal(
      judgeTopic(`v2.routing.queues.${'q'.repeat(190)}.conversations`, ALL, 200).rejection?.kind,
      'invalid',
    );
    const denied = judgeTopic('v2.users.u1.conversations', NONE, 200).rejection;
    assert.deepEqual(denied, {
      kind: 'permission',
      reason: 'Missing permissions',
      missingPermissions: ['conversation:communication:view'],
    });
    assert.equal(
      judgeTopic('v2.users.u1.conversations', { ...NONE, userId: 'u1' }, 200).rejection,
      undefined,
    );
    assert.equal(
      judgeTopic('v2.users.u2.conversations', { ...NONE, userId: 'u1' }, 200).rejection?.kind,
      'permission',
    );
    assert.equal(judgeTopic('v2.routing.queues.q1.conversations', ALL, 200).rejection, undefined);
  });
});
