import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFrame } from '../../src/stream/frames.js';

const conversation = { id: '6f1c0a53-1b4e-4d3a-9f0b-2a6f8d2c1e11', participants: [] };

describe('parseFrame', () => {
  it('reads a conversation notification with its correlation id', () => {
    const frame = parseFrame(
      JSON.stringify({
        topicName: 'v2.routing.queues.Q1.conversations',
        version: '2',
        eventBody: conversation,
        metadata: { CorrelationId: 'c-1' },
      }),
    );
    assert.equal(frame.kind, 'notification');
    if (frame.kind !== 'notification') return;
    assert.equal(frame.topicName, 'v2.routing.queues.Q1.conversations');
    assert.equal(frame.topic, 'v2.routing.queues.q1.conversations');
    assert.equal(frame.version, '2');
    assert.deepEqual(frame.eventBody, conversation);
    assert.equal(frame.correlationId, 'c-1');
  });

  it('tolerates a notification without metadata or version', () => {
    const frame = parseFrame(
      JSON.stringify({ topicName: 'v2.users.u1.conversations', eventBody: conversation }),
    );
    assert.equal(frame.kind, 'notification');
    if (frame.kind !== 'notification') return;
    assert.equal(frame.correlationId, undefined);
    assert.equal(frame.version, undefined);
  });

  it('recognises the heartbeat and the pong, whatever the case of the topic', () => {
    assert.deepEqual(
      parseFrame('{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}'),
      { kind: 'heartbeat', message: 'WebSocket Heartbeat' },
    );
    assert.deepEqual(parseFrame('{"topicName":"Channel.Metadata","eventBody":{"message":"pong"}}'), {
      kind: 'pong',
    });
  });

  it('sorts the system messages and finds their channel id', () => {
    const closing = parseFrame(
      JSON.stringify({
        topicName: 'v2.system.socket_closing',
        eventBody: {
          channelId: 'ch-1',
          systemTopicType: 'socket_closing',
          reason: 'maintenance',
          message: 'bye',
        },
      }),
    );
    assert.equal(closing.kind, 'system');
    if (closing.kind !== 'system') return;
    assert.equal(closing.type, 'socket_closing');
    assert.equal(closing.channelId, 'ch-1');
    assert.equal(closing.reason, 'maintenance');

    const unsubscribed = parseFrame(
      JSON.stringify({ topicName: 'v2.system.no_longer_subscribed.Ch-2', eventBody: { message: 'gone' } }),
    );
    assert.ok(unsubscribed.kind === 'system', "unsubscribed.kind === 'system'");
    assert.equal(unsubscribed.type, 'no_longer_subscribed');
    assert.equal(unsubscribed.channelId, 'Ch-2');

    const revoked = parseFrame(JSON.stringify({ topicName: 'V2.System.Token_Revoked.ch-3', eventBody: {} }));
    assert.ok(revoked.kind === 'system', "revoked.kind === 'system'");
    assert.equal(revoked.type, 'token_revoked');
    assert.equal(revoked.channelId, 'ch-3');

    const other = parseFrame(JSON.stringify({ topicName: 'v2.system.something_new', eventBody: {} }));
    assert.ok(other.kind === 'system', "other.kind === 'system'");
    assert.equal(other.type, 'other');
  });

  it('reports malformed frames with a reason instead of throwing', () => {
    const cases: Array<[string, string]> = [
      ['not json at all', 'not JSON'],
      ['{"topicName": "v2.users.u1.conversations", "eventBody": {', 'not JSON'],
      ['[1,2,3]', 'not a JSON object'],
      ['null', 'not a JSON object'],
      ['"text"', 'not a JSON object'],
      ['{"eventBody":{}}', 'no topicName'],
      ['{"topicName":42,"eventBody":{}}', 'no topicName'],
      ['{"topicName":"","eventBody":{}}', 'no topicName'],
      ['{"topicName":"v2.users.u1.conversations"}', 'eventBody is not an object'],
      ['{"topicName":"v2.users.u1.conversations","eventBody":"x"}', 'eventBody is not an object'],
      ['{"topicName":"v2.system.socket_closing","eventBody":[]}', 'eventBody is not an object'],
      ['', 'not JSON'],
    ];
    for (const [text, reason] of cases) {
      const frame = parseFrame(text);
      assert.equal(frame.kind, 'malformed', text);
      if (frame.kind === 'malformed') assert.equal(frame.reason, reason, text);
    }
  });

  it('keeps only an excerpt of a long malformed frame', () => {
    const frame = parseFrame(`x${'a'.repeat(10_000)}`);
    assert.ok(frame.kind === 'malformed', "frame.kind === 'malformed'");
    assert.equal(frame.excerpt.length, 120);
  });
});
