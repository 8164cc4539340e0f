/**
 * Reading detail events into the flat per-leg model: the records' spelling, folding (duplicates change nothing, order
 * never matters), and the legs the deriver is given — answered or not, ended or not, after-call work and codes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyDetailRecord,
  type DetailConversation,
  detailLegsEnded,
  legsFromDetail,
  newDetailConversation,
  readDetailEvent,
} from '../../src/conversations/detail-events.js';
import { MalformedInputError } from '../../src/errors.js';
import {
  ACD1,
  ACD2,
  AGENT1,
  AGENT2,
  CONTACT,
  CONV,
  CUSTOMER,
  IVR,
  MISSED,
  parse,
  Q1,
  Q2,
  raw,
  shuffled,
  T0,
  U2,
  U3,
  voiceTransferRecords,
  W1,
} from './detail-helpers.js';

const iso = (at: number) => new Date(T0 + at).toISOString();

function fold(records: ReturnType<typeof voiceTransferRecords>): DetailConversation {
  const state = newDetailConversation(CONV);
  for (const r of records) applyDetailRecord(state, parse(r));
  return state;
}

describe('readDetailEvent', () => {
  it('reads upper-case enums and epoch milliseconds into the event vocabulary', () => {
    const reading = readDetailEvent(
      `v2.detail.events.conversation.${CONV.toUpperCase()}.user.end`,
      raw('user.end', AGENT1, 100_000, {
        userId: U2,
        queueId: Q1,
        disconnectType: 'CONSULT_TRANSFER',
        mediaType: 'MESSAGE',
        messageType: 'WEBMESSAGING',
        interactingDurationMs: 60_000,
      }).body,
    );
    assert.equal(reading.kind, 'record');
    assert.ok(reading.kind === 'record');
    const r = reading.record;
    assert.equal(r.event, 'user.end');
    assert.equal(r.conversationId, CONV);
    assert.equal(r.participantId, AGENT1);
    assert.equal(r.eventTime, T0 + 100_000);
    assert.equal(r.mediaType, 'message');
    assert.equal(r.messageType, 'webmessaging');
    assert.equal(r.direction, 'inbound');
    assert.equal(r.disconnectType, 'transfer.consult');
    assert.equal(r.interactingDurationMs, 60_000);
    assert.equal(r.userId, U2);
  });

  it('takes the conversation id from the topic when the body has none, and an ISO eventTime', () => {
    const r = raw('customer.start', CUSTOMER, 0);
    delete r.body.conversationId;
    r.body.eventTime = iso(0);
    const reading = readDetailEvent(r.topic, r.body);
    assert.ok(reading.kind === 'record');
    assert.equal(reading.record.conversationId, CONV);
    assert.equal(reading.record.eventTime, T0);
  });

  it('reads UNKNOWN as no value', () => {
    const reading = readDetailEvent(
      `v2.detail.events.conversation.${CONV}.customer.end`,
      raw('customer.end', CUSTOMER, 1, {
        disconnectType: 'UNKNOWN',
        direction: 'UNKNOWN',
        messageType: 'UNKNOWN',
      }).body,
    );
    assert.ok(reading.kind === 'record');
    assert.equal(reading.record.disconnectType, undefined);
    assert.equal(reading.record.direction, undefined);
    assert.equal(reading.record.messageType, undefined);
  });

  it('passes over events that do not change a leg, and add-on media, saying why', () => {
    for (const event of ['flow.outcome', 'attributes', 'contact', 'outbound']) {
      const r = raw(event, CUSTOMER, 0);
      const reading = readDetailEvent(r.topic, r.body);
      assert.equal(reading.kind, 'passed-over', event);
      assert.ok(reading.kind === 'passed-over' && reading.reason.length > 0);
    }
    const share = raw('user.start', AGENT1, 0, { mediaType: 'SCREENSHARE' });
    const reading = readDetailEvent(share.topic, share.body);
    assert.ok(reading.kind === 'passed-over' && reading.reason.includes('screenshare'));
  });

  it('refuses what is not a detail event, or a record without its ids or time', () => {
    assert.throws(() => readDetailEvent('v2.users.x.conversations', {}), MalformedInputError);
    const r = raw('user.end', AGENT1, 0);
    assert.throws(() => readDetailEvent(r.topic, 'not an object'), MalformedInputError);
    for (const key of ['participantId', 'eventTime']) {
      const body = { ...r.body };
      delete body[key];
      assert.throws(
        () => readDetailEvent(r.topic, body),
        (error: unknown) => error instanceof MalformedInputError && error.message.includes(key),
      );
    }
  });
});

describe('folding detail records', () => {
  it('changes nothing with a record seen again', () => {
    const state = newDetailConversation(CONV);
    for (const r of voiceTransferRecords()) assert.equal(applyDetailRecord(state, parse(r)), true, r.topic);
    const before = JSON.stringify(state);
    for (const r of voiceTransferRecords()) assert.equal(applyDetailRecord(state, parse(r)), false, r.topic);
    assert.equal(JSON.stringify(state), before);
  });

  it('gives the same legs whatever order the records came in', () => {
    const reference = JSON.stringify(legsFromDetail(fold(voiceTransferRecords()), { settled: true }));
    for (let seed = 1; seed <= 50; seed++) {
      const legs = legsFromDetail(fold(shuffled(voiceTransferRecords(), seed)), { settled: true });
      assert.equal(JSON.stringify(legs), reference, `order of seed ${seed}`);
    }
  });

  it('orders legs as participants are created, and reads each one', () => {
    const { legs } = legsFromDetail(fold(voiceTransferRecords()), { settled: true });
    assert.deepEqual(
      legs.map((l) => [l.participantId, l.purpose]),
      [
        [CUSTOMER, 'customer'],
        [IVR, 'ivr'],
        [ACD1, 'acd'],
        [MISSED, 'agent'],
        [AGENT1, 'agent'],
        [ACD2, 'acd'],
        [AGENT2, 'agent'],
      ],
    );
    const byId = new Map(legs.map((l) => [l.participantId, l]));
    const customer = byId.get(CUSTOMER)!;
    assert.equal(customer.externalContactId, CONTACT);
    assert.equal(customer.connectedTime, iso(0));
    assert.equal(customer.endTime, iso(200_000));
    assert.equal(customer.disconnectType, 'endpoint');
    assert.equal(customer.direction, 'inbound');
    assert.equal(customer.mediaType, 'voice');
    const missed = byId.get(MISSED)!;
    assert.equal(missed.connectedTime, undefined, 'an offer that timed out never connected');
    assert.equal(missed.state, 'disconnected');
    assert.equal(missed.wrapupRequired, undefined);
    const agent1 = byId.get(AGENT1)!;
    assert.equal(agent1.connectedTime, iso(40_000), 'answered when the queue said so');
    assert.equal(agent1.disconnectType, 'transfer');
    assert.deepEqual(agent1.afterCallWork, {
      state: 'complete',
      startTime: iso(100_000),
      endTime: iso(130_000),
    });
    assert.equal(agent1.wrapup?.code, W1);
    assert.equal(agent1.wrapup?.durationSeconds, 30);
    assert.equal(agent1.wrapup?.endTime, iso(130_000));
    assert.equal(byId.get(AGENT2)!.connectedTime, iso(115_000));
    assert.equal(byId.get(ACD2)!.queueId, Q2);
  });

  it('stands in for records still to come until settled', () => {
    const state = fold(voiceTransferRecords());
    assert.equal(detailLegsEnded(state), true);
    const open = legsFromDetail(state, { settled: false });
    const last = open.legs.at(-1)!;
    assert.equal(last.participantId, '');
    assert.equal(last.endTime, undefined);
    assert.equal(last.mediaType, 'voice');
    assert.equal(legsFromDetail(state, { settled: true }).legs.length, open.legs.length - 1);
  });

  it('reads an answer from talk time when no queue said who answered (a transfer straight to a user)', () => {
    const state = fold([
      raw('user.start', AGENT2, 100_000, { userId: U3 }),
      raw('user.end', AGENT2, 200_000, {
        userId: U3,
        disconnectType: 'PEER',
        alertingDurationMs: 4_000,
        interactingDurationMs: 90_000,
        heldDurationMs: 6_000,
      }),
    ]);
    const [leg] = legsFromDetail(state, { settled: true }).legs;
    assert.equal(leg!.connectedTime, iso(104_000));
  });

  it('never reads an offer without talk time as answered, even if the queue names its user', () => {
    const state = fold([
      raw('user.start', AGENT1, 0, { userId: U2, queueId: Q1 }),
      raw('acd.end', ACD1, 5_000, { queueId: Q1, acdOutcome: 'ANSWERED', answeredUserId: U2 }),
      raw('user.end', AGENT1, 5_000, { userId: U2, disconnectType: 'CLIENT', interactingDurationMs: 0 }),
    ]);
    const leg = legsFromDetail(state, { settled: true }).legs.find((l) => l.participantId === AGENT1)!;
    assert.equal(leg.connectedTime, undefined);
  });

  it('gives the answer to the leg that was offered at the time, not an earlier offer to the same user', () => {
    const state = fold([
      raw('user.start', MISSED, 0, { userId: U2, queueId: Q1 }),
      raw('user.end', MISSED, 8_000, { userId: U2, disconnectType: 'CLIENT', interactingDurationMs: 0 }),
      raw('user.start', AGENT1, 20_000, { userId: U2, queueId: Q1 }),
      raw('acd.end', ACD1, 25_000, { queueId: Q1, acdOutcome: 'ANSWERED', answeredUserId: U2 }),
    ]);
    const legs = legsFromDetail(state, { settled: false }).legs;
    assert.equal(legs.find((l) => l.participantId === MISSED)!.connectedTime, undefined);
    assert.equal(legs.find((l) => l.participantId === AGENT1)!.connectedTime, iso(25_000));
  });

  it('reads a wrap-up without after-call work as skipped, with its code', () => {
    const state = fold([
      raw('user.start', AGENT1, 0, { userId: U2 }),
      raw('user.end', AGENT1, 60_000, {
        userId: U2,
        disconnectType: 'CLIENT',
        interactingDurationMs: 55_000,
      }),
      raw('wrapup', AGENT1, 60_000, { wrapupCode: W1, wrapupDurationMs: 0 }),
    ]);
    const [leg] = legsFromDetail(state, { settled: true }).legs;
    assert.equal(leg!.afterCallWork?.state, 'skipped');
    assert.equal(leg!.wrapup?.code, W1);
    assert.equal(leg!.wrapup?.durationSeconds, 0);
  });

  it('keeps a leg open until its end arrives, and alerting until it is answered', () => {
    const state = fold([
      raw('customer.start', CUSTOMER, 0),
      raw('user.start', AGENT1, 1_000, { userId: U3 }),
    ]);
    assert.equal(detailLegsEnded(state), false);
    const legs = legsFromDetail(state, { settled: true }).legs;
    assert.equal(legs[0]!.state, 'connected');
    assert.equal(legs[1]!.state, 'alerting');
  });
});
