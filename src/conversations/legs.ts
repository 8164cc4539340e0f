/**
 * Reading a participant (one leg) of a snapshot: is it an agent leg, did it connect, has it ended, where is its
 * after-call work. Aggregate participants have no state of their own, so every answer comes from the
 * participant's times and its communications' states.
 */
import type { ParticipantRef } from '../events.js';
import type { ConversationSnapshot, ParticipantSnapshot, WrapupSnapshot } from './snapshot.js';
import { earliest, latest } from './timestamps.js';

/** Agent or user legs: the only ones that join, leave, transfer and wrap up. */
export function isAgentLeg(p: ParticipantSnapshot): boolean {
  return p.purpose === 'agent' || p.purpose === 'user';
}

/** The customer side: `customer`, or `external` on outbound and agent-dialled conversations. */
export function isCustomerLeg(p: ParticipantSnapshot): boolean {
  return p.purpose === 'customer' || p.purpose === 'external';
}

function isTerminalState(state: string | undefined): boolean {
  return state === 'disconnected' || state === 'terminated';
}

/**
 * When the leg connected: the participant's `connectedTime`, else its earliest communication `connectedTime`.
 * Undefined for offers that were never answered (alerting, rejected, timed out).
 */
export function legConnectedTime(p: ParticipantSnapshot): string | undefined {
  if (p.connectedTime !== undefined) return p.connectedTime;
  let at: string | undefined;
  for (const c of p.communications) at = earliest(at, c.connectedTime);
  return at;
}

/** Whether the leg ever connected (a timestamp, or a communication that is connected, held or parked now). */
export function legConnected(p: ParticipantSnapshot): boolean {
  if (legConnectedTime(p) !== undefined) return true;
  for (const c of p.communications) if (c.state === 'connected' || c.state === 'parked') return true;
  return false;
}

/** Whether the leg has media at all; a participant with none is not a leg (it neither holds nor ends a conversation). */
export function hasMedia(p: ParticipantSnapshot): boolean {
  return p.communications.length > 0;
}

/**
 * Whether the leg is over: the participant has an `endTime`, or every communication is disconnected or
 * terminated. A parked message is not over.
 */
export function legEnded(p: ParticipantSnapshot): boolean {
  if (p.endTime !== undefined) return true;
  const comms = p.communications;
  if (comms.length === 0) return false;
  for (const c of comms) if (!isTerminalState(c.state)) return false;
  return true;
}

/** When the leg ended: `endTime`, else its latest communication `disconnectedTime`. */
export function legEndTime(p: ParticipantSnapshot): string | undefined {
  if (p.endTime !== undefined) return p.endTime;
  let at: string | undefined;
  for (const c of p.communications) at = latest(at, c.disconnectedTime);
  return at;
}

/** The `disconnectType` of the communication that ended last (the one that ended the leg). */
export function legDisconnectType(p: ParticipantSnapshot): string | undefined {
  let type: string | undefined;
  let at: string | undefined;
  for (const c of p.communications) {
    if (c.disconnectType === undefined) continue;
    if (
      type === undefined ||
      (c.disconnectedTime !== undefined && (at === undefined || c.disconnectedTime >= at))
    ) {
      type = c.disconnectType;
      at = c.disconnectedTime;
    }
  }
  return type;
}

/** The `transfer*` disconnect type a communication of the leg ended with, if any. */
export function legTransferDisconnectType(p: ParticipantSnapshot): string | undefined {
  for (const c of p.communications) {
    const type = c.disconnectType;
    if (type?.startsWith('transfer')) return type;
  }
  return undefined;
}

/** The earliest moment the leg shows: its start, connection, or (failing both) its end. */
export function legFirstTime(p: ParticipantSnapshot): string | undefined {
  let at = earliest(p.startTime, legConnectedTime(p));
  if (at === undefined) at = legEndTime(p);
  return at;
}

/** After-call work of a leg, summarised over the participant and its communications. */
export type AfterCallWorkStatus = 'complete' | 'skipped' | 'pending' | 'notApplicable' | 'unknown';

/** Where the leg's after-call work stands, with the moment it finished when it did. */
export interface AfterCallWorkView {
  status: AfterCallWorkStatus;
  startTime: string | undefined;
  endTime: string | undefined;
}

const ACW_RANK: Record<AfterCallWorkStatus, number> = {
  unknown: 0,
  notApplicable: 1,
  pending: 2,
  skipped: 3,
  complete: 4,
};

/** The leg's after-call work: `complete` when any communication says so or `endAcwTime` is set, and so on down. */
export function legAfterCallWork(p: ParticipantSnapshot): AfterCallWorkView {
  let status: AfterCallWorkStatus = 'unknown';
  let startTime = p.startAcwTime;
  let endTime = p.endAcwTime;
  for (const c of p.communications) {
    const acw = c.afterCallWork;
    if (acw === undefined) continue;
    const s = acw.state as AfterCallWorkStatus | undefined;
    if (s !== undefined && ACW_RANK[s] !== undefined && ACW_RANK[s] > ACW_RANK[status]) status = s;
    startTime = startTime ?? acw.startTime;
    endTime = endTime ?? acw.endTime;
  }
  if (p.endAcwTime !== undefined) status = 'complete';
  else if (status === 'unknown' && p.wrapupSkipped === true) status = 'skipped';
  else if (status === 'unknown' && p.startAcwTime !== undefined) status = 'pending';
  return { status, startTime, endTime };
}

/** The leg's final wrap-up with a code, from the participant or any communication; provisional codes do not count. */
export function legWrapup(p: ParticipantSnapshot): WrapupSnapshot | undefined {
  const own = p.wrapup;
  if (own !== undefined && own.code !== undefined && own.provisional !== true) return own;
  for (const c of p.communications) {
    const w = c.wrapup;
    if (w !== undefined && w.code !== undefined && w.provisional !== true) return w;
  }
  return undefined;
}

/** The identifying fields of a leg, sparse (absent ids are left out, never addresses). */
export function participantRef(p: ParticipantSnapshot): ParticipantRef {
  const ref: ParticipantRef = { participantId: p.id, purpose: p.purpose };
  if (p.userId !== undefined) ref.userId = p.userId;
  if (p.queueId !== undefined) ref.queueId = p.queueId;
  if (p.externalContactId !== undefined) ref.externalContactId = p.externalContactId;
  return ref;
}

/** The earliest timestamp of the conversation: REST `startTime`, else the first leg's start or connection. */
export function conversationStartTime(s: ConversationSnapshot): string | undefined {
  if (s.startTime !== undefined) return s.startTime;
  let at: string | undefined;
  for (const p of s.participants) at = earliest(at, earliest(p.startTime, legConnectedTime(p)));
  if (at !== undefined) return at;
  for (const p of s.participants) at = earliest(at, legEndTime(p));
  return at;
}

/**
 * Whether the whole conversation is over: at least one leg, and every leg (participant with media, or with an
 * `endTime`) has ended. The customer hanging up while an agent still shows connected is not an end yet.
 */
export function conversationEnded(s: ConversationSnapshot): boolean {
  let legs = 0;
  for (const p of s.participants) {
    if (!hasMedia(p) && p.endTime === undefined) continue;
    legs++;
    if (!legEnded(p)) return false;
  }
  return legs > 0;
}

/** When the conversation ended: REST `endTime`, else the latest end of any leg. */
export function conversationEndTime(s: ConversationSnapshot): string | undefined {
  if (s.endTime !== undefined) return s.endTime;
  let at: string | undefined;
  for (const p of s.participants) at = latest(at, legEndTime(p));
  return at;
}
