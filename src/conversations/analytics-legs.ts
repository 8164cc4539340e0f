/**
 * Reading an analytics conversation record (the details query, the multi-get) into the flat per-leg model. A
 * participant's sessions are its legs; a session's segments say when it was offered (`alert`), answered
 * (`interact`), held, when it ended and how (`disconnectType` in analytics' spelling, on the closing segment), and
 * its after-call work (`wrapup`, with `wrapUpCode`).
 *
 * A record is a view some seconds behind: it can show less than notifications did, never something else. A leg is
 * read as ended only when its closing segment says how it ended (or the conversation has ended), so a record caught
 * between two segments never ends a leg that is only moving on.
 */
import type { MediaType } from '../events.js';
import { conversationDisconnectType } from '../spellings.js';
import type { ConversationLegs, LegRecord } from './leg-record.js';
import type { AfterCallWorkSnapshot, WrapupSnapshot } from './snapshot.js';
import { normalizeTimestamp } from './timestamps.js';

/** A segment of an analytics session (the fields read here). */
export interface AnalyticsSegment {
  segmentType?: string;
  segmentStart?: string;
  segmentEnd?: string;
  queueId?: string;
  disconnectType?: string;
  wrapUpCode?: string;
  wrapUpNote?: string;
}

/** A session: one leg of a participant. */
export interface AnalyticsSession {
  sessionId?: string;
  mediaType?: string;
  messageType?: string;
  direction?: string;
  acwSkipped?: boolean;
  segments?: AnalyticsSegment[];
}

export interface AnalyticsParticipant {
  participantId?: string;
  purpose?: string;
  userId?: string;
  externalContactId?: string;
  sessions?: AnalyticsSession[];
}

/** `AnalyticsConversationWithoutAttributes`, the fields read here. */
export interface AnalyticsConversationRecord {
  conversationId?: string;
  conversationStart?: string;
  conversationEnd?: string;
  participants?: AnalyticsParticipant[];
}

const MEDIA: Record<string, MediaType> = {
  voice: 'voice',
  message: 'message',
  email: 'email',
  callback: 'callback',
  chat: 'chat',
  video: 'video',
  screenshare: 'screenshare',
};

/** Purposes whose legs are connected from the moment they exist (no offer to answer). */
function connectsAtStart(purpose: string): boolean {
  return purpose !== 'agent' && purpose !== 'user';
}

function time(value: string | undefined): string | undefined {
  return value === undefined ? undefined : normalizeTimestamp(value);
}

function legOf(
  participant: AnalyticsParticipant,
  session: AnalyticsSession,
  conversationEnded: boolean,
): LegRecord | undefined {
  const participantId = participant.participantId;
  if (!participantId) return undefined;
  const purpose = participant.purpose ?? '';
  const segments = [...(session.segments ?? [])].sort((a, b) =>
    (a.segmentStart ?? '').localeCompare(b.segmentStart ?? ''),
  );
  const work = segments.filter((s) => s.segmentType !== 'wrapup');
  const acw = segments.filter((s) => s.segmentType === 'wrapup');
  const last = work.at(-1);
  const leg: LegRecord = {
    participantId,
    purpose,
    mediaType: MEDIA[session.mediaType ?? ''] ?? 'unknown',
  };
  if (participant.userId) leg.userId = participant.userId;
  if (participant.externalContactId) leg.externalContactId = participant.externalContactId;
  if (session.sessionId) leg.communicationId = session.sessionId;
  if (session.messageType) leg.messageType = session.messageType;
  if (session.direction) leg.direction = session.direction;
  const queueId = segments.find((s) => s.queueId)?.queueId;
  if (queueId) leg.queueId = queueId;
  const first = segments[0];
  if (first?.segmentStart) leg.startTime = time(first.segmentStart);

  const answered = connectsAtStart(purpose)
    ? first
    : work.find((s) => s.segmentType === 'interact' || s.segmentType === 'hold');
  if (answered?.segmentStart) leg.connectedTime = time(answered.segmentStart);

  const closing = last?.segmentEnd !== undefined && (last.disconnectType !== undefined || conversationEnded);
  if (closing && last) {
    leg.endTime = time(last.segmentEnd);
    leg.state = 'disconnected';
    const how = [...work].reverse().find((s) => s.disconnectType)?.disconnectType;
    if (how) leg.disconnectType = conversationDisconnectType(how);
  } else if (last) {
    leg.state =
      last.segmentType === 'alert' ? 'alerting' : last.segmentType === 'dialing' ? 'dialing' : 'connected';
    if (last.segmentType === 'hold') leg.held = true;
    if (last.segmentType === 'parked') leg.state = 'parked';
  }

  const afterCallWork = afterCallWorkOf(acw, session, closing);
  if (afterCallWork) leg.afterCallWork = afterCallWork;
  const wrapup = wrapupOf(acw.at(-1) ?? segments.findLast((s) => s.wrapUpCode));
  if (wrapup) leg.wrapup = wrapup;
  return leg;
}

function afterCallWorkOf(
  acw: AnalyticsSegment[],
  session: AnalyticsSession,
  ended: boolean,
): AfterCallWorkSnapshot | undefined {
  const segment = acw.at(-1);
  if (segment) {
    return {
      state: segment.segmentEnd === undefined ? 'pending' : 'complete',
      startTime: time(segment.segmentStart),
      endTime: time(segment.segmentEnd),
    };
  }
  if (ended && session.acwSkipped === true)
    return { state: 'skipped', startTime: undefined, endTime: undefined };
  return undefined;
}

function wrapupOf(segment: AnalyticsSegment | undefined): WrapupSnapshot | undefined {
  if (!segment?.wrapUpCode) return undefined;
  return {
    code: segment.wrapUpCode,
    name: undefined,
    notes: segment.wrapUpNote,
    tags: undefined,
    durationSeconds: undefined,
    endTime: time(segment.segmentEnd),
    provisional: undefined,
  };
}

/** An analytics record as legs; undefined when it has no conversation id. */
export function legsFromAnalytics(record: AnalyticsConversationRecord): ConversationLegs | undefined {
  if (!record.conversationId) return undefined;
  const ended = record.conversationEnd !== undefined;
  const legs: LegRecord[] = [];
  for (const participant of record.participants ?? []) {
    for (const session of participant.sessions ?? []) {
      const leg = legOf(participant, session, ended);
      if (leg) legs.push(leg);
    }
  }
  const conversation: ConversationLegs = { conversationId: record.conversationId, legs };
  if (record.conversationStart) conversation.startTime = time(record.conversationStart);
  if (record.conversationEnd) conversation.endTime = time(record.conversationEnd);
  return conversation;
}
