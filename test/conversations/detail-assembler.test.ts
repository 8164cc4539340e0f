/**
 * Detail events through the assembler and the lifecycle deriver: the facts, ids and fields of the snapshot deriver,
 * whether records come in order, twice, shuffled within the hold window or all at once in reverse; the end only
 * after every leg ended and a settle interval passed; tokens handed back once their records were derived from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetailEventAssembler } from '../../src/conversations/detail-assembler.js';
import { LifecycleDeriver } from '../../src/conversations/index.js';
import { eventId, eventSubject, type LifecycleEvent } from '../../src/events.js';
import { TestClock } from '../helpers/test-clock.js';
import {
  ACD2,
  AGENT1,
  AGENT2,
  CONTACT,
  CONV,
  CUSTOMER,
  parse,
  Q1,
  Q2,
  type RawDetail,
  raw,
  shuffled,
  T0,
  U2,
  U3,
  voiceTransferRecords,
  W1,
  W2,
} from './detail-helpers.js';

const iso = (at: number) => new Date(T0 + at).toISOString();
const HOLD = 2_000;
const SETTLE = 10_000;

/** An assembler on a test clock feeding a deriver; events and acknowledged tokens are collected. */
function harness(options: { holdMs?: number; settleMs?: number } = {}) {
  const clock = new TestClock(T0);
  const deriver = new LifecycleDeriver({ now: () => clock.now() });
  const events: LifecycleEvent[] = [];
  const applied: string[] = [];
  const lookups: string[] = [];
  const assembler = new DetailEventAssembler<string>({
    timers: clock,
    holdMs: options.holdMs ?? HOLD,
    settleMs: options.settleMs ?? SETTLE,
    deliver: (legs, source, observedAt) => {
      const result = deriver.ingestLegs(legs, source, observedAt);
      events.push(...result.events);
      for (const l of result.wrapupLookups) lookups.push(l.participantId);
    },
    onApplied: (tokens) => applied.push(...tokens),
  });
  const add = (r: RawDetail, token?: string) =>
    assembler.add(parse(r), { kind: 'topic', topic: r.topic }, token ?? `${r.topic}@${r.body.eventTime}`);
  /** Feeds each record when it happened (time moves to it first), then lets everything settle. */
  const play = (records: RawDetail[], lateBy: (r: RawDetail, i: number) => number = () => 0) => {
    const timed = records
      .map((r, i) => ({ r, at: (r.body.eventTime as number) + lateBy(r, i), i }))
      .sort((a, b) => a.at - b.at || a.i - b.i);
    for (const { r, at } of timed) {
      if (at > clock.now()) clock.advance(at - clock.now());
      add(r);
    }
    clock.advance(HOLD + SETTLE + 1);
  };
  return { clock, deriver, events, applied, lookups, assembler, add, play };
}

/** What the snapshot deriver gives for the same conversation (ids, times and fields). */
const EXPECTED: Array<[string, string, string]> = [
  ['conversation.started', '', iso(0)],
  ['participant.joined', AGENT1, iso(40_000)],
  ['conversation.transferred', AGENT1, iso(100_000)],
  ['participant.left', AGENT1, iso(100_000)],
  ['participant.joined', AGENT2, iso(115_000)],
  ['conversation.wrapup', AGENT1, iso(130_000)],
  ['participant.left', AGENT2, iso(200_200)],
  ['conversation.ended', '', iso(200_200)],
  ['conversation.wrapup', AGENT2, iso(230_000)],
];

function summary(events: LifecycleEvent[]): Array<[string, string, string]> {
  return events.map((e) => [e.type, eventSubject(e), e.occurredAt]);
}

/** Events by id, each id once, without where and when they were seen. */
function facts(events: LifecycleEvent[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    assert.ok(!out.has(e.id), `${e.type} ${e.id} emitted twice`);
    const { observedAt: _o, source: _s, ...rest } = e;
    // The first queue is on conversation.started only when known by then (as with snapshots).
    if (rest.type === 'conversation.started') delete rest.queueId;
    out.set(e.id, rest);
  }
  return out;
}

