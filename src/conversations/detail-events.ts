/**
 * Reading detail events (`v2.detail.events.conversation.{id}.customer.start`, `.acd.end`, `.user.end`, `.acw`,
 * `.wrapup`, ...) into the flat per-leg model. Each record is one thing that happened to one leg — it started, it
 * ended and how, its after-call work finished — with upper-case enums and `eventTime` in epoch milliseconds. A
 * conversation's records are folded into a small per-leg summary ({@link DetailConversation}); the summary becomes
 * `ConversationLegs` for the one lifecycle deriver, so detail events give the facts, ids and meaning of snapshots.
 *
 * Folding is idempotent and commutative: a record seen twice changes nothing, and the summary depends only on the
 * set of records seen, never on their order. What arrives late can still change a conclusion drawn too early, which
 * is why the assembler (./detail-assembler.ts) holds a conversation's records briefly before deriving, and waits
 * for a settle interval before letting the conversation end.
 *
 * How each fact is read (what the platform documents of these records is their fields; which fires when is read
 * from their names and fields, and is unverified — see docs/eventbridge.md):
 * - a leg starts at its `*.start` and ends at its `*.end` (`disconnectType` in the conversation API's spelling);
 * - a user leg was answered when an `acd.end` says `ANSWERED` with its user as `answeredUserId` (at that moment), or
 *   its `user.end` shows interacting or held time (connected at the end minus those); an offer that timed out or was
 *   rejected has neither, and is not a join;
 * - `acw` is after-call work that finished, with its code and duration; a `wrapup` with a duration is the same, and
 *   one without (or with 0) is a code chosen during the conversation, after-call work skipped.
 */
import { MalformedInputError } from '../errors.js';
import type { MediaType } from '../events.js';
import { detailEventDisconnectType, detailEventLowerCase, detailEventMediaType } from '../spellings.js';
import type { ConversationLegs, LegRecord } from './leg-record.js';
import type { AfterCallWorkSnapshot, WrapupSnapshot } from './snapshot.js';

/** The detail events read into legs. */
export const DETAIL_EVENTS = [
  'customer.start',
  'customer.end',
  'acd.start',
  'acd.end',
  'user.start',
  'user.end',
  'acw',
  'wrapup',
  'flow.start',
  'flow.end',
  'voicemail.start',
  'voicemail.end',
] as const;

export type DetailEventName = (typeof DETAIL_EVENTS)[number];

/** Detail events that say nothing of a leg's lifecycle, and are counted and passed over. */
const PASSED_OVER: Readonly<Record<string, string>> = {
  'flow.outcome': 'flow milestones and outcomes do not change a leg',
  attributes: 'participant data updates do not change a leg',
  contact: 'contact updates do not change a leg',
  outbound: 'outbound campaign details do not change a leg',
};

/** Media whose sessions are add-ons to a conversation whose own media decides its lifecycle. */
const ADD_ON_MEDIA = new Set(['COBROWSE', 'SCREENSHARE', 'SCREENMONITORING']);

/** One detail-event record, with the fields read here, in the event vocabulary's spelling. */
export interface DetailRecord {
  event: DetailEventName;
  conversationId: string;
  participantId: string;
  sessionId?: string;
  /** Epoch milliseconds. */
  eventTime: number;
  mediaType: MediaType;
  messageType?: string;
  direction?: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  /** The conversation API's spelling (`transfer.consult`, not `CONSULT_TRANSFER`). */
  disconnectType?: string;
  /** `acd.end`: `ANSWERED`, `ABANDON`, `FLOW_OUT`, `UNKNOWN`. */
  acdOutcome?: string;
  answeredUserId?: string;
  alertingDurationMs?: number;
  interactingDurationMs?: number;
  heldDurationMs?: number;
  wrapupCode?: string;
  wrapupNotes?: string;
  wrapupDurationMs?: number;
  /** `flow.*`: `INBOUNDCALL`, `WORKFLOW`, `BOT`, ... */
  flowType?: string;
}

/** What a detail-event notification is to the deriver: a record, or something passed over (and why). */
export type DetailEventReading =
  | { kind: 'record'; record: DetailRecord }
  | { kind: 'passed-over'; event: string; reason: string };

