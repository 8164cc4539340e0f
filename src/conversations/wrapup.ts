/**
 * The wrap-up of an agent leg. The moment is after-call work finishing (`afterCallWork.state` complete or
 * `endAcwTime`), or a final wrap-up object in the snapshot. Notifications in practice carry no code, so a
 * finished leg without one becomes a lookup (REST `GET /api/v2/conversations/{id}` has it) and is emitted when
 * the answer comes. Skipped after-call work (the agent coded during the interaction) is emitted only with a
 * code; a leg whose wrap-up is not applicable is emitted only if a code shows up by itself.
 */
import type { ConversationWrapupEvent, EventSource, ParticipantRef } from '../events.js';
import type { EventBatch } from './batch.js';
import { type AfterCallWorkStatus, legAfterCallWork, legEndTime, legWrapup, participantRef } from './legs.js';
import type { ParticipantSnapshot, WrapupSnapshot } from './snapshot.js';
import { AWAITING_WRAPUP, type ConversationRecord, LOOKUP_PENDING, WRAPUP_DONE } from './state.js';
import { millisBetween } from './timestamps.js';

/** `conversation.wrapup` as the deriver builds it (the flag for a failed code lookup is on the event type). */
export type DerivedWrapupEvent = ConversationWrapupEvent;

function eventAfterCallWork(status: AfterCallWorkStatus): ConversationWrapupEvent['afterCallWork'] {
  return status === 'complete' || status === 'skipped' || status === 'notApplicable' ? status : 'unknown';
}

interface WrapupFacts {
  participant: ParticipantRef;
  wrapup: WrapupSnapshot | undefined;
  afterCallWork: ConversationWrapupEvent['afterCallWork'];
  occurredAt: string | undefined;
  durationSeconds: number | undefined;
  source?: EventSource;
  lookupFailed?: boolean;
}

function pushWrapup(batch: EventBatch, facts: WrapupFacts): void {
  const w = facts.wrapup;
  const event = batch.envelope(
    'conversation.wrapup',
    facts.participant.participantId,
    w?.endTime ?? facts.occurredAt,
    facts.source,
  ) as DerivedWrapupEvent;
  event.participant = facts.participant;
  if (w?.code !== undefined) event.code = w.code;
  if (w?.name !== undefined) event.codeName = w.name;
  if (w?.notes !== undefined) event.notes = w.notes;
  const duration = w?.durationSeconds ?? facts.durationSeconds;
  if (duration !== undefined) event.durationSeconds = duration;
  event.afterCallWork = facts.afterCallWork;
  if (facts.lookupFailed === true) event.codeLookupFailed = true;
  batch.push(event);
}

function acwSeconds(start: string | undefined, end: string | undefined): number | undefined {
  const ms = millisBetween(start, end);
  return ms === undefined || ms < 0 ? undefined : Math.round(ms / 1000);
}

/**
 * Settles an outstanding lookup with the code the platform gave (or none). Returns the participant's new bits;
 * the caller stores them. A skipped after-call work without a code emits nothing.
 */
export function resolvePendingWrapup(
  rec: ConversationRecord,
  batch: EventBatch,
  participantId: string,
  bits: number,
  wrapup: WrapupSnapshot | undefined,
  lookupFailed: boolean,
): number {
  const pending = rec.pending?.get(participantId);
  if (pending === undefined) return bits;
  rec.pending!.delete(participantId);
  if (rec.pending!.size === 0) rec.pending = undefined;
  const code = wrapup?.code !== undefined && wrapup.provisional !== true ? wrapup : undefined;
  if (code !== undefined || pending.afterCallWork === 'complete') {
    pushWrapup(batch, {
      participant: pending.participant,
      wrapup: code,
      afterCallWork: pending.afterCallWork,
      occurredAt: pending.occurredAt,
      durationSeconds: pending.durationSeconds,
      source: pending.source,
      lookupFailed: code === undefined && lookupFailed,
    });
  }
  return (bits & ~(LOOKUP_PENDING | AWAITING_WRAPUP)) | WRAPUP_DONE;
}

/**
 * One step of an ended agent leg's wrap-up. `authoritative` is true for a REST read, whose lack of a code is
 * final once it shows after-call work finished; a notification's lack of a code is not. Returns the new bits.
 */
export function stepWrapup(
  rec: ConversationRecord,
  batch: EventBatch,
  p: ParticipantSnapshot,
  bits: number,
  authoritative: boolean,
): number {
  const wrapup = legWrapup(p);
  if ((bits & LOOKUP_PENDING) !== 0) {
    // Waiting for the code: only a code, or a REST read showing the work finished without one, settles it.
    if (wrapup === undefined && !authoritative) return bits;
    const status = legAfterCallWork(p).status;
    if (wrapup !== undefined || status === 'complete' || status === 'skipped') {
      return resolvePendingWrapup(rec, batch, p.id, bits, wrapup, false);
    }
    batch.lookup(p.id);
    return bits;
  }
  const acw = legAfterCallWork(p);
  const finished = acw.status === 'complete' || acw.status === 'skipped';
  const occurredAt = acw.status === 'complete' ? (acw.endTime ?? legEndTime(p)) : legEndTime(p);
  const durationSeconds = acw.status === 'complete' ? acwSeconds(acw.startTime, acw.endTime) : undefined;
  if (wrapup !== undefined || (authoritative && acw.status === 'complete')) {
    pushWrapup(batch, {
      participant: participantRef(p),
      wrapup,
      afterCallWork: eventAfterCallWork(acw.status),
      occurredAt,
      durationSeconds,
    });
    return (bits & ~AWAITING_WRAPUP) | WRAPUP_DONE;
  }
  if (finished) {
    if (authoritative) return (bits & ~AWAITING_WRAPUP) | WRAPUP_DONE;
    if (rec.pending === undefined) rec.pending = new Map();
    rec.pending.set(p.id, {
      participant: participantRef(p),
      occurredAt: occurredAt ?? batch.observedAt(),
      afterCallWork: acw.status as 'complete' | 'skipped',
      durationSeconds,
      source: batch.source,
    });
    batch.lookup(p.id);
    return bits | LOOKUP_PENDING | AWAITING_WRAPUP;
  }
  // Not finished: keep the conversation around while after-call work is under way or still expected.
  if (
    acw.status === 'pending' ||
    (acw.status === 'unknown' && (p.wrapupRequired === true || p.wrapupExpected === true))
  ) {
    return bits | AWAITING_WRAPUP;
  }
  // A view that says nothing of after-call work (an analytics record a few seconds behind, showing the leg before
  // it ended) is no sign that none is coming: only "not applicable" stops the wait. Clearing it would leave an ended
  // conversation no longer followed, and a wrap-up done during a gap never recovered.
  if (acw.status === 'unknown') return bits;
  return bits & ~AWAITING_WRAPUP;
}