describe('DetailEventAssembler with the lifecycle deriver', () => {
  it('derives the lifecycle of a conversation told in order, with the snapshot deriver ids and fields', () => {
    const h = harness();
    h.play(voiceTransferRecords());
    assert.deepEqual(summary(h.events), EXPECTED);
    for (const e of h.events) assert.equal(e.id, eventId(CONV, e.type, eventSubject(e)));
    const byType = (type: string, subject = '') =>
      h.events.find((e) => e.type === type && eventSubject(e) === subject) as unknown as Record<
        string,
        unknown
      >;
    const started = byType('conversation.started');
    assert.equal(started.mediaType, 'voice');
    assert.equal(started.direction, 'inbound');
    assert.deepEqual(started.customer, {
      participantId: CUSTOMER,
      purpose: 'customer',
      externalContactId: CONTACT,
    });
    assert.deepEqual(byType('participant.joined', AGENT1).participant, {
      participantId: AGENT1,
      purpose: 'agent',
      userId: U2,
      queueId: Q1,
    });
    const transferred = byType('conversation.transferred', AGENT1);
    assert.deepEqual(transferred.to, { kind: 'queue', queueId: Q2, participantId: ACD2 });
    assert.equal(transferred.transferType, 'blind');
    assert.equal(byType('participant.left', AGENT1).disconnectType, 'transfer');
    assert.equal(byType('participant.left', AGENT2).disconnectType, 'peer');
    const wrapup1 = byType('conversation.wrapup', AGENT1);
    assert.equal(wrapup1.code, W1);
    assert.equal(wrapup1.durationSeconds, 30);
    assert.equal(wrapup1.afterCallWork, 'complete');
    const wrapup2 = byType('conversation.wrapup', AGENT2);
    assert.equal(wrapup2.code, W2);
    assert.deepEqual(wrapup2.participant, {
      participantId: AGENT2,
      purpose: 'agent',
      userId: U3,
      queueId: Q2,
    });
    assert.equal(byType('conversation.ended').durationMs, 200_200);
    assert.deepEqual(h.lookups, [], 'codes come with the records: nothing to look up');
  });

  it('gives the same facts when every record arrives twice, the copy late', () => {
    const reference = facts(runInOrder());
    const h = harness();
    const records = voiceTransferRecords();
    h.play([...records, ...records.map((r) => ({ ...r }))], (_r, i) => (i < records.length ? 0 : 700));
    assert.deepEqual(facts(h.events), reference);
    assert.ok(h.assembler.stats().duplicates >= records.length);
  });

  it('gives the same facts when records are shuffled within the hold window', () => {
    const reference = facts(runInOrder());
    for (let seed = 1; seed <= 30; seed++) {
      const h = harness();
      const records = voiceTransferRecords();
      // Each record late by up to a second and a half, and some of them again up to another.
      const delays = shuffled(
        records.map((_r, i) => (i * 211) % 1_500),
        seed,
      );
      const again = shuffled(records, seed).slice(0, 6);
      h.play([...records, ...again], (_r, i) => (i < records.length ? delays[i]! : 1_000 + i * 37));
      assert.deepEqual(facts(h.events), reference, `seed ${seed}`);
    }
  });

  it('gives the same facts from a whole conversation arriving at once, in any order', () => {
    const reference = facts(runInOrder());
    for (let seed = 1; seed <= 30; seed++) {
      const h = harness();
      h.clock.advance(300_000);
      for (const r of shuffled(voiceTransferRecords(), seed)) h.add(r);
      h.clock.advance(HOLD + SETTLE + 1);
      assert.deepEqual(facts(h.events), reference, `seed ${seed}`);
    }
  });

  it('releases a record only with those that happened before it, even when they arrive later', () => {
    const h = harness();
    const records = voiceTransferRecords();
    const upTo = (ms: number) => records.filter((r) => (r.body.eventTime as number) < T0 + ms);
    for (const r of upTo(100_000)) h.add(r);
    h.clock.advance(HOLD);
    // A late copy of an earlier record opens a window that ends in the middle of what follows.
    h.clock.advance(99_000);
    h.add(records[3]!);
    h.clock.advance(1_000);
    // The hand-over: the second agent's offer arrives first, the new queue's leg a second and a half later.
    h.add(records.find((r) => r.topic.endsWith('user.end') && r.body.participantId === AGENT1)!);
    h.add(raw('user.start', AGENT2, 100_100, { userId: U3, queueId: Q2 }));
    h.clock.advance(1_500);
    h.add(records.find((r) => r.topic.endsWith('acd.start') && r.body.participantId === ACD2)!);
    h.clock.advance(HOLD);
    const transfer = h.events.find((e) => e.type === 'conversation.transferred') as unknown as Record<
      string,
      unknown
    >;
    assert.deepEqual(transfer.to, { kind: 'queue', queueId: Q2, participantId: ACD2 });
  });

  it('ends only once every leg ended and nothing arrived for the settle interval', () => {
    const h = harness();
    const records = voiceTransferRecords();
    const beforeEnd = records.filter((r) => (r.body.eventTime as number) < T0 + 200_000);
    for (const r of beforeEnd) h.add(r);
    h.clock.advance(HOLD + SETTLE + 1);
    assert.ok(!h.events.some((e) => e.type === 'conversation.ended'), 'agent 2 still connected');
    // The customer hangs up: the agent's end is still to come, so nothing ends.
    h.add(records.find((r) => r.topic.endsWith('customer.end'))!);
    h.clock.advance(HOLD + SETTLE + 1);
    assert.ok(!h.events.some((e) => e.type === 'conversation.ended'));
    h.add(records.find((r) => r.topic.endsWith('user.end') && r.body.participantId === AGENT2)!);
    h.clock.advance(HOLD);
    assert.ok(h.events.some((e) => e.type === 'participant.left' && eventSubject(e) === AGENT2));
    assert.ok(!h.events.some((e) => e.type === 'conversation.ended'), 'not before the settle interval');
    // A record arriving in the meantime restarts the interval.
    h.clock.advance(SETTLE - HOLD - 1_000);
    h.add(records.find((r) => r.topic.endsWith('acw') && r.body.participantId === AGENT2)!);
    h.clock.advance(2_000);
    assert.ok(!h.events.some((e) => e.type === 'conversation.ended'));
    h.clock.advance(SETTLE);
    const ended = h.events.filter((e) => e.type === 'conversation.ended');
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.occurredAt, iso(200_200));
    assert.equal(h.assembler.stats().settled, 1);
  });

  it('does not end while a leg that has started has not ended, however long it waits', () => {
    const h = harness();
    h.add(raw('customer.start', CUSTOMER, 0));
    h.add(raw('user.start', AGENT1, 1_000, { userId: U2 }));
    h.add(raw('customer.end', CUSTOMER, 5_000, { disconnectType: 'ENDPOINT' }));
    h.clock.advance(60 * 60_000);
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['conversation.started'],
    );
  });

  it('emits a wrap-up that arrives after the conversation ended, once', () => {
    const h = harness();
    const records = voiceTransferRecords();
    const late = records.filter((r) => r.body.participantId === AGENT2 && /acw|wrapup/.test(r.topic));
    h.play(records.filter((r) => !late.includes(r)));
    assert.ok(h.events.some((e) => e.type === 'conversation.ended'));
    assert.ok(!h.events.some((e) => e.type === 'conversation.wrapup' && eventSubject(e) === AGENT2));
    h.clock.advance(5 * 60_000);
    for (const r of [...late, ...late]) h.add(r);
    h.clock.advance(HOLD + SETTLE + 1);
    const wrapups = h.events.filter((e) => e.type === 'conversation.wrapup' && eventSubject(e) === AGENT2);
    assert.equal(wrapups.length, 1);
    assert.equal((wrapups[0] as { code?: string }).code, W2);
    assert.deepEqual(facts(h.events), facts(runInOrder()));
  });

  it('reads a consult transfer straight to a user, and a skipped after-call work', () => {
    const h = harness();
    h.play([
      raw('customer.start', CUSTOMER, 0, { mediaType: 'MESSAGE', messageType: 'WEBMESSAGING' }),
      raw('acd.start', 'a0000000-0000-4000-8000-000000000003', 0, { mediaType: 'MESSAGE', queueId: Q1 }),
      raw('user.start', AGENT1, 5_000, { mediaType: 'MESSAGE', userId: U2, queueId: Q1 }),
      raw('acd.end', 'a0000000-0000-4000-8000-000000000003', 9_000, {
        mediaType: 'MESSAGE',
        queueId: Q1,
        disconnectType: 'TRANSFER',
        acdOutcome: 'ANSWERED',
        answeredUserId: U2,
      }),
      raw('user.start', AGENT2, 60_000, { mediaType: 'MESSAGE', userId: U3 }),
      raw('user.end', AGENT1, 90_000, {
        mediaType: 'MESSAGE',
        userId: U2,
        disconnectType: 'CONSULT_TRANSFER',
        interactingDurationMs: 50_000,
        heldDurationMs: 31_000,
      }),
      raw('wrapup', AGENT1, 90_000, { mediaType: 'MESSAGE', wrapupCode: W1, wrapupDurationMs: 0 }),
      raw('user.end', AGENT2, 150_000, {
        mediaType: 'MESSAGE',
        userId: U3,
        disconnectType: 'CLIENT',
        alertingDurationMs: 4_000,
        interactingDurationMs: 86_000,
      }),
      raw('customer.end', CUSTOMER, 150_000, { mediaType: 'MESSAGE', disconnectType: 'PEER' }),
      raw('acw', AGENT2, 170_000, {
        mediaType: 'MESSAGE',
        userId: U3,
        wrapupCode: W2,
        wrapupDurationMs: 20_000,
      }),
    ]);
    assert.deepEqual(summary(h.events), [
      ['conversation.started', '', iso(0)],
      ['participant.joined', AGENT1, iso(9_000)],
      ['conversation.transferred', AGENT1, iso(90_000)],
      ['participant.left', AGENT1, iso(90_000)],
      ['conversation.wrapup', AGENT1, iso(90_000)],
      // Reached without a queue, the second agent is known to have answered only from its user.end.
      ['participant.joined', AGENT2, iso(64_000)],
      ['participant.left', AGENT2, iso(150_000)],
      ['conversation.ended', '', iso(150_000)],
      ['conversation.wrapup', AGENT2, iso(170_000)],
    ]);
    const started = h.events[0] as unknown as Record<string, unknown>;
    assert.equal(started.mediaType, 'message');
    assert.equal(started.messageType, 'webmessaging');
    assert.equal(started.queueId, Q1);
    const transfer = h.events.find((e) => e.type === 'conversation.transferred') as unknown as Record<
      string,
      unknown
    >;
    assert.equal(transfer.transferType, 'consult');
    assert.deepEqual(transfer.to, { kind: 'user', userId: U3, participantId: AGENT2 });
    const skipped = h.events.find(
      (e) => e.type === 'conversation.wrapup' && eventSubject(e) === AGENT1,
    ) as unknown as Record<string, unknown>;
    assert.equal(skipped.afterCallWork, 'skipped');
    assert.equal(skipped.code, W1);
  });

  it('derives everything at once at the end of a recording, without waiting for the hold or the settle', () => {
    const h = harness();
    for (const r of shuffled(voiceTransferRecords(), 7)) h.add(r);
    assert.deepEqual(h.events, []);
    h.assembler.finish();
    assert.deepEqual(facts(h.events), facts(runInOrder()));
    assert.equal(h.assembler.stats().held, 0);
  });

  it('hands tokens back once their records were derived from, and says which are held', () => {
    const h = harness();
    const [first, second] = voiceTransferRecords();
    h.add(first!, 'm1');
    h.clock.advance(500);
    h.add(second!, 'm2');
    h.add(first!, 'm1-again');
    assert.deepEqual(h.applied, []);
    assert.deepEqual(h.assembler.heldTokens().sort(), ['m1', 'm1-again', 'm2']);
    assert.equal(h.assembler.stats().held, 3);
    h.clock.advance(HOLD - 500);
    assert.deepEqual(h.applied, ['m1', 'm2', 'm1-again']);
    assert.equal(h.events[0]?.type, 'conversation.started', 'derived before the tokens came back');
    assert.deepEqual(h.assembler.heldTokens(), []);
    // A duplicate alone is acknowledged after its hold, and derives nothing.
    const before = h.events.length;
    h.add(first!, 'm1-third');
    h.clock.advance(HOLD);
    assert.deepEqual(h.applied.at(-1), 'm1-third');
    assert.equal(h.events.length, before);
  });

  it('resumes from its checkpoint: a restarted assembler still ends the conversation', () => {
    const h = harness();
    const records = voiceTransferRecords();
    for (const r of records) h.add(r);
    h.clock.advance(HOLD);
    const saved = JSON.parse(JSON.stringify(h.assembler.exportState()));
    const deriverState = h.deriver.exportState();
    h.assembler.stop();
    assert.ok(!h.events.some((e) => e.type === 'conversation.ended'));

    const clock = h.clock;
    const deriver = new LifecycleDeriver({ now: () => clock.now() });
    deriver.importState(deriverState);
    const events: LifecycleEvent[] = [];
    const restarted = new DetailEventAssembler({
      timers: clock,
      holdMs: HOLD,
      settleMs: SETTLE,
      deliver: (legs, source, observedAt) =>
        events.push(...deriver.ingestLegs(legs, source, observedAt).events),
    });
    restarted.importState(saved);
    clock.advance(SETTLE + 1);
    assert.deepEqual(
      events.map((e) => e.type),
      ['conversation.ended'],
    );
  });

  it('forgets conversations past their retention, and counts those that never ended', () => {
    const clock = new TestClock(T0);
    const assembler = new DetailEventAssembler({
      timers: clock,
      holdMs: HOLD,
      settleMs: SETTLE,
      retainMs: 60_000,
      idleMs: 120_000,
      deliver: () => {},
    });
    for (const r of voiceTransferRecords()) assembler.add(parse(r), { kind: 'topic', topic: r.topic });
    assembler.add(parse(raw('customer.start', CUSTOMER, 0, {}, 'c0ffee00-0000-4000-8000-00000000d002')), {
      kind: 'topic',
      topic: 'x',
    });
    clock.advance(HOLD + SETTLE + 1);
    assert.equal(assembler.stats().conversations, 2);
    // Another conversation's records keep the timer going.
    for (let i = 1; i <= 5; i++) {
      clock.advance(40_000);
      assembler.add(
        parse(raw('customer.start', CUSTOMER, 0, {}, `c0ffee00-0000-4000-8000-00000000e00${i}`)),
        {
          kind: 'topic',
          topic: 'x',
        },
      );
      clock.advance(HOLD);
    }
    const stats = assembler.stats();
    assert.ok(stats.conversations <= 5, `${stats.conversations} remembered`);
    assert.equal(stats.dropped >= 1, true, 'the one that never ended was dropped as idle');
  });
});

function runInOrder(): LifecycleEvent[] {
  const h = harness();
  h.play(voiceTransferRecords());
  return h.events;
}
