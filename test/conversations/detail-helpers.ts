/**
 * Detail-event records for tests, in the platform's shape (`…DetailEventTopic…Event`: upper-case enums, `eventTime`
 * in epoch ms), and one voice conversation told through them: an IVR, a missed offer, an answer, a blind transfer to
 * a second queue, a second answer, the customer hanging up, after-call work on both agent legs.
 */
import { type DetailRecord, readDetailEvent } from '../../src/conversations/detail-events.js';

export const T0 = Date.UTC(2026, 2, 10, 9, 0, 0);
export const CONV = 'c0ffee00-0000-4000-8000-00000000d001';
export const CUSTOMER = 'a0000000-0000-4000-8000-000000000001';
export const IVR = 'a0000000-0000-4000-8000-000000000002';
export const ACD1 = 'a0000000-0000-4000-8000-000000000003';
export const MISSED = 'a0000000-0000-4000-8000-000000000004';
export const AGENT1 = 'a0000000-0000-4000-8000-000000000005';
export const ACD2 = 'a0000000-0000-4000-8000-000000000006';
export const AGENT2 = 'a0000000-0000-4000-8000-000000000007';
export const Q1 = 'b0000000-0000-4000-8000-000000000001';
export const Q2 = 'b0000000-0000-4000-8000-000000000002';
export const U1 = 'e0000000-0000-4000-8000-000000000001';
export const U2 = 'e0000000-0000-4000-8000-000000000002';
export const U3 = 'e0000000-0000-4000-8000-000000000003';
export const W1 = 'f0000000-0000-4000-8000-000000000001';
export const W2 = 'f0000000-0000-4000-8000-000000000002';
export const CONTACT = 'd0000000-0000-4000-8000-000000000001';

/** A detail-event notification: its concrete topic and body. */
export interface RawDetail {
  topic: string;
  body: Record<string, unknown>;
}

/** A record of `event` on a leg at `T0 + at`, with the common fields a voice conversation's records carry. */
export function raw(
  event: string,
  participantId: string,
  at: number,
  fields: Record<string, unknown> = {},
  conversationId = CONV,
): RawDetail {
  return {
    topic: `v2.detail.events.conversation.${conversationId}.${event}`,
    body: {
      eventTime: T0 + at,
      conversationId,
      participantId,
      sessionId: `5${participantId.slice(1)}`,
      mediaType: 'VOICE',
      provider: 'Edge',
      direction: 'INBOUND',
      ani: 'tel:+15550100',
      dnis: 'tel:+15550199',
      ...fields,
    },
  };
}

/** Reads a raw record (it must be a leg record). */
export function parse(r: RawDetail): DetailRecord {
  const reading = readDetailEvent(r.topic, r.body);
  if (reading.kind !== 'record') throw new Error(`${r.topic} passed over: ${reading.reason}`);
  return reading.record;
}

/** The blind-transfer voice conversation, in the order things happened. */
export function voiceTransferRecords(): RawDetail[] {
  return [
    raw('customer.start', CUSTOMER, 0, { externalContactId: CONTACT }),
    raw('flow.start', IVR, 0, { flowType: 'INBOUNDCALL' }),
    raw('flow.end', IVR, 10_000, { flowType: 'INBOUNDCALL', disconnectType: 'TRANSFER' }),
    raw('acd.start', ACD1, 10_000, { queueId: Q1 }),
    raw('user.start', MISSED, 20_000, { userId: U1, queueId: Q1 }),
    raw('user.end', MISSED, 35_000, {
      userId: U1,
      queueId: Q1,
      disconnectType: 'SYSTEM',
      alertingDurationMs: 15_000,
      interactingDurationMs: 0,
    }),
    raw('user.start', AGENT1, 37_000, { userId: U2, queueId: Q1 }),
    raw('acd.end', ACD1, 40_000, {
      queueId: Q1,
      disconnectType: 'TRANSFER',
      acdOutcome: 'ANSWERED',
      answeredUserId: U2,
    }),
    raw('user.end', AGENT1, 100_000, {
      userId: U2,
      queueId: Q1,
      disconnectType: 'TRANSFER',
      alertingDurationMs: 3_000,
      interactingDurationMs: 60_000,
    }),
    raw('acd.start', ACD2, 100_000, { queueId: Q2 }),
    raw('user.start', AGENT2, 110_000, { userId: U3, queueId: Q2 }),
    raw('acd.end', ACD2, 115_000, {
      queueId: Q2,
      disconnectType: 'TRANSFER',
      acdOutcome: 'ANSWERED',
      answeredUserId: U3,
    }),
    raw('acw', AGENT1, 130_000, { userId: U2, queueId: Q1, wrapupCode: W1, wrapupDurationMs: 30_000 }),
    raw('wrapup', AGENT1, 130_000, { queueId: Q1, wrapupCode: W1, wrapupDurationMs: 30_000 }),
    raw('customer.end', CUSTOMER, 200_000, { disconnectType: 'ENDPOINT', externalContactId: CONTACT }),
    raw('user.end', AGENT2, 200_200, {
      userId: U3,
      queueId: Q2,
      disconnectType: 'PEER',
      alertingDurationMs: 5_000,
      interactingDurationMs: 70_200,
      heldDurationMs: 15_000,
    }),
    raw('acw', AGENT2, 230_000, { userId: U3, queueId: Q2, wrapupCode: W2, wrapupDurationMs: 29_800 }),
    raw('wrapup', AGENT2, 230_000, { queueId: Q2, wrapupCode: W2, wrapupDurationMs: 29_800 }),
  ];
}

/** The conversation tests' deterministic shuffle, for detail records too. */
export { shuffled } from './helpers.js';
