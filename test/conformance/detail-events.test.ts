/**
 * Conformance of the conversation detail events the emulated world produces (what its EventBridge integration
 * delivers): each body against the model the platform's definitions give its topic
 * (`v2.detail.events.conversation.{id}.acd.end` → `AcdEndDetailEventTopicAcdEndEvent`, ...), strictly — every key a
 * property of the model, every enum value spelled as the platform spells it (upper case), `eventTime` an integer.
 * Every shape the world makes is played: transfers of each kind, missed offers, parked messages, skipped after-call
 * work, every media.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWorld, ManualClock, TRANSFER_KINDS } from '../../src/emulator/world/index.js';
import { conformance } from './check.js';
import { topicModel } from './definitions.js';

const START = Date.UTC(2026, 2, 10, 9, 0, 0);

function play(): Array<{ topic: string; body: Record<string, unknown> }> {
  const clock = new ManualClock(START);
  const frames: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const world = createWorld(
    {
      seed: 5,
      agents: 10,
      queues: 3,
      contacts: 30,
      historyDays: 0,
      conversationsPerMinute: 0,
      timeScale: 60,
    },
    {
      publish: (topic, body) => {
        if (topic.startsWith('v2.detail.events.'))
          frames.push({ topic, body: body as Record<string, unknown> });
      },
      detailEventsWanted: () => true,
    },
    clock,
  );
  for (const transfer of TRANSFER_KINDS) {
    for (const kind of ['voice', 'webmessaging', 'email', 'callback'] as const)
      world.startScriptedConversation({ kind, transfer });
  }
  world.startScriptedConversation({ kind: 'voice', missedAlert: true, transfer: 'none' });
  world.startScriptedConversation({ kind: 'sms', afterCallWork: 'skipped', transfer: 'none' });
  world.startScriptedConversation({ kind: 'whatsapp', park: true, transfer: 'none' });
  world.startScriptedConversation({ kind: 'open', transfer: 'none' });
  clock.advance(60 * 60_000);
  world.stop();
  return frames;
}

describe('conformance: detail events', () => {
  const frames = play();

  test('every detail event of every shape matches its topic’s model', () => {
    const events = new Set(frames.map((f) => f.topic.split('.').slice(5).join('.')));
    assert.deepEqual([...events].sort(), [
      'acd.end',
      'acd.start',
      'acw',
      'customer.end',
      'customer.start',
      'flow.end',
      'flow.start',
      'user.end',
      'user.start',
      'wrapup',
    ]);
    const problems = new Set<string>();
    for (const { topic, body } of frames) {
      const model = topicModel(topic);
      if (model === undefined) {
        problems.add(`${topic}: not a topic of the platform's definitions`);
        continue;
      }
      for (const problem of conformance(body, model))
        problems.add(`${model}: ${problem.replace(/"[^"]*"/, 'X')}`);
      if (!Number.isInteger(body.eventTime)) problems.add(`${model}: eventTime is not epoch milliseconds`);
    }
    assert.deepEqual([...problems], []);
  });

  test('records carry upper-case enums and the ids the lifecycle needs', () => {
    for (const { topic, body } of frames) {
      for (const key of ['conversationId', 'participantId', 'sessionId', 'mediaType', 'eventTime'])
        assert.ok(body[key] !== undefined, `${topic} has ${key}`);
      for (const key of ['mediaType', 'direction', 'disconnectType', 'messageType', 'acdOutcome'])
        if (typeof body[key] === 'string') assert.equal(body[key], (body[key] as string).toUpperCase());
    }
    const answered = frames.filter((f) => f.topic.endsWith('acd.end') && f.body.acdOutcome === 'ANSWERED');
    assert.ok(answered.length > 0 && answered.every((f) => typeof f.body.answeredUserId === 'string'));
    const consults = frames.filter(
      (f) => f.topic.endsWith('user.end') && f.body.disconnectType === 'CONSULT_TRANSFER',
    );
    assert.ok(consults.length > 0, 'consult transfers end with CONSULT_TRANSFER');
  });
});
