/**
 * The per-media topics' flattened shape (`QueueConversationCallEventTopicCallConversation`, `…MessageConversation`,
 * ...: the leg's state, times and disconnect type on the participant, `user{id}` / `queue{id}` references, no media
 * array, no `startTime`, no `afterCallWork`, no `recentTransfers`), derived on its own and beside other media and
 * whole snapshots. Each frame below is what the platform would send at that moment: every leg of the media so far.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LifecycleDeriver,
  legsFromMediaTopic,
  parseConversationSnapshot,
} from '../../src/conversations/index.js';
import { isSwitchboardError } from '../../src/errors.js';
import type {
  ConversationEndedEvent,
  ConversationStartedEvent,
  ConversationTransferredEvent,
  ConversationWrapupEvent,
  EventSource,
  LifecycleEvent,
  MediaType,
  ParticipantLeftEvent,
} from '../../src/events.js';
import { eventId } from '../../src/events.js';
import { assertUniqueIds, summary } from './helpers.js';

const CONV = '6a0c2f4e-1b3d-4e5f-8a9b-0c1d2e3f4a50';
const QUEUE = '5c1f6b3e-2d4a-4e8b-9f07-1a2b3c4d5e61';
const QUEUE_2 = '8e2d0a47-6b13-4c9e-a5f2-7d3e9b1c0f42';
const USER_A = '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05';
const USER_B = 'c4d8a1f6-2e9b-4d7c-8a3e-5f6b7c8d9e16';
const CONTACT = '9f8e7d6c-5b4a-4321-8fed-cba987654321';
const CUSTOMER = 'p-customer';
const IVR = 'p-ivr';
const ACD = 'p-acd';
const AGENT_A = 'p-agent-a';
const AGENT_B = 'p-agent-b';
const ACD_2 = 'p-acd-2';

const t = (second: number) => new Date(Date.UTC(2026, 0, 5, 10, 0, second)).toISOString();
const LIVE = (media: string): EventSource => ({
  kind: 'topic',
  topic: `v2.routing.queues.${QUEUE}.conversations.${media}`,
});

type Participant = Record<string, unknown>;

/** A flattened participant as the per-media topics send it (sparse: undefined keys are left out). */
function leg(fields: Participant): Participant {
  return JSON.parse(JSON.stringify({ held: false, attributes: {}, ...fields }));
}

/** A per-media body: the conversation's legs of that media, as they stand. */
function body(...participants: Participant[]): Record<string, unknown> {
  return { id: CONV, participants: participants.map((p) => leg(p)) };
}

const customer = (state: string, extra: Participant = {}): Participant => ({
  id: CUSTOMER,
  purpose: 'customer',
  state,
  direction: 'inbound',
  connectedTime: t(0),
  ...extra,
});
const acd = (id: string, queue: string, state: string, extra: Participant = {}): Participant => ({
  id,
  purpose: 'acd',
  state,
  direction: 'inbound',
  queue: { id: queue },
  ...extra,
});
const agent = (id: string, user: string, state: string, extra: Participant = {}): Participant => ({
  id,
  purpose: 'agent',
  state,
  direction: 'inbound',
  user: { id: user },
  queue: { id: QUEUE },
  wrapupRequired: true,
  ...extra,
});

/** Feeds per-media bodies of one media to a deriver, collecting what comes out. */
function feedMedia(
  deriver: LifecycleDeriver,
  media: MediaType,
  bodies: Array<Record<string, unknown>>,
  suffix = 'calls',
) {
  const events: LifecycleEvent[] = [];
  const lookups: string[] = [];
  for (const b of bodies) {
    const result = deriver.ingestMediaTopic(b, media, LIVE(suffix));
    events.push(...result.events);
    lookups.push(...result.wrapupLookups.map((l) => l.participantId));
  }
  return { events, lookups };
}

function only<T extends LifecycleEvent['type']>(events: LifecycleEvent[], type: T) {
  return events.filter((e) => e.type === type) as Array<Extract<LifecycleEvent, { type: T }>>;
}

