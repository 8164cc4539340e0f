/**
 * The flat per-leg model: one record per leg (a participant's communication), with its state and times, as the
 * APIs that do not send whole-conversation snapshots describe a conversation — analytics records (sessions and
 * segments), per-media notification topics (flattened participants) and detail events (one record per leg event).
 * Each of those is read into `ConversationLegs`, which becomes a {@link ConversationSnapshot} for the one lifecycle
 * deriver: so every path derives the same facts with the same ids, and a mix of paths dedupes.
 *
 * Values are in the notifications' spelling (`transfer.consult`, `disconnected`, ...); each reader translates its
 * API's own spelling through `src/spellings.ts`.
 */
import type { MediaType } from '../events.js';
import type {
  AfterCallWorkSnapshot,
  CommunicationSnapshot,
  ConversationSnapshot,
  ParticipantSnapshot,
  TransferSnapshot,
  WrapupSnapshot,
} from './snapshot.js';

/** One leg of a conversation. Absent fields are unknown, never "no". */
export interface LegRecord {
  participantId: string;
  /** `customer`, `external`, `ivr`, `acd`, `agent`, `user`, `workflow`, ... */
  purpose: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  /** The communication (session) id, when the API gives one. */
  communicationId?: string;
  mediaType: MediaType;
  /** Messages: `webmessaging`, `sms`, `whatsapp`, `open`, ... */
  messageType?: string;
  direction?: string;
  /** `alerting`, `dialing`, `contacting`, `connected`, `parked`, `disconnected`, `terminated`, ... */
  state?: string;
  held?: boolean;
  startTime?: string;
  connectedTime?: string;
  /** When the leg ended (its communication disconnected). */
  endTime?: string;
  disconnectType?: string;
  afterCallWork?: AfterCallWorkSnapshot;
  wrapup?: WrapupSnapshot;
  wrapupRequired?: boolean;
  consultParticipantId?: string;
  consultInitiator?: boolean;
}

/** A conversation as a set of legs. */
export interface ConversationLegs {
  conversationId: string;
  startTime?: string;
  endTime?: string;
  legs: LegRecord[];
  /** `recentTransfers`, when the API carries them. */
  transfers?: TransferSnapshot[];
  /** Set when these are one media's legs only (a per-media topic); absent when they are the whole conversation. */
  coversOnly?: MediaType;
}

function communicationOf(leg: LegRecord): CommunicationSnapshot {
  return {
    id: leg.communicationId,
    mediaType: leg.mediaType,
    state: leg.state,
    direction: leg.direction,
    held: leg.held,
    disconnectType: leg.disconnectType,
    connectedTime: leg.connectedTime,
    disconnectedTime: leg.endTime,
    afterCallWork: leg.afterCallWork,
    afterCallWorkRequired: undefined,
    wrapup: undefined,
    messageType: leg.messageType,
    parkTime: undefined,
    resumeTime: undefined,
  };
}

function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a <= b ? a : b;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/**
 * The legs as one whole-conversation snapshot: legs of one participant become one participant with several
 * communications (its end only once every one of them ended).
 */
export function snapshotOfLegs(conversation: ConversationLegs): ConversationSnapshot {
  const participants = new Map<string, ParticipantSnapshot>();
  const open = new Set<string>();
  for (const leg of conversation.legs) {
    let p = participants.get(leg.participantId);
    if (!p) {
      p = {
        id: leg.participantId,
        purpose: leg.purpose,
        userId: leg.userId,
        queueId: leg.queueId,
        externalContactId: leg.externalContactId,
        startTime: leg.startTime,
        connectedTime: leg.connectedTime,
        endTime: leg.endTime,
        startAcwTime: leg.afterCallWork?.startTime,
        endAcwTime: leg.afterCallWork?.state === 'complete' ? leg.afterCallWork.endTime : undefined,
        wrapupRequired: leg.wrapupRequired,
        wrapupExpected: undefined,
        wrapupSkipped: leg.afterCallWork?.state === 'skipped' ? true : undefined,
        wrapup: leg.wrapup,
        consultParticipantId: leg.consultParticipantId,
        consultInitiator: leg.consultInitiator === true,
        communications: [],
      };
      participants.set(leg.participantId, p);
    } else {
      p.userId ??= leg.userId;
      p.queueId ??= leg.queueId;
      p.externalContactId ??= leg.externalContactId;
      p.startTime = earlier(p.startTime, leg.startTime);
      p.connectedTime = earlier(p.connectedTime, leg.connectedTime);
      p.endTime = later(p.endTime, leg.endTime);
      p.wrapup ??= leg.wrapup;
      p.consultParticipantId ??= leg.consultParticipantId;
      p.consultInitiator ||= leg.consultInitiator === true;
    }
    if (leg.endTime === undefined) open.add(leg.participantId);
    p.communications.push(communicationOf(leg));
  }
  // A participant is over only when all of its legs are.
  for (const id of open) participants.get(id)!.endTime = undefined;
  const snapshot: ConversationSnapshot = {
    id: conversation.conversationId,
    participants: [...participants.values()],
    recentTransfers: conversation.transfers ?? [],
    startTime: conversation.startTime,
    endTime: conversation.endTime,
  };
  if (conversation.coversOnly !== undefined) snapshot.coversOnly = conversation.coversOnly;
  return snapshot;
}
