import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LifecycleDeriver, parseConversationSnapshot } from '../../src/conversations/index.js';
import { normalizeTimestamp } from '../../src/conversations/timestamps.js';
import { MalformedInputError } from '../../src/errors.js';
import { loadFrames, loadRestConversation } from './helpers.js';

describe('parseConversationSnapshot', () => {
  it('reads a recorded queue-topic snapshot into the compact model', () => {
    const frames = loadFrames('voice-blind-transfers');
    const s = parseConversationSnapshot(frames.at(-1)!.eventBody);
    assert.equal(s.id, 'a41c7e02-5f3b-4d19-8c6e-2b9d0f7a3e15');
    assert.deepEqual(
      s.participants.map((p) => p.purpose),
      ['customer', 'ivr', 'acd', 'agent', 'acd', 'agent', 'agent', 'external'],
    );
    const ana = s.participants[3]!;
    assert.equal(ana.userId, '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05');
    assert.equal(ana.connectedTime, '2024-03-13T09:41:47.341Z');
    assert.equal(ana.wrapupRequired, true);
    assert.equal(ana.endAcwTime, '2024-03-13T09:44:06.130Z');
    const call = ana.communications[0]!;
    assert.equal(call.mediaType, 'voice');
    assert.equal(call.state, 'terminated');
    assert.equal(call.disconnectType, 'peer');
    assert.equal(call.direction, 'inbound');
    assert.equal(call.held, false);
    assert.deepEqual(call.afterCallWork, {
      state: 'complete',
      startTime: '2024-03-13T09:43:48.813Z',
      endTime: '2024-03-13T09:44:06.130Z',
    });
    assert.deepEqual(
      s.recentTransfers.map((t) => [t.transferType, t.initiatorUserId, t.state]),
      [
        ['unattended', '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05', 'Complete'],
        ['unattended', 'c4d8a1f6-2e9b-4d7c-8a3e-5f6b7c8d9e16', 'Complete'],
      ],
    );
    const never = s.participants[5]!; // the offer that timed out
    assert.equal(never.connectedTime, undefined);
    assert.equal(never.endTime, '2024-03-13T09:43:56.832Z');
  });

  it('copies no customer address, name or message content', () => {
    for (const name of [
      'voice-inbound-basic',
      'message-parked-resumed',
      'email-inbound',
      'callback-outbound',
    ]) {
      const text = JSON.stringify(parseConversationSnapshot(loadFrames(name).at(-1)!.eventBody));
      assert.doesNotMatch(text, /555|example\.com|Guest|Jordan|Sam Example|messageId/, name);
    }
  });

  it('reads message type, park and resume times of message legs, and consult markers', () => {
    const frames = loadFrames('message-parked-resumed');
    const resumed = frames.find((f) => JSON.stringify(f.eventBody).includes('resumeTime'))!;
    const s = parseConversationSnapshot(resumed.eventBody);
    const agent = s.participants.find((p) => p.purpose === 'agent')!;
    const message = agent.communications[0]!;
    assert.equal(message.mediaType, 'message');
    assert.equal(message.messageType, 'webmessaging');
    assert.equal(message.parkTime, '2024-03-14T11:17:17.311Z');
    assert.equal(message.resumeTime, '2024-03-14T11:57:26.877Z');
    const consult = loadFrames('voice-consult-transfer').find((f) =>
      JSON.stringify(f.eventBody).includes('consultInitiator'),
    )!;
    const initiator = parseConversationSnapshot(consult.eventBody).participants[3]!;
    assert.equal(initiator.consultInitiator, true);
    assert.equal(initiator.consultParticipantId, '1f4ce80e-511f-48b4-8599-47ba72e75433');
    assert.equal(initiator.communications[0]!.held, true);
  });

  it('tolerates absent keys, nulls, wrong types and unknown keys', () => {
    const s = parseConversationSnapshot({
      id: 'c0ffee00-0000-4000-8000-000000000001',
      participants: [
        {
          id: 'p1',
          purpose: 'customer',
          connectedTime: 12,
          calls: null,
          chats: [null, 3],
          transferSource: 'x',
        },
        {
          purpose: 'agent',
          wrapupRequired: 'yes',
          calls: [{ state: 'alerting', held: 'no', afterCallWork: 'n/a' }],
        },
        'not a participant',
        null,
      ],
      recentTransfers: [{ transferType: 'attended', initiator: 'nobody', destination: null }, 7],
      securePause: false,
      mediaRoles: ['full'],
    });
    assert.equal(s.participants.length, 2);
    const [customer, agent] = s.participants as [(typeof s.participants)[0], (typeof s.participants)[0]];
    assert.equal(customer.connectedTime, undefined);
    assert.deepEqual(customer.communications, []);
    assert.equal(agent.id, '', 'kept without an id');
    assert.equal(agent.purpose, 'agent');
    assert.equal(agent.wrapupRequired, undefined);
    assert.equal(agent.communications[0]!.held, undefined);
    assert.equal(agent.communications[0]!.afterCallWork, undefined);
    assert.deepEqual(s.recentTransfers, [
      {
        id: undefined,
        state: undefined,
        transferType: 'attended',
        dateIssued: undefined,
        initiatorUserId: undefined,
        destinationUserId: undefined,
      },
    ]);
    assert.deepEqual(parseConversationSnapshot({ id: 'c2' }).participants, []);
  });

  it('refuses what is not a conversation', () => {
    for (const body of [null, undefined, 'text', 42, [], {}, { id: '' }, { id: 7 }, { participants: [] }]) {
      assert.throws(
        () => parseConversationSnapshot(body),
        (error: unknown) => error instanceof MalformedInputError && error.code === 'malformed_input',
        JSON.stringify(body),
      );
    }
  });

  it('reads the REST-only fields of GET /api/v2/conversations/{id}', () => {
    const s = parseConversationSnapshot(loadRestConversation('voice-offers-rejected'));
    assert.equal(s.startTime, '2024-03-12T15:20:10.005Z');
    assert.equal(s.endTime, '2024-03-12T15:23:20.024Z');
    const agent = s.participants.find((p) => p.id === '0aebfa4f-14d2-4155-847e-e4b58531e3da')!;
    assert.deepEqual(agent.wrapup, {
      code: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e02',
      name: 'Billing - Refund',
      notes: 'Refund issued',
      tags: undefined,
      durationSeconds: 23,
      endTime: '2024-03-12T15:23:42.605Z',
      provisional: undefined,
    });
  });

  it('does not let a participant without an id produce events, nor stop the others', () => {
    const frames = loadFrames('voice-inbound-basic');
    const body = structuredClone(frames.at(-1)!.eventBody) as {
      participants: Array<Record<string, unknown>>;
    };
    body.participants.push({
      purpose: 'agent',
      connectedTime: '2024-03-12T14:05:00.000Z',
      endTime: '2024-03-12T14:06:00.000Z',
    });
    const events = new LifecycleDeriver().ingest(parseConversationSnapshot(body), { kind: 'replay' }).events;
    assert.deepEqual(
      events.map((e) => e.type),
      ['conversation.started', 'participant.joined', 'participant.left', 'conversation.ended'],
    );
  });
});

describe('normalizeTimestamp', () => {
  it('keeps the platform form and brings other ISO forms to UTC milliseconds', () => {
    assert.equal(normalizeTimestamp('2024-03-12T14:03:00.412Z'), '2024-03-12T14:03:00.412Z');
    assert.equal(normalizeTimestamp('2024-03-12T14:03:00Z'), '2024-03-12T14:03:00.000Z');
    assert.equal(normalizeTimestamp('2024-03-12T14:03:00.4Z'), '2024-03-12T14:03:00.400Z');
    assert.equal(normalizeTimestamp('2024-03-12T14:03:00.412345Z'), '2024-03-12T14:03:00.412Z');
    assert.equal(normalizeTimestamp('2024-03-12T16:03:00.000+02:00'), '2024-03-12T14:03:00.000Z');
    assert.equal(normalizeTimestamp('yesterday'), undefined);
    assert.equal(normalizeTimestamp(1710252180412), undefined);
    assert.equal(normalizeTimestamp(undefined), undefined);
  });
});