/** A call through IVR and queue to agent A, who transfers it blind to queue 2, answered there by agent B. */
function blindTransferCall(): Array<Record<string, unknown>> {
  const answered = { connectedTime: t(20) };
  const transferred = { ...answered, endTime: t(60), disconnectType: 'transfer' };
  return [
    body(customer('connected'), {
      id: IVR,
      purpose: 'ivr',
      state: 'connected',
      direction: 'inbound',
      connectedTime: t(0),
    }),
    body(
      customer('connected'),
      {
        id: IVR,
        purpose: 'ivr',
        state: 'disconnected',
        connectedTime: t(0),
        endTime: t(8),
        disconnectType: 'transfer',
      },
      acd(ACD, QUEUE, 'connected', { connectedTime: t(8) }),
    ),
    body(
      customer('connected'),
      {
        id: IVR,
        purpose: 'ivr',
        state: 'terminated',
        connectedTime: t(0),
        endTime: t(8),
        disconnectType: 'transfer',
      },
      acd(ACD, QUEUE, 'disconnected', { connectedTime: t(8), endTime: t(20), disconnectType: 'transfer' }),
      agent(AGENT_A, USER_A, 'connected', answered),
    ),
    body(
      customer('connected'),
      {
        id: IVR,
        purpose: 'ivr',
        state: 'terminated',
        connectedTime: t(0),
        endTime: t(8),
        disconnectType: 'transfer',
      },
      acd(ACD, QUEUE, 'terminated', { connectedTime: t(8), endTime: t(20), disconnectType: 'transfer' }),
      agent(AGENT_A, USER_A, 'disconnected', { ...transferred, startAcwTime: t(60) }),
      acd(ACD_2, QUEUE_2, 'connected', { connectedTime: t(60) }),
    ),
    body(
      customer('connected'),
      {
        id: IVR,
        purpose: 'ivr',
        state: 'terminated',
        connectedTime: t(0),
        endTime: t(8),
        disconnectType: 'transfer',
      },
      acd(ACD, QUEUE, 'terminated', { connectedTime: t(8), endTime: t(20), disconnectType: 'transfer' }),
      agent(AGENT_A, USER_A, 'terminated', { ...transferred, startAcwTime: t(60), endAcwTime: t(75) }),
      acd(ACD_2, QUEUE_2, 'disconnected', {
        connectedTime: t(60),
        endTime: t(70),
        disconnectType: 'transfer',
      }),
      agent(AGENT_B, USER_B, 'connected', { connectedTime: t(70), queue: { id: QUEUE_2 } }),
    ),
    body(
      customer('disconnected', { endTime: t(200), disconnectType: 'endpoint' }),
      {
        id: IVR,
        purpose: 'ivr',
        state: 'terminated',
        connectedTime: t(0),
        endTime: t(8),
        disconnectType: 'transfer',
      },
      acd(ACD, QUEUE, 'terminated', { connectedTime: t(8), endTime: t(20), disconnectType: 'transfer' }),
      agent(AGENT_A, USER_A, 'terminated', { ...transferred, startAcwTime: t(60), endAcwTime: t(75) }),
      acd(ACD_2, QUEUE_2, 'terminated', { connectedTime: t(60), endTime: t(70), disconnectType: 'transfer' }),
      agent(AGENT_B, USER_B, 'disconnected', {
        connectedTime: t(70),
        endTime: t(200),
        disconnectType: 'peer',
        queue: { id: QUEUE_2 },
        startAcwTime: t(200),
      }),
    ),
  ];
}

