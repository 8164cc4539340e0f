/** Which topics the deriver reads, how, and which it refuses before anything is subscribed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyTopic, refuseUnusableTopics, topicFamily } from '../../src/conversations/index.js';
import { isSwitchboardError } from '../../src/errors.js';

const Q = '5c1f6b3e-2d4a-4e8b-9f07-1a2b3c4d5e61';
const U = '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05';

describe('conversation topics', () => {
  it('reads aggregate topics of queues and users as whole conversations', () => {
    assert.deepEqual(classifyTopic(`v2.routing.queues.${Q}.conversations`), {
      kind: 'aggregate',
      family: 'v2.routing.queues.{id}.conversations',
      subject: { kind: 'queue', id: Q },
    });
    assert.deepEqual(classifyTopic(`V2.Users.${U.toUpperCase()}.Conversations`), {
      kind: 'aggregate',
      family: 'v2.users.{id}.conversations',
      subject: { kind: 'user', id: U },
    });
  });

  it('reads each per-media topic as its media', () => {
    const expected: Record<string, string> = {
      calls: 'voice',
      callbacks: 'callback',
      chats: 'chat',
      emails: 'email',
      messages: 'message',
      videos: 'video',
    };
    for (const [suffix, media] of Object.entries(expected)) {
      for (const prefix of [`v2.routing.queues.${Q}`, `v2.users.${U}`]) {
        const use = classifyTopic(`${prefix}.conversations.${suffix}`);
        assert.equal(use.kind, 'media', suffix);
        assert.equal(use.kind === 'media' && use.media, media);
      }
    }
  });

  it('reads detail events as such, and marks add-on sessions unusable, with the reason', () => {
    const detail = classifyTopic(`v2.detail.events.conversation.${U}.acd.start`);
    assert.deepEqual(detail, {
      kind: 'detail',
      family: 'v2.detail.events.conversation.{id}.acd.start',
      event: 'acd.start',
    });
    for (const suffix of ['screenshares', 'cobrowseSessions', 'socialexpressions']) {
      assert.equal(classifyTopic(`v2.users.${U}.conversations.${suffix}`).kind, 'unusable', suffix);
    }
  });

  it('leaves other topics alone, counted by family', () => {
    assert.deepEqual(classifyTopic(`v2.users.${U}.presence`), {
      kind: 'other',
      family: 'v2.users.{id}.presence',
    });
    assert.equal(
      topicFamily(`v2.analytics.queues.${Q.toUpperCase()}.observations`),
      'v2.analytics.queues.{id}.observations',
    );
  });

  it('refuses unusable topics at once, naming each and why', () => {
    assert.doesNotThrow(() =>
      refuseUnusableTopics([`v2.users.${U}.conversations.calls`, `v2.users.${U}.presence`]),
    );
    assert.throws(
      () =>
        refuseUnusableTopics([
          `v2.routing.queues.${Q}.conversations`,
          `v2.detail.events.conversation.${U}.customer.start`,
          `v2.users.${U}.conversations.screenshares`,
        ]),
      (error: unknown) =>
        isSwitchboardError(error) &&
        error.code === 'config_invalid' &&
        error.message.includes(`v2.detail.events.conversation.${U}.customer.start: detail events`) &&
        error.message.includes(`v2.users.${U}.conversations.screenshares: screen shares`) &&
        !error.message.includes(`v2.routing.queues.${Q}.conversations`) &&
        (error.hint ?? '').includes('per-media'),
    );
  });
});
