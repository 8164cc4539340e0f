/**
 * The pipeline by topic kind: per-media frames are derived (not dropped), frames of topics it does not derive from
 * are counted by family, and a stream asked for a topic the deriver cannot use refuses to start.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSwitchboardError } from '../../src/errors.js';
import type { LifecycleEvent } from '../../src/events.js';
import { createConversationStream } from '../../src/pipeline/conversation-stream.js';
import { EventPipeline } from '../../src/pipeline/event-pipeline.js';

const CONV = '6a0c2f4e-1b3d-4e5f-8a9b-0c1d2e3f4a50';
const USER = '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05';
const QUEUE = '5c1f6b3e-2d4a-4e8b-9f07-1a2b3c4d5e61';

function frame(topicName: string, eventBody: unknown): string {
  return JSON.stringify({ topicName, version: '2', eventBody, metadata: { CorrelationId: 'c-1' } });
}

/** A short call as `v2.users.{id}.conversations.calls` sends it: flattened participants, no startTime. */
function callFrames(): string[] {
  const topic = `v2.users.${USER}.conversations.calls`;
  const customer = {
    id: 'p-c',
    purpose: 'customer',
    direction: 'inbound',
    connectedTime: '2026-01-05T10:00:00.000Z',
  };
  const agent = {
    id: 'p-a',
    purpose: 'agent',
    direction: 'inbound',
    user: { id: USER },
    queue: { id: QUEUE },
    connectedTime: '2026-01-05T10:00:20.000Z',
  };
  const ended = { endTime: '2026-01-05T10:02:00.000Z' };
  return [
    frame(topic, {
      id: CONV,
      participants: [
        { ...customer, state: 'connected' },
        { ...agent, state: 'connected' },
      ],
    }),
    frame(topic, {
      id: CONV,
      participants: [
        { ...customer, ...ended, state: 'disconnected', disconnectType: 'endpoint' },
        { ...agent, ...ended, state: 'disconnected', disconnectType: 'peer' },
      ],
    }),
  ];
}

function pipeline() {
  const delivered: LifecycleEvent[] = [];
  const offline = () => Promise.reject(new Error('offline'));
  const p = new EventPipeline({
    reader: { readAnalytics: offline, readConversation: offline },
    lookups: { firstLookAfterMs: 0, batchWindowMs: 0, horizonMs: 0 },
    deliver: (event) => delivered.push(event),
  });
  return { p, delivered };
}

describe('EventPipeline: topic kinds', () => {
  it('derives per-media frames and counts them apart from whole snapshots', () => {
    const { p, delivered } = pipeline();
    for (const text of callFrames()) p.receiveFrame(text, 'channel-a');
    assert.deepEqual(
      delivered.map((e) => e.type),
      ['conversation.started', 'participant.joined', 'participant.left', 'conversation.ended'],
    );
    assert.equal(delivered[0]!.mediaType, 'voice');
    assert.deepEqual(delivered[0]!.source, {
      kind: 'topic',
      topic: `v2.users.${USER}.conversations.calls`,
      channelId: 'channel-a',
      correlationId: 'c-1',
    });
    const stats = p.stats();
    assert.equal(stats.mediaSnapshots, 2);
    assert.equal(stats.conversationSnapshots, 0);
    assert.equal(stats.otherTopics, 0);
    p.close();
  });

  it('counts frames of topics it does not derive from by family', () => {
    const { p, delivered } = pipeline();
    p.receiveFrame(frame(`v2.users.${USER}.presence`, { id: 'x' }));
    p.receiveFrame(frame(`v2.users.${QUEUE}.presence`, { id: 'y' }));
    p.receiveFrame(frame(`v2.detail.events.conversation.${CONV}.flow.outcome`, { conversationId: CONV }));
    p.receiveFrame(frame(`v2.users.${USER}.conversations.screenshares`, { id: CONV, participants: [] }));
    assert.deepEqual(delivered, []);
    const stats = p.stats();
    assert.equal(stats.otherTopics, 4);
    assert.deepEqual(stats.ignoredTopics, {
      'v2.users.{id}.presence': 2,
      'v2.detail.events.conversation.{id}.flow.outcome': 1,
      'v2.users.{id}.conversations.screenshares': 1,
    });
    // A copy: the caller cannot change the pipeline's counters.
    stats.ignoredTopics['v2.users.{id}.presence'] = 0;
    assert.equal(p.stats().ignoredTopics['v2.users.{id}.presence'], 2);
    p.close();
  });

  it('counts a malformed per-media body and goes on', () => {
    const { p, delivered } = pipeline();
    p.receiveFrame(frame(`v2.users.${USER}.conversations.calls`, { participants: [] }));
    for (const text of callFrames()) p.receiveFrame(text);
    assert.equal(p.stats().malformed, 1);
    assert.equal(delivered.length, 4);
    p.close();
  });
});

describe('ConversationStream: topics the deriver cannot use', () => {
  it('refuses to start with a detail-event topic, naming it and why', async () => {
    const topic = `v2.detail.events.conversation.${CONV}.customer.start`;
    for (const options of [{ topics: [topic] }, { selection: { topics: [topic] } }]) {
      const stream = createConversationStream(options);
      await assert.rejects(
        stream.start(),
        (error: unknown) =>
          isSwitchboardError(error) &&
          error.code === 'config_invalid' &&
          error.message.includes(topic) &&
          error.message.includes('EventBridge'),
      );
    }
  });
});
