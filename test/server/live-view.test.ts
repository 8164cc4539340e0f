import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventId, type LifecycleEvent } from '../../src/events.js';
import { InProgressBoard, queueOfEvent } from '../../src/server/in-progress.js';
import { RateSeries } from '../../src/server/rate-series.js';
import { RecentEvents } from '../../src/server/recent-events.js';

const at = '2026-01-01T10:00:00.000Z';
const source = { kind: 'topic' as const, topic: 'v2.routing.queues.q1.conversations' };

function started(
  conversationId: string,
  queueId?: string,
  mediaType: 'voice' | 'message' = 'voice',
): LifecycleEvent {
  return {
    id: eventId(conversationId, 'conversation.started'),
    type: 'conversation.started',
    conversationId,
    occurredAt: at,
    observedAt: at,
    mediaType,
    source,
    direction: 'inbound',
    ...(queueId ? { queueId } : {}),
  };
}

function joined(conversationId: string, queueId: string): LifecycleEvent {
  return {
    id: eventId(conversationId, 'participant.joined', 'p-agent'),
    type: 'participant.joined',
    conversationId,
    occurredAt: at,
    observedAt: at,
    mediaType: 'voice',
    source,
    participant: { participantId: 'p-agent', purpose: 'agent', userId: 'u1', queueId },
  };
}

function transferred(conversationId: string, queueId: string): LifecycleEvent {
  return {
    id: eventId(conversationId, 'conversation.transferred', 'p-agent'),
    type: 'conversation.transferred',
    conversationId,
    occurredAt: at,
    observedAt: at,
    mediaType: 'voice',
    source,
    from: { participantId: 'p-agent', purpose: 'agent' },
    to: { kind: 'queue', queueId },
    transferType: 'blind',
  };
}

function ended(conversationId: string): LifecycleEvent {
  return {
    id: eventId(conversationId, 'conversation.ended'),
    type: 'conversation.ended',
    conversationId,
    occurredAt: at,
    observedAt: at,
    mediaType: 'voice',
    source,
  };
}

describe('InProgressBoard', () => {
  it('counts conversations from start to end, on the queue they were last routed or transferred to', () => {
    const board = new InProgressBoard();
    board.observe(started('c1', 'q1'));
    board.observe(started('c2', undefined, 'message'));
    board.observe(started('c3', 'q1', 'message'));
    assert.equal(board.observe(joined('c2', 'q2')), 'q2', 'a join fills in the unknown queue');
    assert.equal(board.observe(joined('c1', 'q9')), 'q1', 'a join does not move a routed conversation');
    assert.equal(board.observe(transferred('c1', 'q3')), 'q3', 'a transfer moves it');
    let view = board.view();
    assert.equal(view.total, 3);
    assert.deepEqual(view.byMedia, { voice: 1, message: 2 });
    assert.deepEqual(
      view.rows.map((r) => [r.queueId, r.total, r.byMedia]),
      [
        ['q1', 1, { message: 1 }],
        ['q2', 1, { message: 1 }],
        ['q3', 1, { voice: 1 }],
      ],
    );
    assert.equal(board.observe(ended('c1')), 'q3', 'the end is labelled with the last queue');
    const lateWrapup: LifecycleEvent = {
      id: eventId('c1', 'conversation.wrapup', 'p-agent'),
      type: 'conversation.wrapup',
      conversationId: 'c1',
      occurredAt: at,
      observedAt: at,
      mediaType: 'voice',
      source,
      participant: { participantId: 'p-agent', purpose: 'agent' },
      afterCallWork: 'complete',
    };
    assert.equal(board.observe(lateWrapup), 'q3', 'a wrap-up after the end keeps the queue label');
    view = board.view();
    assert.equal(view.total, 2);
    assert.equal(view.byMedia.voice, undefined);
  });

  it('prunes conversations the deriver no longer has, after a grace period, and stays bounded', () => {
    const board = new InProgressBoard(3);
    board.observe(started('a'), 0);
    board.observe(started('b'), 0);
    board.observe(started('c'), 50_000);
    assert.equal(board.prune(['a'], 70_000, 60_000), 1, 'b is gone; c is too recent to judge');
    assert.equal(board.size, 2);
    board.observe(started('d'), 70_000);
    board.observe(started('e'), 70_000);
    assert.equal(board.size, 3, 'the oldest is dropped past capacity');
    assert.equal(board.queueOf('a'), undefined);
  });

  it('names the queue an event points at', () => {
    assert.equal(queueOfEvent(started('x', 'q5')), 'q5');
    assert.equal(queueOfEvent(transferred('x', 'q6')), 'q6');
    assert.equal(queueOfEvent(ended('x')), undefined);
  });
});

describe('RateSeries', () => {
  it('gives per-minute counts that slide every bucket and forget what is older than the window', () => {
    const series = new RateSeries(10_000, 5 * 60_000);
    const t0 = 1_000_000_000_000; // on a minute boundary
    series.record('conversation.started', t0 + 1_000);
    series.record('conversation.started', t0 + 15_000);
    series.record('conversation.ended', t0 + 25_000);
    series.record('participant.joined', t0 + 25_000);
    let view = series.view(t0 + 30_000);
    assert.deepEqual(view.lastMinute, { started: 2, transferred: 0, wrapup: 0, ended: 1 });
    assert.equal(view.points.length, 30);
    assert.equal(view.points.at(-1)!.t, t0 + 40_000);
    view = series.view(t0 + 65_000);
    assert.deepEqual(
      view.lastMinute,
      { started: 1, transferred: 0, wrapup: 0, ended: 1 },
      'the first start slid out',
    );
    view = series.view(t0 + 20 * 60_000);
    assert.deepEqual(view.lastMinute, { started: 0, transferred: 0, wrapup: 0, ended: 0 });
    assert.ok(view.points.every((p) => p.started === 0));
    assert.throws(() => new RateSeries(7_000), RangeError);
  });
});

describe('RecentEvents', () => {
  it('keeps the last N events and filters by type, type family, queue and media, newest first', () => {
    const recent = new RecentEvents(4);
    recent.push({ queueId: 'q1', event: started('c1', 'q1') });
    recent.push({ queueId: 'q2', event: started('c2', 'q2', 'message') });
    recent.push({ queueId: 'q1', event: joined('c1', 'q1') });
    recent.push({ queueId: 'q1', event: transferred('c1', 'q2') });
    recent.push({ queueId: 'q2', event: ended('c1') });
    assert.equal(recent.lastSeq, 5);
    assert.deepEqual(
      recent.query().map((v) => v.seq),
      [5, 4, 3, 2],
      'the oldest fell out',
    );
    assert.deepEqual(
      recent.query({ types: ['conversation.started'] }).map((v) => v.event.conversationId),
      ['c2'],
    );
    assert.deepEqual(
      recent.query({ types: ['conversation.*'] }).map((v) => v.seq),
      [5, 4, 2],
    );
    assert.deepEqual(
      recent.query({ queues: ['q1'] }).map((v) => v.seq),
      [4, 3],
    );
    assert.deepEqual(
      recent.query({ media: ['message'] }).map((v) => v.seq),
      [2],
    );
    assert.deepEqual(
      recent.query({ limit: 2 }).map((v) => v.seq),
      [5, 4],
    );
    assert.deepEqual(
      recent.query({ after: 3 }).map((v) => v.seq),
      [5, 4],
    );
  });
});