describe('per-media topics: the flattened shape', () => {
  it('reads a flattened participant into a leg: state, references, times, after-call work', () => {
    const legs = legsFromMediaTopic(
      body(
        agent(AGENT_A, USER_A, 'disconnected', {
          connectedTime: t(20),
          endTime: t(60),
          disconnectType: 'peer',
          startAcwTime: t(60),
          endAcwTime: t(90),
          externalContact: { id: CONTACT },
          consultParticipantId: CUSTOMER,
          attributes: { consultInitiator: 'true' },
        }),
      ),
      'voice',
    );
    assert.equal(legs.coversOnly, 'voice');
    assert.deepEqual(legs.legs, [
      {
        participantId: AGENT_A,
        purpose: 'agent',
        userId: USER_A,
        queueId: QUEUE,
        externalContactId: CONTACT,
        mediaType: 'voice',
        wrapupRequired: true,
        consultParticipantId: CUSTOMER,
        consultInitiator: true,
        state: 'disconnected',
        direction: 'inbound',
        held: false,
        disconnectType: 'peer',
        connectedTime: t(20),
        endTime: t(60),
        afterCallWork: { state: 'complete', startTime: t(60), endTime: t(90) },
      },
    ]);
  });

  it('refuses a body without an id as malformed', () => {
    assert.throws(
      () => legsFromMediaTopic({ participants: [] }, 'voice'),
      (error: unknown) => isSwitchboardError(error) && error.code === 'malformed_input',
    );
  });

  it('derives a call with a blind transfer: start from the earliest connection, join, transfer, leave, end', () => {
    const run = feedMedia(new LifecycleDeriver(), 'voice', blindTransferCall());
    assert.deepEqual(summary(run.events), [
      ['conversation.started', '', t(0)],
      ['participant.joined', AGENT_A, t(20)],
      ['conversation.transferred', AGENT_A, t(60)],
      ['participant.left', AGENT_A, t(60)],
      ['participant.joined', AGENT_B, t(70)],
      ['participant.left', AGENT_B, t(200)],
      ['conversation.ended', '', t(200)],
    ]);
    assertUniqueIds(run.events);
    const [started] = only(run.events, 'conversation.started') as [ConversationStartedEvent];
    assert.equal(started.mediaType, 'voice');
    assert.equal(started.direction, 'inbound');
    assert.deepEqual(started.customer, { participantId: CUSTOMER, purpose: 'customer' });
    const [transfer] = only(run.events, 'conversation.transferred') as [ConversationTransferredEvent];
    assert.equal(transfer.transferType, 'blind');
    assert.deepEqual(transfer.to, { kind: 'queue', queueId: QUEUE_2, participantId: ACD_2 });
    const [left] = only(run.events, 'participant.left') as [ParticipantLeftEvent];
    assert.equal(left.disconnectType, 'transfer');
    assert.deepEqual(left.participant, {
      participantId: AGENT_A,
      purpose: 'agent',
      userId: USER_A,
      queueId: QUEUE,
    });
    const [ended] = only(run.events, 'conversation.ended') as [ConversationEndedEvent];
    assert.equal(ended.durationMs, 200_000);
    // Agent A's after-call work completed without a code in the frames: its code is looked up.
    assert.deepEqual(run.lookups, [AGENT_A]);
  });

  it('derives a consult transfer from the consult markers, even once they are gone', () => {
    const answered = { connectedTime: t(20) };
    const frames = [
      body(customer('connected'), agent(AGENT_A, USER_A, 'connected', answered)),
      // Consulting: A holds the customer and consults B; the markers are on both legs.
      body(
        customer('connected', { consultParticipantId: undefined }),
        agent(AGENT_A, USER_A, 'connected', {
          ...answered,
          held: true,
          consultParticipantId: CUSTOMER,
          attributes: { consultInitiator: 'true' },
        }),
        agent(AGENT_B, USER_B, 'connected', { connectedTime: t(40), consultParticipantId: CUSTOMER }),
      ),
      // A hands over; this frame no longer carries the markers and says only `transfer`.
      body(
        customer('connected'),
        agent(AGENT_A, USER_A, 'disconnected', { ...answered, endTime: t(90), disconnectType: 'transfer' }),
        agent(AGENT_B, USER_B, 'connected', { connectedTime: t(40) }),
      ),
    ];
    const run = feedMedia(new LifecycleDeriver(), 'voice', frames);
    const [transfer] = only(run.events, 'conversation.transferred') as [ConversationTransferredEvent];
    assert.equal(transfer.transferType, 'consult');
    assert.deepEqual(transfer.to, { kind: 'user', userId: USER_B, participantId: AGENT_B });
    assert.equal(transfer.occurredAt, t(90));
  });

  it('derives a wrap-up: after-call work from startAcwTime and endAcwTime, the code looked up', () => {
    const deriver = new LifecycleDeriver();
    const connected = { connectedTime: t(20) };
    const ended = { ...connected, endTime: t(100), disconnectType: 'client' };
    const run = feedMedia(
      deriver,
      'message',
      [
        body(
          customer('connected', { type: 'webmessaging' }),
          agent(AGENT_A, USER_A, 'connected', { ...connected, type: 'webmessaging' }),
        ),
        body(
          customer('disconnected', { endTime: t(100), disconnectType: 'peer', type: 'webmessaging' }),
          agent(AGENT_A, USER_A, 'disconnected', { ...ended, startAcwTime: t(100), type: 'webmessaging' }),
        ),
        body(
          customer('disconnected', { endTime: t(100), disconnectType: 'peer', type: 'webmessaging' }),
          agent(AGENT_A, USER_A, 'disconnected', {
            ...ended,
            startAcwTime: t(100),
            endAcwTime: t(130),
            type: 'webmessaging',
          }),
        ),
      ],
      'messages',
    );
    assert.equal(only(run.events, 'conversation.wrapup').length, 0, 'no wrap-up without its code yet');
    assert.deepEqual(run.lookups, [AGENT_A]);
    const [wrapup] = deriver.completeWrapup(CONV, AGENT_A, { code: 'code-1' }) as [ConversationWrapupEvent];
    assert.equal(wrapup.id, eventId(CONV, 'conversation.wrapup', AGENT_A));
    assert.equal(wrapup.code, 'code-1');
    assert.equal(wrapup.afterCallWork, 'complete');
    assert.equal(wrapup.durationSeconds, 30);
    assert.equal(wrapup.occurredAt, t(130));
    assert.equal(wrapup.mediaType, 'message');
    assert.equal(wrapup.messageType, 'webmessaging');
  });

  it('emits a wrap-up a frame carries with its code, and reads wrapupSkipped as skipped after-call work', () => {
    const coded = feedMedia(new LifecycleDeriver(), 'voice', [
      body(
        customer('disconnected', { endTime: t(50), disconnectType: 'endpoint' }),
        agent(AGENT_A, USER_A, 'disconnected', {
          connectedTime: t(10),
          endTime: t(50),
          disconnectType: 'peer',
          startAcwTime: t(50),
          endAcwTime: t(65),
          wrapup: { code: 'code-2', notes: 'called back', durationSeconds: 15, endTime: t(65) },
        }),
      ),
    ]);
    const [wrapup] = only(coded.events, 'conversation.wrapup');
    assert.equal(wrapup?.code, 'code-2');
    assert.equal(wrapup?.notes, 'called back');
    assert.equal(wrapup?.occurredAt, t(65));

    const deriver = new LifecycleDeriver();
    const skipped = feedMedia(deriver, 'voice', [
      body(
        customer('disconnected', { endTime: t(50), disconnectType: 'endpoint' }),
        agent(AGENT_A, USER_A, 'disconnected', {
          connectedTime: t(10),
          endTime: t(50),
          disconnectType: 'peer',
          wrapupSkipped: true,
        }),
      ),
    ]);
    assert.deepEqual(skipped.lookups, [AGENT_A]);
    const [late] = deriver.completeWrapup(CONV, AGENT_A, { code: 'code-3' }) as [ConversationWrapupEvent];
    assert.equal(late.afterCallWork, 'skipped');
    assert.equal(late.code, 'code-3');
    assert.equal(late.occurredAt, t(50));
  });

  it('derives a callback from the callbacks topic', () => {
    const run = feedMedia(
      new LifecycleDeriver(),
      'callback',
      [
        body(
          customer('connected', { direction: 'outbound', callbackNumbers: ['+13175550123'] }),
          acd(ACD, QUEUE, 'connected', { connectedTime: t(0), direction: 'outbound' }),
        ),
        body(
          customer('connected', { direction: 'outbound', callbackNumbers: ['+13175550123'] }),
          acd(ACD, QUEUE, 'disconnected', {
            connectedTime: t(0),
            endTime: t(30),
            disconnectType: 'transfer',
            direction: 'outbound',
          }),
          agent(AGENT_A, USER_A, 'connected', { connectedTime: t(30), direction: 'outbound' }),
        ),
        body(
          customer('disconnected', { direction: 'outbound', endTime: t(90), disconnectType: 'peer' }),
          acd(ACD, QUEUE, 'terminated', {
            connectedTime: t(0),
            endTime: t(30),
            disconnectType: 'transfer',
            direction: 'outbound',
          }),
          agent(AGENT_A, USER_A, 'disconnected', {
            connectedTime: t(30),
            endTime: t(90),
            disconnectType: 'client',
            direction: 'outbound',
          }),
        ),
      ],
      'callbacks',
    );
    assert.deepEqual(
      run.events.map((e) => e.type),
      ['conversation.started', 'participant.joined', 'participant.left', 'conversation.ended'],
    );
    const [started] = only(run.events, 'conversation.started') as [ConversationStartedEvent];
    assert.equal(started.mediaType, 'callback');
    assert.equal(started.direction, 'outbound');
    assert.equal(started.queueId, QUEUE);
  });

  it('derives an email from the emails topic, with the customer’s external contact', () => {
    const run = feedMedia(
      new LifecycleDeriver(),
      'email',
      [
        body(
          customer('connected', { externalContact: { id: CONTACT }, subject: 'Invoice' }),
          agent(AGENT_A, USER_A, 'alerting'),
        ),
        body(
          customer('connected', { externalContact: { id: CONTACT } }),
          agent(AGENT_A, USER_A, 'connected', { connectedTime: t(40) }),
        ),
        body(
          customer('disconnected', {
            externalContact: { id: CONTACT },
            endTime: t(300),
            disconnectType: 'peer',
          }),
          agent(AGENT_A, USER_A, 'disconnected', {
            connectedTime: t(40),
            endTime: t(300),
            disconnectType: 'client',
          }),
        ),
      ],
      'emails',
    );
    const [started] = only(run.events, 'conversation.started') as [ConversationStartedEvent];
    assert.equal(started.mediaType, 'email');
    assert.deepEqual(started.customer, {
      participantId: CUSTOMER,
      purpose: 'customer',
      externalContactId: CONTACT,
    });
    assert.deepEqual(summary(run.events).slice(1), [
      ['participant.joined', AGENT_A, t(40)],
      ['participant.left', AGENT_A, t(300)],
      ['conversation.ended', '', t(300)],
    ]);
  });

  it('reads a body the SDK models in the aggregate shape (queue videos) from its media array', () => {
    const legs = legsFromMediaTopic(
      {
        id: CONV,
        participants: [
          {
            id: CUSTOMER,
            purpose: 'customer',
            videos: [{ id: 'v1', state: 'connected', connectedTime: t(0) }],
          },
          { id: AGENT_A, purpose: 'agent', userId: USER_A, calls: [{ id: 'c1', state: 'connected' }] },
        ],
      },
      'video',
    );
    assert.deepEqual(
      legs.legs.map((l) => [l.participantId, l.state, l.communicationId]),
      [[CUSTOMER, 'connected', 'v1']],
    );
  });
});

