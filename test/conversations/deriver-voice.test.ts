import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LifecycleDeriver, parseConversationSnapshot } from '../../src/conversations/index.js';
import type {
  ConversationEndedEvent,
  ConversationStartedEvent,
  ConversationTransferredEvent,
  ParticipantJoinedEvent,
  ParticipantLeftEvent,
} from '../../src/events.js';
import { eventId } from '../../src/events.js';
import { assertUniqueIds, feed, loadFrames, sourceOf, summary } from './helpers.js';

const Q_SUPPORT = '5c1f6b3e-2d4a-4e8b-9f07-1a2b3c4d5e61';
const Q_BILLING = '8e2d0a47-6b13-4c9e-a5f2-7d3e9b1c0f42';
const U_ANA = '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05';
const U_BEN = 'c4d8a1f6-2e9b-4d7c-8a3e-5f6b7c8d9e16';

describe('voice: inbound call through IVR and queue to one agent', () => {
  const CONV = '0b6f1d2e-3c4a-4b5c-9d6e-7f8a9b0c1d01';
  const CUSTOMER = 'd856a4b4-6721-4db0-83fa-f3b5c3a0b9a4';
  const AGENT = '3eb81865-7076-42d4-b2f1-70af40f94e1d';
  const frames = loadFrames('voice-inbound-basic');

  it('emits start, join, leave and end once, from the snapshots own times', () => {
    const run = feed(new LifecycleDeriver(), frames);
    assert.deepEqual(summary(run.events), [
      ['conversation.started', '', '2024-03-12T14:03:00.412Z'],
      ['participant.joined', AGENT, '2024-03-12T14:03:31.207Z'],
      ['participant.left', AGENT, '2024-03-12T14:07:12.655Z'],
      ['conversation.ended', '', '2024-03-12T14:07:12.655Z'],
    ]);
    assertUniqueIds(run.events);
    assert.deepEqual(run.lookups, [{ conversationId: CONV, participantId: AGENT }]);
  });

  it('fills the envelope and the details', () => {
    const [started, joined, left, ended] = feed(new LifecycleDeriver(), frames).events as [
      ConversationStartedEvent,
      ParticipantJoinedEvent,
      ParticipantLeftEvent,
      ConversationEndedEvent,
    ];
    assert.equal(started.id, eventId(CONV, 'conversation.started'));
    assert.equal(started.conversationId, CONV);
    assert.equal(started.mediaType, 'voice');
    assert.equal('messageType' in started, false);
    assert.equal(started.direction, 'inbound');
    assert.deepEqual(started.customer, { participantId: CUSTOMER, purpose: 'customer' });
    assert.equal(started.queueId, Q_SUPPORT);
    assert.deepEqual(started.source, {
      kind: 'topic',
      topic: frames[0]!.topicName,
      correlationId: frames[0]!.metadata.CorrelationId,
    });
    assert.match(started.observedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(joined.id, eventId(CONV, 'participant.joined', AGENT));
    assert.deepEqual(joined.participant, {
      participantId: AGENT,
      purpose: 'agent',
      userId: U_ANA,
      queueId: Q_SUPPORT,
    });
    assert.equal(left.disconnectType, 'peer');
    assert.equal(ended.durationMs, 252_243);
  });

  it('does not end the conversation while the agent still shows connected after the customer hung up', () => {
    const deriver = new LifecycleDeriver();
    const hangUp = frames.findIndex((f) =>
      JSON.stringify(f.eventBody).includes('"disconnectType":"endpoint"'),
    );
    assert.ok(hangUp > 0);
    const before = feed(deriver, frames.slice(0, hangUp + 2)); // both topics' copies of the hang-up frame
    assert.equal(before.events.filter((e) => e.type === 'conversation.ended').length, 0);
    const after = feed(deriver, frames.slice(hangUp + 2));
    assert.deepEqual(
      after.events.map((e) => e.type),
      ['participant.left', 'conversation.ended'],
    );
  });

  it('treats the IVR and queue hand-offs (legs ending with transfer) as routing, not transfers', () => {
    const run = feed(new LifecycleDeriver(), frames);
    assert.equal(run.events.filter((e) => e.type === 'conversation.transferred').length, 0);
  });

  it('emits nothing more when the agent call goes from disconnected to terminated', () => {
    const deriver = new LifecycleDeriver();
    const last = frames.length - 2; // the ACW-complete frame, in which the calls are terminated
    feed(deriver, frames.slice(0, last));
    const tail = feed(deriver, frames.slice(last));
    assert.deepEqual(tail.events, []);
    assert.equal(tail.lookups.length, 1, 'the only new fact is that after-call work completed');
  });
});

describe('voice: offers rejected and timed out before one is answered', () => {
  const CONV = '6e8bc430-e09a-11ee-9669-0800200c9a66';
  const ANA_REJECTED = '4bf574c1-95d0-4707-b38b-fe595e9d998b';
  const BEN_TIMED_OUT = 'd9deff7d-370d-4ed5-952c-3b317afae543';
  const ANA_ANSWERED = '0aebfa4f-14d2-4155-847e-e4b58531e3da';

  it('joins only the leg that connected, even when the same user held an earlier, rejected leg', () => {
    const run = feed(new LifecycleDeriver(), loadFrames('voice-offers-rejected'));
    assert.deepEqual(summary(run.events), [
      ['conversation.started', '', '2024-03-12T15:20:10.005Z'],
      ['participant.joined', ANA_ANSWERED, '2024-03-12T15:20:35.322Z'],
      ['participant.left', ANA_ANSWERED, '2024-03-12T15:23:20.009Z'],
      ['conversation.ended', '', '2024-03-12T15:23:20.024Z'],
    ]);
    assertUniqueIds(run.events);
    assert.deepEqual(run.lookups, [{ conversationId: CONV, participantId: ANA_ANSWERED }]);
    const subjects = JSON.stringify(run.events);
    assert.equal(subjects.includes(ANA_REJECTED), false);
    assert.equal(subjects.includes(BEN_TIMED_OUT), false);
  });
});

describe('voice: blind transfer to a queue, then to an external number', () => {
  const CONV = 'a41c7e02-5f3b-4d19-8c6e-2b9d0f7a3e15';
  const ANA = '6fd69e1c-5d75-4279-84e0-90a527aa63af';
  const ACD_BILLING = '0552a5a5-6c5a-4617-8992-e7bb87934b3e';
  const CHO_TIMED_OUT = '5d7a1e39-a0d0-4b77-adb6-625b6a748429';
  const BEN = '2dc7f725-4b11-420d-9ee2-a9efb0790b40';
  const EXTERNAL = 'b99e8076-bab3-42e5-9e5e-ecff5f3e9d26';
  const frames = loadFrames('voice-blind-transfers');

  it('emits each transfer once, from the leg that transferred, with where it went', () => {
    const run = feed(new LifecycleDeriver(), frames);
    assert.deepEqual(summary(run.events), [
      ['conversation.started', '', '2024-03-13T09:41:27.730Z'],
      ['participant.joined', ANA, '2024-03-13T09:41:47.341Z'],
      ['conversation.transferred', ANA, '2024-03-13T09:43:48.813Z'],
      ['participant.left', ANA, '2024-03-13T09:43:48.813Z'],
      ['participant.joined', BEN, '2024-03-13T09:44:00.007Z'],
      ['conversation.transferred', BEN, '2024-03-13T09:46:29.286Z'],
      ['participant.left', BEN, '2024-03-13T09:46:29.286Z'],
      ['conversation.ended', '', '2024-03-13T09:49:35.791Z'],
    ]);
    assertUniqueIds(run.events);
    assert.equal(JSON.stringify(run.events).includes(CHO_TIMED_OUT), false, 'the timed-out offer is no join');
    const [toQueue, toExternal] = run.events.filter(
      (e): e is ConversationTransferredEvent => e.type === 'conversation.transferred',
    ) as [ConversationTransferredEvent, ConversationTransferredEvent];
    assert.deepEqual(toQueue.from, {
      participantId: ANA,
      purpose: 'agent',
      userId: U_ANA,
      queueId: Q_SUPPORT,
    });
    assert.deepEqual(toQueue.to, { kind: 'queue', queueId: Q_BILLING, participantId: ACD_BILLING });
    assert.equal(toQueue.transferType, 'blind');
    assert.deepEqual(toExternal.to, { kind: 'external', participantId: EXTERNAL });
    assert.equal(toExternal.transferType, 'blind');
    assert.deepEqual(run.lookups, [
      { conversationId: CONV, participantId: ANA },
      { conversationId: CONV, participantId: BEN },
    ]);
  });

  it('keeps the first disconnectType and emits nothing again when it changes from transfer to peer', () => {
    const flip = frames.findIndex((f) => JSON.stringify(f.eventBody).includes('"disconnectType":"peer"'));
    assert.ok(flip > 0);
    const deriver = new LifecycleDeriver();
    const before = feed(deriver, frames.slice(0, flip));
    const left = before.events.find((e) => e.type === 'participant.left') as ParticipantLeftEvent;
    assert.equal(left.disconnectType, 'transfer');
    const after = feed(deriver, frames.slice(flip));
    assert.equal(
      after.events.filter((e) => e.type === 'participant.left' && e.participant.participantId === ANA).length,
      0,
    );
    assert.equal(
      after.events.filter((e) => e.type === 'conversation.transferred' && e.from.participantId === ANA)
        .length,
      0,
    );
  });

  it('sees the transfer from the disconnect type alone when recentTransfers is missing', () => {
    const deriver = new LifecycleDeriver();
    const bodies = frames.map((f) => ({ ...f.eventBody, recentTransfers: [] }));
    const events = bodies.flatMap(
      (b) => deriver.ingest(parseConversationSnapshot(b), sourceOf(frames[0]!)).events,
    );
    const transfers = events.filter(
      (e): e is ConversationTransferredEvent => e.type === 'conversation.transferred',
    );
    assert.deepEqual(
      transfers.map((t) => [t.from.participantId, t.to.kind, t.transferType]),
      [
        [ANA, 'queue', 'blind'],
        [BEN, 'external', 'blind'],
      ],
    );
  });
});

describe('voice: consult, then transfer', () => {
  const CONV = 'd2a9f5c8-7b6e-4f1a-a3c4-8e0b1d2f3a49';
  const ANA = '2cf35c11-1807-4640-a97d-e34c26a8b5d5';
  const BEN = '10852821-6c94-41d8-9183-6eb817e593d0';
  const frames = loadFrames('voice-consult-transfer');

  it('joins the consulted agent when they answer and reports a consult transfer when the first agent drops', () => {
    const run = feed(new LifecycleDeriver(), frames);
    assert.deepEqual(summary(run.events), [
      ['conversation.started', '', '2024-03-13T16:02:44.190Z'],
      ['participant.joined', ANA, '2024-03-13T16:02:56.208Z'],
      ['participant.joined', BEN, '2024-03-13T16:04:24.051Z'],
      ['conversation.transferred', ANA, '2024-03-13T16:04:55.767Z'],
      ['participant.left', ANA, '2024-03-13T16:04:55.767Z'],
      ['participant.left', BEN, '2024-03-13T16:09:26.950Z'],
      ['conversation.ended', '', '2024-03-13T16:09:26.950Z'],
    ]);
    assertUniqueIds(run.events);
    const transfer = run.events.find(
      (e) => e.type === 'conversation.transferred',
    ) as ConversationTransferredEvent;
    assert.deepEqual(transfer.to, { kind: 'user', userId: U_BEN, participantId: BEN });
    assert.equal(transfer.transferType, 'consult');
    assert.deepEqual(run.lookups, [
      { conversationId: CONV, participantId: ANA },
      { conversationId: CONV, participantId: BEN },
    ]);
  });

  it('tells a consult from the consult markers when no transfer record says so', () => {
    const deriver = new LifecycleDeriver();
    let transfer: ConversationTransferredEvent | undefined;
    for (const frame of frames) {
      const body = { ...frame.eventBody };
      delete body.recentTransfers;
      for (const e of deriver.ingest(parseConversationSnapshot(body), sourceOf(frame)).events) {
        if (e.type === 'conversation.transferred') transfer = e;
      }
    }
    assert.equal(transfer?.transferType, 'consult');
    assert.deepEqual(transfer?.to, { kind: 'user', userId: U_BEN, participantId: BEN });
  });

  it('does not take an ended consult for the destination of a later transfer', () => {
    // Ana consults Ben, Ben leaves, then Ana transfers blind to Billing: the destination is the new queue leg.
    const last = structuredClone(frames.at(-1)!.eventBody) as {
      id: string;
      participants: Array<Record<string, unknown>>;
    };
    const [customer, ivr, acd, ana, ben] = last.participants as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    ben.endTime = '2024-03-13T16:04:40.000Z';
    const billing = {
      id: 'f0e1d2c3-b4a5-4968-8776-655443322110',
      connectedTime: '2024-03-13T16:04:55.770Z',
      queueId: Q_BILLING,
      purpose: 'acd',
      calls: [{ id: 'e0e1d2c3-b4a5-4968-8776-655443322111', state: 'connected' }],
    };
    const body = { id: last.id, participants: [customer, ivr, acd, ana, ben, billing] };
    delete ana.consultParticipantId;
    ana.attributes = {};
    const events = new LifecycleDeriver().ingest(
      parseConversationSnapshot(body),
      sourceOf(frames[0]!),
    ).events;
    const transfer = events.find(
      (e) => e.type === 'conversation.transferred',
    ) as ConversationTransferredEvent;
    assert.deepEqual(transfer.to, { kind: 'queue', queueId: Q_BILLING, participantId: billing.id });
  });
});