const DETAIL_TOPIC = /^v2\.detail\.events\.conversation\.([^.]+)\.(.+)$/i;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `eventTime`: epoch milliseconds (an ISO-8601 string is accepted too). */
function epochMillis(value: unknown): number | undefined {
  const n = num(value);
  if (n !== undefined) return n;
  if (typeof value === 'string') {
    const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function isDetailEvent(name: string): name is DetailEventName {
  return (DETAIL_EVENTS as readonly string[]).includes(name);
}

/** The detail event a topic names (`acd.end` of `v2.detail.events.conversation.{id}.acd.end`), or undefined. */
export function detailEventOfTopic(topic: string): string | undefined {
  return DETAIL_TOPIC.exec(topic)?.[2]?.toLowerCase();
}

function set<K extends keyof DetailRecord>(
  record: DetailRecord,
  key: K,
  value: DetailRecord[K] | undefined,
): void {
  if (value !== undefined) record[key] = value;
}

/**
 * Reads one detail-event notification: its concrete topic (`detail.topicName` in an EventBridge envelope) and its
 * `eventBody`. Throws MalformedInputError when the topic is not a detail event or a leg record lacks its ids or time.
 */
export function readDetailEvent(topic: string, eventBody: unknown): DetailEventReading {
  const match = DETAIL_TOPIC.exec(topic);
  if (!match) {
    throw new MalformedInputError(`Not a detail-event topic: ${topic}.`, {
      hint: 'Detail events are v2.detail.events.conversation.{id}.<event> (customer.start, acd.end, user.end, ...).',
    });
  }
  const event = match[2]!.toLowerCase();
  if (!isDetailEvent(event)) {
    return { kind: 'passed-over', event, reason: PASSED_OVER[event] ?? 'not a leg event' };
  }
  if (!isObject(eventBody)) {
    throw new MalformedInputError(`Detail event ${event} is not a JSON object.`, {
      hint: 'Pass the eventBody of the notification (detail.eventBody of an EventBridge event).',
    });
  }
  const fromTopic = match[1]!.toLowerCase();
  const conversationId = str(eventBody.conversationId) ?? (fromTopic === '{id}' ? undefined : fromTopic);
  const participantId = str(eventBody.participantId);
  const eventTime = epochMillis(eventBody.eventTime);
  if (conversationId === undefined || participantId === undefined || eventTime === undefined) {
    const missing = [
      conversationId === undefined ? 'conversationId' : undefined,
      participantId === undefined ? 'participantId' : undefined,
      eventTime === undefined ? 'eventTime' : undefined,
    ].filter(Boolean);
    throw new MalformedInputError(`Detail event ${event} has no ${missing.join(', ')}.`, {
      hint: 'Every conversation detail event carries conversationId, participantId and eventTime (epoch ms).',
    });
  }
  const rawMedia = str(eventBody.mediaType);
  if (rawMedia !== undefined && ADD_ON_MEDIA.has(rawMedia)) {
    return {
      kind: 'passed-over',
      event,
      reason: `${rawMedia.toLowerCase()} sessions are add-ons of a conversation whose own media decides its lifecycle`,
    };
  }
  const record: DetailRecord = {
    event,
    conversationId: conversationId.toLowerCase(),
    participantId: participantId.toLowerCase(),
    eventTime,
    mediaType: detailEventMediaType(rawMedia),
  };
  set(record, 'sessionId', str(eventBody.sessionId)?.toLowerCase());
  set(record, 'messageType', detailEventLowerCase(str(eventBody.messageType)));
  set(record, 'direction', detailEventLowerCase(str(eventBody.direction)));
  set(record, 'userId', str(eventBody.userId));
  set(record, 'queueId', str(eventBody.queueId));
  set(record, 'externalContactId', str(eventBody.externalContactId));
  const disconnectType = str(eventBody.disconnectType);
  if (disconnectType !== undefined && disconnectType !== 'UNKNOWN')
    record.disconnectType = detailEventDisconnectType(disconnectType);
  set(record, 'acdOutcome', str(eventBody.acdOutcome));
  set(record, 'answeredUserId', str(eventBody.answeredUserId));
  set(record, 'alertingDurationMs', num(eventBody.alertingDurationMs));
  set(record, 'interactingDurationMs', num(eventBody.interactingDurationMs));
  set(record, 'heldDurationMs', num(eventBody.heldDurationMs));
  set(record, 'wrapupCode', str(eventBody.wrapupCode));
  set(record, 'wrapupNotes', str(eventBody.wrapupNotes));
  set(record, 'wrapupDurationMs', num(eventBody.wrapupDurationMs));
  set(record, 'flowType', str(eventBody.flowType));
  return { kind: 'record', record };
}

/** After-call work or a wrap-up as a record reported it. */
export interface DetailWrapup {
  /** Epoch ms of the record. */
  at: number;
  durationMs?: number;
  code?: string;
  notes?: string;
}

/** What the records of one leg (a participant's session) said, folded. */
export interface DetailLeg {
  participantId: string;
  sessionId?: string;
  purpose: string;
  mediaType: MediaType;
  messageType?: string;
  direction?: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  startAt?: number;
  endAt?: number;
  disconnectType?: string;
  alertingMs?: number;
  interactingMs?: number;
  heldMs?: number;
  acw?: DetailWrapup;
  wrapup?: DetailWrapup;
}

/** An `acd.end` that says which user answered, and when. */
export interface DetailAnswer {
  userId: string;
  at: number;
  queueId?: string;
}

/** A conversation as its detail events described it so far: plain data, so it can be checkpointed as JSON. */
export interface DetailConversation {
  conversationId: string;
  legs: DetailLeg[];
  answers: DetailAnswer[];
}

/** An empty summary. */
export function newDetailConversation(conversationId: string): DetailConversation {
  return { conversationId, legs: [], answers: [] };
}

function purposeOf(record: DetailRecord): string {
  switch (record.event) {
    case 'customer.start':
    case 'customer.end':
      return 'customer';
    case 'acd.start':
    case 'acd.end':
      return 'acd';
    case 'flow.start':
    case 'flow.end':
      return record.flowType === 'WORKFLOW' || record.flowType === 'BOT' || record.flowType === 'DIGITALBOT'
        ? 'workflow'
        : 'ivr';
    case 'voicemail.start':
    case 'voicemail.end':
      return 'voicemail';
    default:
      // user.*, acw and wrapup are about an agent's leg; detail events do not tell `agent` from `user`.
      return 'agent';
  }
}

/** The leg a record is about: same participant, and the same session when both name one. */
function legOf(state: DetailConversation, record: DetailRecord): DetailLeg {
  for (const leg of state.legs) {
    if (leg.participantId !== record.participantId) continue;
    if (leg.sessionId !== undefined && record.sessionId !== undefined && leg.sessionId !== record.sessionId)
      continue;
    return leg;
  }
  const leg: DetailLeg = {
    participantId: record.participantId,
    purpose: purposeOf(record),
    mediaType: record.mediaType,
  };
  state.legs.push(leg);
  return leg;
}

/** Folds fields into a leg, first value kept; returns whether anything changed. */
class Fold {
  changed = false;

  first<K extends keyof DetailLeg>(leg: DetailLeg, key: K, value: DetailLeg[K] | undefined): void {
    if (value === undefined || leg[key] !== undefined) return;
    leg[key] = value;
    this.changed = true;
  }

  /** Keeps the record reported last (by its time; the larger value on a tie, so order never matters). */
  latest(current: DetailWrapup | undefined, next: DetailWrapup): DetailWrapup {
    if (current !== undefined) {
      if (current.at > next.at) return current;
      if (current.at === next.at && JSON.stringify(current) >= JSON.stringify(next)) return current;
    }
    this.changed = true;
    return next;
  }
}

function wrapupOf(record: DetailRecord): DetailWrapup {
  const w: DetailWrapup = { at: record.eventTime };
  if (record.wrapupDurationMs !== undefined) w.durationMs = record.wrapupDurationMs;
  if (record.wrapupCode !== undefined) w.code = record.wrapupCode;
  if (record.wrapupNotes !== undefined) w.notes = record.wrapupNotes;
  return w;
}

/**
 * Folds one record into the conversation's summary. Returns whether it changed anything (a duplicate, or a record
 * that adds nothing, does not).
 */
export function applyDetailRecord(state: DetailConversation, record: DetailRecord): boolean {
  const leg = legOf(state, record);
  const fold = new Fold();
  fold.first(leg, 'sessionId', record.sessionId);
  if (leg.mediaType === 'unknown' && record.mediaType !== 'unknown') {
    leg.mediaType = record.mediaType;
    fold.changed = true;
  }
  fold.first(leg, 'messageType', record.messageType);
  fold.first(leg, 'direction', record.direction);
  fold.first(leg, 'userId', record.userId);
  fold.first(leg, 'queueId', record.queueId);
  fold.first(leg, 'externalContactId', record.externalContactId);
  const t = record.eventTime;
  switch (record.event) {
    case 'customer.start':
    case 'acd.start':
    case 'user.start':
    case 'flow.start':
    case 'voicemail.start':
      if (leg.startAt === undefined || t < leg.startAt) {
        leg.startAt = t;
        fold.changed = true;
      }
      break;
    case 'customer.end':
    case 'acd.end':
    case 'user.end':
    case 'flow.end':
    case 'voicemail.end':
      // A leg ends once; should two ends be reported, the later one (and how it ended) stands.
      if (leg.endAt === undefined || t > leg.endAt) {
        leg.endAt = t;
        if (record.disconnectType !== undefined) leg.disconnectType = record.disconnectType;
        fold.changed = true;
      } else if (t === leg.endAt) {
        fold.first(leg, 'disconnectType', record.disconnectType);
      }
      fold.first(leg, 'alertingMs', record.alertingDurationMs);
      fold.first(leg, 'interactingMs', record.interactingDurationMs);
      fold.first(leg, 'heldMs', record.heldDurationMs);
      if (record.event === 'acd.end' && record.acdOutcome === 'ANSWERED' && record.answeredUserId) {
        const userId = record.answeredUserId;
        if (!state.answers.some((a) => a.userId === userId && a.at === t)) {
          const answer: DetailAnswer = { userId, at: t };
          if (record.queueId !== undefined) answer.queueId = record.queueId;
          state.answers.push(answer);
          fold.changed = true;
        }
      }
      break;
    case 'acw':
      leg.acw = fold.latest(leg.acw, wrapupOf(record));
      break;
    case 'wrapup':
      leg.wrapup = fold.latest(leg.wrapup, wrapupOf(record));
      break;
  }
  return fold.changed;
}

function isAgent(leg: DetailLeg): boolean {
  return leg.purpose === 'agent' || leg.purpose === 'user';
}

/** Whether the records say the conversation is over: at least one leg, and every leg ended. */
export function detailLegsEnded(state: DetailConversation): boolean {
  return state.legs.length > 0 && state.legs.every((leg) => leg.endAt !== undefined);
}

/** The user leg each `acd.end` answer belongs to: that user's latest leg started by then and not over before. */
function answeredAt(state: DetailConversation): Map<DetailLeg, number> {
  const answered = new Map<DetailLeg, number>();
  const answers = [...state.answers].sort((a, b) => a.at - b.at || (a.userId < b.userId ? -1 : 1));
  for (const answer of answers) {
    let best: DetailLeg | undefined;
    for (const leg of state.legs) {
      if (!isAgent(leg) || leg.userId !== answer.userId || answered.has(leg)) continue;
      if (leg.startAt !== undefined && leg.startAt > answer.at) continue;
      if (leg.endAt !== undefined && leg.endAt < answer.at) continue;
      if (best === undefined || (leg.startAt ?? -1) > (best.startAt ?? -1)) best = leg;
    }
    if (best !== undefined) answered.set(best, answer.at);
  }
  return answered;
}

/** When a user leg connected, if it did. */
function connectedAt(leg: DetailLeg, answer: number | undefined): number | undefined {
  const talked = (leg.interactingMs ?? 0) + (leg.heldMs ?? 0);
  // A user.end that shows no time talking or on hold is an offer never answered, whatever else was seen.
  if (leg.endAt !== undefined && leg.interactingMs !== undefined && talked === 0) return undefined;
  if (answer !== undefined) return answer;
  if (leg.endAt !== undefined && talked > 0) return leg.endAt - talked;
  return undefined;
}

/** The earliest moment a leg shows, to order legs as the platform orders participants (by creation). */
function firstMoment(leg: DetailLeg, connected: number | undefined): number {
  if (leg.startAt !== undefined) return leg.startAt;
  if (leg.endAt !== undefined && isAgent(leg)) {
    const known = (leg.alertingMs ?? 0) + (leg.interactingMs ?? 0) + (leg.heldMs ?? 0);
    return leg.endAt - known;
  }
  return connected ?? leg.endAt ?? Number.POSITIVE_INFINITY;
}

const PURPOSE_RANK: Readonly<Record<string, number>> = {
  customer: 0,
  external: 0,
  ivr: 1,
  workflow: 1,
  acd: 2,
  agent: 3,
  user: 3,
  voicemail: 4,
};

const iso = (ms: number) => new Date(ms).toISOString();

function afterCallWorkOf(leg: DetailLeg): AfterCallWorkSnapshot | undefined {
  const done = leg.acw ?? (leg.wrapup?.durationMs ? leg.wrapup : undefined);
  if (done !== undefined) {
    const startTime = done.durationMs === undefined ? undefined : iso(done.at - done.durationMs);
    return { state: 'complete', startTime, endTime: iso(done.at) };
  }
  // A code without after-call work: chosen during the conversation.
  if (leg.wrapup !== undefined && leg.endAt !== undefined)
    return { state: 'skipped', startTime: undefined, endTime: undefined };
  return undefined;
}

function wrapupSnapshotOf(leg: DetailLeg): WrapupSnapshot | undefined {
  const w = leg.wrapup?.code !== undefined ? leg.wrapup : leg.acw;
  if (w?.code === undefined) return undefined;
  return {
    code: w.code,
    name: undefined,
    notes: w.notes,
    tags: undefined,
    durationSeconds: w.durationMs === undefined ? undefined : Math.round(w.durationMs / 1000),
    endTime: iso(w.at),
    provisional: undefined,
  };
}

function legRecordOf(leg: DetailLeg, connected: number | undefined): LegRecord {
  const agent = isAgent(leg);
  const record: LegRecord = {
    participantId: leg.participantId,
    purpose: leg.purpose,
    mediaType: leg.mediaType,
  };
  if (leg.userId !== undefined) record.userId = leg.userId;
  if (leg.queueId !== undefined) record.queueId = leg.queueId;
  if (leg.externalContactId !== undefined) record.externalContactId = leg.externalContactId;
  if (leg.sessionId !== undefined) record.communicationId = leg.sessionId;
  if (leg.messageType !== undefined) record.messageType = leg.messageType;
  if (leg.direction !== undefined) record.direction = leg.direction;
  if (leg.startAt !== undefined) record.startTime = iso(leg.startAt);
  // Only agents are offered; every other leg is connected from its start.
  const connectedMs = agent ? connected : leg.startAt;
  if (connectedMs !== undefined) record.connectedTime = iso(connectedMs);
  if (leg.endAt !== undefined) {
    record.endTime = iso(leg.endAt);
    record.state = 'disconnected';
  } else {
    record.state = connectedMs === undefined ? 'alerting' : 'connected';
  }
  if (leg.disconnectType !== undefined) record.disconnectType = leg.disconnectType;
  if (agent && connectedMs !== undefined) {
    // An answered agent leg owes a wrap-up: the deriver keeps the conversation while after-call work may come.
    record.wrapupRequired = true;
    const afterCallWork = afterCallWorkOf(leg);
    if (afterCallWork !== undefined) record.afterCallWork = afterCallWork;
    const wrapup = wrapupSnapshotOf(leg);
    if (wrapup !== undefined) record.wrapup = wrapup;
  }
  return record;
}

/**
 * The summary as legs for the deriver, ordered as the platform orders participants (by when each leg began). While
 * `settled` is false, one more leg stands for records that may still arrive (an id-less leg that has not ended), so
 * the conversation is not concluded over: the assembler passes `settled` once every leg ended and nothing arrived
 * for its settle interval.
 */
export function legsFromDetail(state: DetailConversation, options: { settled: boolean }): ConversationLegs {
  const answers = answeredAt(state);
  const ordered = state.legs.map((leg) => {
    const connected = isAgent(leg) ? connectedAt(leg, answers.get(leg)) : leg.startAt;
    return { leg, connected, first: firstMoment(leg, connected) };
  });
  ordered.sort(
    (a, b) =>
      a.first - b.first ||
      (PURPOSE_RANK[a.leg.purpose] ?? 5) - (PURPOSE_RANK[b.leg.purpose] ?? 5) ||
      (a.leg.participantId < b.leg.participantId ? -1 : a.leg.participantId > b.leg.participantId ? 1 : 0),
  );
  const legs = ordered.map(({ leg, connected }) => legRecordOf(leg, connected));
  if (!options.settled) {
    const media = legs.find((l) => l.purpose === 'customer')?.mediaType ?? legs[0]?.mediaType ?? 'unknown';
    legs.push({ participantId: '', purpose: '', mediaType: media, state: 'connected' });
  }
  return { conversationId: state.conversationId, legs };
}
