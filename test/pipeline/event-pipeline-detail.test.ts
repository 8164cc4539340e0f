/**
 * The pipeline with detail events: records are held by the assembler, derived as legs with the snapshot deriver's ids,
 * and each notification is acknowledged once its events were handed on — a held record only after its release, a
 * record that cannot be read never, a detail event that changes no leg at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventId, eventSubject, type LifecycleEvent } from '../../src/events.js';
import { EventPipeline } from '../../src/pipeline/event-pipeline.js';
import type { Notification } from '../../src/stream/frames.js';
import { CONV, type RawDetail, raw, T0, voiceTransferRecords } from '../conversations/detail-helpers.js';
import { TestClock } from '../helpers/test-clock.js';

const HOLD = 2_000;
const SETTLE = 10_000;

function pipeline() {
  const clock = new TestClock(T0);
  const delivered: LifecycleEvent[] = [];
  const offline = () => Promise.reject(new Error('offline'));
  const p = new EventPipeline({
    reader: { readAnalytics: offline, readConversation: offline },
    deliver: (e) => delivered.push(e),
    deriver: { now: () => clock.now() },
    now: () => clock.now(),
    detailEvents: { timers: clock, holdMs: HOLD, settleMs: SETTLE },
  });
  const acknowledged: string[] = [];
  const notify = (r: RawDetail, name = `${r.topic}@${r.body.eventTime}`) => {
    const n: Notification = {
      kind: 'notification',
      topicName: r.topic,
      topic: r.topic.toLowerCase(),
      version: '2',
      eventBody: r.body,
      correlationId: undefined,
      receivedAt: clock.now(),
      acknowledge: () => acknowledged.push(name),
    };
    p.receive(n);
  };
  return { clock, p, delivered, acknowledged, notify };
}

describe('EventPipeline: detail events', () => {
  it('derives the lifecycle, acknowledging each record once it was derived from', () => {
    const { clock, p, delivered, acknowledged, notify } = pipeline();
    const records = voiceTransferRecords();
    notify(records[0]!, 'first');
    assert.deepEqual(acknowledged, [], 'held');
    clock.advance(HOLD);
    assert.deepEqual(acknowledged, ['first']);
    assert.equal(delivered[0]?.type, 'conversation.started');
    for (const r of records.slice(1)) notify(r);
    clock.advance(HOLD + SETTLE + 1);
    assert.equal(acknowledged.length, records.length, 'every record acknowledged');
    assert.deepEqual(
      delivered.map((e) => e.type),
      [
        'conversation.started',
        'participant.joined',
        'conversation.transferred',
        'participant.left',
        'participant.joined',
        'conversation.wrapup',
        'participant.left',
        'conversation.wrapup',
        'conversation.ended',
      ],
    );
    for (const e of delivered) assert.equal(e.id, eventId(CONV, e.type, eventSubject(e)));
    assert.equal(delivered[0]!.source.kind, 'topic');
    assert.equal(p.stats().detailEvents, records.length);
    assert.equal(p.detailStats().held, 0);
    p.close();
  });

  it('never acknowledges a record it cannot read, and acknowledges at once what changes no leg', () => {
    const { clock, p, acknowledged, notify } = pipeline();
    const bad = raw('user.end', 'a0000000-0000-4000-8000-0000000000ff', 0);
    delete bad.body.participantId;
    notify(bad, 'bad');
    notify(raw('flow.outcome', 'a0000000-0000-4000-8000-0000000000fe', 0), 'outcome');
    clock.advance(HOLD + SETTLE);
    assert.deepEqual(acknowledged, ['outcome']);
    assert.equal(p.stats().malformed, 1);
    assert.deepEqual(p.stats().ignoredTopics, { 'v2.detail.events.conversation.{id}.flow.outcome': 1 });
    p.close();
  });

  it('leaves records still held unacknowledged when it closes', () => {
    const { clock, p, acknowledged, notify } = pipeline();
    notify(voiceTransferRecords()[0]!, 'held');
    p.close();
    clock.advance(HOLD * 2);
    assert.deepEqual(acknowledged, []);
  });
});
