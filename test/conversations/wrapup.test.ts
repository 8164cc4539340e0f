import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  AnalyticsConversationRecord,
  AnalyticsSegment,
} from '../../src/conversations/analytics-legs.js';
import {
  type DerivedWrapupEvent,
  LifecycleDeriver,
  parseConversationSnapshot,
} from '../../src/conversations/index.js';
import { eventId } from '../../src/events.js';
import { cloneBody, feed, loadFrames, loadRestConversation, sourceOf, summary } from './helpers.js';

const BASIC = '0b6f1d2e-3c4a-4b5c-9d6e-7f8a9b0c1d01';
const BASIC_AGENT = '3eb81865-7076-42d4-b2f1-70af40f94e1d';
const CODE_RESOLVED = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e01';

type Participant = Record<string, unknown> & { calls?: Array<Record<string, unknown>> };

function agentOf(body: Record<string, unknown>, participantId: string): Participant {
  return (body.participants as Participant[]).find((p) => p.id === participantId)!;
}

describe('wrap-up after the disconnect, code by lookup', () => {
  it('emits the wrap-up once when the lookup is answered, however often it is answered or re-seen', () => {
    const deriver = new LifecycleDeriver();
    const frames = loadFrames('voice-inbound-basic');
    const run = feed(deriver, frames);
    assert.deepEqual(run.lookups, [{ conversationId: BASIC, participantId: BASIC_AGENT }]);
    const wrapup = {
      code: CODE_RESOLVED,
      name: 'Resolved',
      durationSeconds: 49,
      endTime: '2024-03-12T14:08:01.932Z',
    };
    const events = deriver.completeWrapup(BASIC, BASIC_AGENT, wrapup);
    assert.deepEqual(summary(events), [['conversation.wrapup', BASIC_AGENT, '2024-03-12T14:08:01.932Z']]);
    const event = events[0] as DerivedWrapupEvent;
    assert.equal(event.id, eventId(BASIC, 'conversation.wrapup', BASIC_AGENT));
    assert.equal(event.code, CODE_RESOLVED);
    assert.equal(event.codeName, 'Resolved');
    assert.equal(event.durationSeconds, 49);
    assert.equal(event.afterCallWork, 'complete');
    assert.equal(event.codeLookupFailed, undefined);
    assert.deepEqual(deriver.completeWrapup(BASIC, BASIC_AGENT, wrapup), []);
    assert.deepEqual(feed(deriver, frames.slice(-2)), { events: [], lookups: [] });
    assert.deepEqual(deriver.ingestRestConversation(loadRestConversation('voice-inbound-basic')).events, []);
  });

  it('takes the time from the snapshot and the duration from ACW when REST gives only a code', () => {
    const deriver = new LifecycleDeriver();
    feed(deriver, loadFrames('voice-inbound-basic'));
    const [event] = deriver.completeWrapup(BASIC, BASIC_AGENT, { code: CODE_RESOLVED }) as [
      DerivedWrapupEvent,
    ];
    assert.equal(event.occurredAt, '2024-03-12T14:08:01.932Z');
    assert.equal(event.durationSeconds, 49);
  });

  it('emits without a code when the platform has none after completed after-call work', () => {
    const deriver = new LifecycleDeriver();
    feed(deriver, loadFrames('voice-inbound-basic'));
    const [event] = deriver.completeWrapup(BASIC, BASIC_AGENT, undefined) as [DerivedWrapupEvent];
    assert.equal(event.type, 'conversation.wrapup');
    assert.equal(event.code, undefined);
    assert.equal(event.afterCallWork, 'complete');
    assert.equal(event.codeLookupFailed, undefined);
  });

  it('flags a wrap-up emitted without its code because the lookup failed', () => {
    const deriver = new LifecycleDeriver();
    feed(deriver, loadFrames('voice-consult-transfer'));
    const events = deriver.failWrapupLookups('d2a9f5c8-7b6e-4f1a-a3c4-8e0b1d2f3a49') as DerivedWrapupEvent[];
    assert.equal(events.length, 2);
    for (const e of events) {
      assert.equal(e.codeLookupFailed, true);
      assert.equal(e.code, undefined);
    }
    assert.equal(deriver.pendingWrapupLookups().length, 0);
  });

  it('answers every lookup from one REST read of the conversation', () => {
    const deriver = new LifecycleDeriver();
    const run = feed(deriver, loadFrames('voice-consult-transfer'));
    assert.equal(run.lookups.length, 2);
    const rest = deriver.ingestRestConversation(loadRestConversation('voice-consult-transfer'));
    assert.deepEqual(
      rest.events.map((e) => [e.type, (e as DerivedWrapupEvent).code]),
      [
        ['conversation.wrapup', 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03'],
        ['conversation.wrapup', CODE_RESOLVED],
      ],
    );
    assert.deepEqual(rest.wrapupLookups, []);
    assert.equal(deriver.hasPendingWrapupLookups('d2a9f5c8-7b6e-4f1a-a3c4-8e0b1d2f3a49'), false);
  });

  it('keeps the lookup open while REST has not caught up with the after-call work', () => {
    const deriver = new LifecycleDeriver();
    feed(deriver, loadFrames('voice-inbound-basic'));
    const stale = loadRestConversation('voice-inbound-basic');
    const agent = agentOf(stale, BASIC_AGENT);
    delete agent.wrapup;
    delete agent.endAcwTime;
    agent.calls![0]!.afterCallWork = { state: 'pending', startTime: '2024-03-12T14:07:12.655Z' };
    const first = deriver.ingestRestConversation(stale);
    assert.deepEqual(first.events, []);
    assert.deepEqual(first.wrapupLookups, [{ conversationId: BASIC, participantId: BASIC_AGENT }]);
    const second = deriver.ingestRestConversation(loadRestConversation('voice-inbound-basic'));
    assert.deepEqual(summary(second.events), [
      ['conversation.wrapup', BASIC_AGENT, '2024-03-12T14:08:01.932Z'],
    ]);
  });
});

describe('after-call work skipped', () => {
  const CONV = 'a41c7e02-5f3b-4d19-8c6e-2b9d0f7a3e15';
  const BEN = '2dc7f725-4b11-420d-9ee2-a9efb0790b40';

  it('emits nothing when the platform has no code for a skipped wrap-up', () => {
    const deriver = new LifecycleDeriver();
    const run = feed(deriver, loadFrames('voice-blind-transfers'));
    assert.ok(run.lookups.some((l) => l.participantId === BEN));
    const rest = deriver.ingestRestConversation(loadRestConversation('voice-blind-transfers'));
    assert.deepEqual(
      rest.events.map((e) => [e.type, (e as DerivedWrapupEvent).participant.participantId]),
      [['conversation.wrapup', '6fd69e1c-5d75-4279-84e0-90a527aa63af']],
    );
    assert.deepEqual(rest.wrapupLookups, []);
    assert.deepEqual(deriver.completeWrapup(CONV, BEN, undefined), []);
    assert.equal(deriver.pendingWrapupLookups().length, 0);
  });

  it('emits a skipped wrap-up when the platform has a code', () => {
    const deriver = new LifecycleDeriver();
    feed(deriver, loadFrames('voice-blind-transfers'));
    const [event] = deriver.completeWrapup(CONV, BEN, {
      code: CODE_RESOLVED,
      endTime: '2024-03-13T09:46:20Z',
    }) as [DerivedWrapupEvent];
    assert.equal(event.afterCallWork, 'skipped');
    assert.equal(event.code, CODE_RESOLVED);
    assert.equal(event.occurredAt, '2024-03-13T09:46:20.000Z');
  });
});

describe('a wrap-up inside the snapshot', () => {
  it('is emitted straight away, with no lookup, and only once', () => {
    const frames = loadFrames('voice-inbound-basic');
    const deriver = new LifecycleDeriver();
    feed(deriver, frames.slice(0, -2));
    const body = cloneBody(frames.at(-1)!);
    agentOf(body, BASIC_AGENT).wrapup = {
      code: CODE_RESOLVED,
      notes: 'called back about invoice',
      tags: [],
      durationSeconds: 49,
      endTime: '2024-03-12T14:08:01.932Z',
    };
    const result = deriver.ingest(parseConversationSnapshot(body), sourceOf(frames.at(-1)!));
    assert.deepEqual(summary(result.events), [
      ['conversation.wrapup', BASIC_AGENT, '2024-03-12T14:08:01.932Z'],
    ]);
    assert.equal((result.events[0] as DerivedWrapupEvent).notes, 'called back about invoice');
    assert.deepEqual(result.wrapupLookups, []);
    assert.deepEqual(deriver.ingest(parseConversationSnapshot(body), sourceOf(frames.at(-1)!)).events, []);
  });

  it('ignores a provisional code and waits for the real one', () => {
    const frames = loadFrames('voice-inbound-basic');
    const deriver = new LifecycleDeriver();
    feed(deriver, frames.slice(0, -2));
    const body = cloneBody(frames.at(-1)!);
    agentOf(body, BASIC_AGENT).wrapup = { code: CODE_RESOLVED, provisional: true };
    const result = deriver.ingest(parseConversationSnapshot(body), sourceOf(frames.at(-1)!));
    assert.deepEqual(result.events, []);
    assert.deepEqual(result.wrapupLookups, [{ conversationId: BASIC, participantId: BASIC_AGENT }]);
  });
});

describe('backfill from REST alone', () => {
  it('derives every fact of a conversation the stream never showed, wrap-ups included', () => {
    const deriver = new LifecycleDeriver();
    const result = deriver.ingestRestConversation(loadRestConversation('voice-consult-transfer'), {
      kind: 'backfill',
      via: 'conversation',
      gapStart: '2024-03-13T16:00:00.000Z',
      gapEnd: '2024-03-13T16:20:00.000Z',
    });
    const live = feed(new LifecycleDeriver(), loadFrames('voice-consult-transfer'));
    const ids = (events: { id: string }[]) => events.map((e) => e.id).sort();
    assert.deepEqual(
      ids(result.events.filter((e) => e.type !== 'conversation.wrapup')),
      ids(live.events),
      'the same facts carry the same ids whichever way they were learnt',
    );
    assert.equal(result.events.filter((e) => e.type === 'conversation.wrapup').length, 2);
    assert.deepEqual(result.wrapupLookups, []);
    for (const e of result.events) assert.equal(e.source.kind, 'backfill');
  });
});

describe('after-call work under way, and an analytics record behind it', () => {
  const ANALYTICS = { kind: 'backfill', via: 'analytics' } as const;
  const CUSTOMER = 'd856a4b4-6721-4db0-83fa-f3b5c3a0b9a4';
  const QUEUE = '5c1f6b3e-2d4a-4e8b-9f07-1a2b3c4d5e61';

  /** The conversation's analytics record: the agent still talking, or (`acwEnd`) after-call work done with a code. */
  function record(acwEnd?: string): AnalyticsConversationRecord {
    const agentSegments: AnalyticsSegment[] = [
      {
        segmentType: 'alert',
        segmentStart: '2024-03-12T14:03:28.000Z',
        segmentEnd: '2024-03-12T14:03:31.207Z',
      },
      { segmentType: 'interact', segmentStart: '2024-03-12T14:03:31.207Z', queueId: QUEUE },
    ];
    if (acwEnd) {
      agentSegments[1]!.segmentEnd = '2024-03-12T14:07:12.655Z';
      agentSegments[1]!.disconnectType = 'peer';
      agentSegments.push({
        segmentType: 'wrapup',
        segmentStart: '2024-03-12T14:07:12.655Z',
        segmentEnd: acwEnd,
        wrapUpCode: CODE_RESOLVED,
      });
    }
    return {
      conversationId: BASIC,
      conversationStart: '2024-03-12T14:03:00.412Z',
      ...(acwEnd ? { conversationEnd: '2024-03-12T14:07:12.655Z' } : {}),
      participants: [
        {
          participantId: CUSTOMER,
          purpose: 'customer',
          sessions: [
            {
              mediaType: 'voice',
              direction: 'inbound',
              segments: [
                {
                  segmentType: 'interact',
                  segmentStart: '2024-03-12T14:03:00.412Z',
                  ...(acwEnd ? { segmentEnd: '2024-03-12T14:07:12.640Z', disconnectType: 'endpoint' } : {}),
                },
              ],
            },
          ],
        },
        {
          participantId: BASIC_AGENT,
          purpose: 'agent',
          userId: '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05',
          sessions: [{ mediaType: 'voice', direction: 'inbound', segments: agentSegments }],
        },
      ],
    };
  }

  it('keeps following an ended conversation whose wrap-up is to come, whatever an older record shows', () => {
    let now = Date.parse('2024-03-12T14:07:13.000Z');
    const deriver = new LifecycleDeriver({ now: () => now });
    const frames = loadFrames('voice-inbound-basic');
    const pending = frames.findIndex((f) => JSON.stringify(f.eventBody).includes('"pending"'));
    const live = feed(deriver, frames.slice(0, pending + 2));
    assert.ok(live.events.some((e) => e.type === 'conversation.ended'));
    assert.equal(deriver.stats().awaitingWrapup, 1, 'ended, after-call work under way');
    // A wrap-up lookup of another leg reads the record while analytics still shows the agent talking.
    now += 1000;
    assert.deepEqual(deriver.ingestAnalytics(record(), ANALYTICS).events, []);
    assert.equal(deriver.stats().awaitingWrapup, 1, 'the older record takes nothing back');
    // A gap: after-call work ends unseen. Recovery reads back the conversations followed and not seen since.
    now += 60_000;
    assert.deepEqual(deriver.followedConversationIds(now), [BASIC]);
    const recovered = deriver.ingestAnalytics(record('2024-03-12T14:08:01.932Z'), ANALYTICS);
    assert.deepEqual(summary(recovered.events), [
      ['conversation.wrapup', BASIC_AGENT, '2024-03-12T14:08:01.932Z'],
    ]);
    assert.equal((recovered.events[0] as DerivedWrapupEvent).code, CODE_RESOLVED);
  });
});