/** A call, and later a web message on the same conversation: the agent takes both, the message outlives the call. */
function callThenMessage() {
  const calls = [
    body(customer('connected'), agent(AGENT_A, USER_A, 'connected', { connectedTime: t(10) })),
    body(
      customer('disconnected', { endTime: t(60), disconnectType: 'endpoint' }),
      agent(AGENT_A, USER_A, 'disconnected', {
        connectedTime: t(10),
        endTime: t(60),
        disconnectType: 'peer',
      }),
    ),
  ];
  const messages = [
    body(
      customer('connected', { connectedTime: t(30), type: 'webmessaging' }),
      agent(AGENT_A, USER_A, 'connected', { connectedTime: t(30), type: 'webmessaging' }),
    ),
    body(
      customer('disconnected', {
        connectedTime: t(30),
        endTime: t(120),
        disconnectType: 'peer',
        type: 'webmessaging',
      }),
      agent(AGENT_A, USER_A, 'disconnected', {
        connectedTime: t(30),
        endTime: t(120),
        disconnectType: 'client',
        type: 'webmessaging',
      }),
    ),
  ];
  return { calls, messages };
}

describe('per-media topics: what a partial view may conclude', () => {
  it('does not end the conversation, nor let a participant leave, while another media seen is open', () => {
    const { calls, messages } = callThenMessage();
    const deriver = new LifecycleDeriver();
    const first = [
      ...feedMedia(deriver, 'voice', [calls[0]!]).events,
      ...feedMedia(deriver, 'message', [messages[0]!], 'messages').events,
    ];
    assert.deepEqual(summary(first), [
      ['conversation.started', '', t(0)],
      ['participant.joined', AGENT_A, t(10)],
    ]);
    // The call ends: the message is still open, so neither the agent nor the conversation is over.
    assert.deepEqual(feedMedia(deriver, 'voice', [calls[1]!]).events, []);
    const last = feedMedia(deriver, 'message', [messages[1]!], 'messages').events;
    assert.deepEqual(summary(last), [
      ['participant.left', AGENT_A, t(120)],
      ['conversation.ended', '', t(120)],
    ]);
  });

  it('ends at the last media’s end even when the earlier end is the last to arrive', () => {
    const { calls, messages } = callThenMessage();
    const deriver = new LifecycleDeriver();
    feedMedia(deriver, 'voice', [calls[0]!]);
    feedMedia(deriver, 'message', messages, 'messages');
    const events = feedMedia(deriver, 'voice', [calls[1]!]).events;
    const [ended] = only(events, 'conversation.ended') as [ConversationEndedEvent];
    assert.equal(ended.occurredAt, t(120));
    assert.equal(ended.durationMs, 120_000);
  });

  it('counts the media a whole snapshot showed: a call ending on its own topic does not end a conversation with a message open', () => {
    const deriver = new LifecycleDeriver();
    const whole = parseConversationSnapshot({
      id: CONV,
      participants: [
        {
          id: CUSTOMER,
          purpose: 'customer',
          connectedTime: t(0),
          calls: [{ state: 'connected' }],
          messages: [{ state: 'connected', type: 'webmessaging' }],
        },
        {
          id: AGENT_A,
          purpose: 'agent',
          userId: USER_A,
          connectedTime: t(10),
          calls: [{ state: 'connected' }],
          messages: [{ state: 'connected' }],
        },
      ],
    });
    deriver.ingest(whole, { kind: 'topic', topic: `v2.users.${USER_A}.conversations` });
    const { calls } = callThenMessage();
    assert.deepEqual(feedMedia(deriver, 'voice', calls).events, []);
  });

  it('keeps what it saw of each media across a checkpoint', () => {
    const { calls, messages } = callThenMessage();
    const before = new LifecycleDeriver();
    feedMedia(before, 'voice', [calls[0]!]);
    feedMedia(before, 'message', [messages[0]!], 'messages');
    feedMedia(before, 'voice', [calls[1]!]);
    const after = new LifecycleDeriver();
    after.importState(JSON.parse(JSON.stringify(before.exportState())));
    const events = feedMedia(after, 'message', [messages[1]!], 'messages').events;
    assert.deepEqual(
      events.map((e) => e.type),
      ['participant.left', 'conversation.ended'],
    );
  });

  it('followed through one media alone, or before another media was seen, ends when the media seen end (the documented limit)', () => {
    const { calls } = callThenMessage();
    const events = feedMedia(new LifecycleDeriver(), 'voice', calls).events;
    const [ended] = only(events, 'conversation.ended') as [ConversationEndedEvent];
    assert.equal(ended.occurredAt, t(60));
  });
});
