/**
 * Reading a per-media notification (`v2.users.{id}.conversations.calls`, `v2.routing.queues.{id}.conversations.
 * messages`, ...) into the flat per-leg model. These bodies carry one media's participants only, and each participant
 * is flattened: the leg's `state`, `direction`, `disconnectType`, `held`, `connectedTime`, `endTime` sit on the
 * participant, ids are references (`user{id}`, `queue{id}`, `externalContact{id}`), there is no `calls[]` /
 * `messages[]` array, no `afterCallWork` (only `startAcwTime`, `endAcwTime`, `wrapupSkipped`), no `recentTransfers`,
 * and recorded captures show no `startTime`. (The SDK models a few queue media topics, `.videos`, in the aggregate
 * shape instead; a participant that carries the media's array is read from it.)
 *
 * The legs are marked as covering that media only, so the deriver never reads another media's absence as an end.
 */
import { MalformedInputError } from '../errors.js';
import type { MediaType } from '../events.js';
import { restDisconnectType } from '../spellings.js';
import type { ConversationLegs, LegRecord } from './leg-record.js';
import { parseWrapup } from './parse.js';
import type { AfterCallWorkSnapshot } from './snapshot.js';
import { normalizeTimestamp } from './timestamps.js';

type Json = Record<string, unknown>;

/** The aggregate participant array of each media, for bodies that arrive in the aggregate shape. */
const MEDIA_ARRAY: Partial<Record<MediaType, string>> = {
  voice: 'calls',
  callback: 'callbacks',
  chat: 'chats',
  email: 'emails',
  message: 'messages',
  video: 'videos',
};

/** Every media array an aggregate-shaped participant can carry. */
const AGGREGATE_ARRAYS = [
  'calls',
  'callbacks',
  'chats',
  'emails',
  'messages',
  'videos',
  'cobrowsesessions',
  'screenshares',
  'socialExpressions',
];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** `{id, selfUri}` references (`user`, `queue`, `externalContact`): the id. */
function refId(value: unknown): string | undefined {
  return isObject(value) ? str(value.id) : undefined;
}

/**
 * After-call work from the participant's own fields, the only ones flattened participants carry: complete once
 * `endAcwTime` is set, skipped when `wrapupSkipped`, pending from `startAcwTime`.
 */
function participantAfterCallWork(p: Json): AfterCallWorkSnapshot | undefined {
  const startTime = normalizeTimestamp(p.startAcwTime);
  const endTime = normalizeTimestamp(p.endAcwTime);
  if (endTime !== undefined) return { state: 'complete', startTime, endTime };
  if (p.wrapupSkipped === true) return { state: 'skipped', startTime, endTime: undefined };
  if (startTime !== undefined) return { state: 'pending', startTime, endTime: undefined };
  return undefined;
}

function communicationAfterCallWork(c: Json): AfterCallWorkSnapshot | undefined {
  const acw = c.afterCallWork;
  if (!isObject(acw)) return undefined;
  return {
    state: str(acw.state),
    startTime: normalizeTimestamp(acw.startTime),
    endTime: normalizeTimestamp(acw.endTime),
  };
}

/** What every leg of a participant shares: who it is, and its consult markers. */
function participantLeg(p: Json, media: MediaType): LegRecord {
  const leg: LegRecord = { participantId: str(p.id) ?? '', purpose: str(p.purpose) ?? '', mediaType: media };
  const userId = refId(p.user) ?? str(p.userId);
  const queueId = refId(p.queue) ?? str(p.queueId);
  const externalContactId = refId(p.externalContact) ?? str(p.externalContactId);
  if (userId !== undefined) leg.userId = userId;
  if (queueId !== undefined) leg.queueId = queueId;
  if (externalContactId !== undefined) leg.externalContactId = externalContactId;
  const wrapupRequired = bool(p.wrapupRequired);
  if (wrapupRequired !== undefined) leg.wrapupRequired = wrapupRequired;
  const consultParticipantId = str(p.consultParticipantId);
  if (consultParticipantId !== undefined) leg.consultParticipantId = consultParticipantId;
  if (isObject(p.attributes) && p.attributes.consultInitiator === 'true') leg.consultInitiator = true;
  const wrapup = p.wrapup === undefined ? undefined : parseWrapup(p.wrapup);
  if (wrapup !== undefined) leg.wrapup = wrapup;
  return leg;
}

/** Copies the leg's own fields (state, times, how it ended) from a flattened participant or a communication. */
function set<K extends keyof LegRecord>(leg: LegRecord, key: K, value: LegRecord[K] | undefined): void {
  if (value !== undefined) leg[key] = value;
}

function fillLeg(leg: LegRecord, from: Json, endKey: 'endTime' | 'disconnectedTime'): LegRecord {
  set(leg, 'state', str(from.state));
  set(leg, 'direction', str(from.direction));
  set(leg, 'held', bool(from.held));
  const disconnectType = str(from.disconnectType);
  set(leg, 'disconnectType', disconnectType === undefined ? undefined : restDisconnectType(disconnectType));
  set(leg, 'startTime', normalizeTimestamp(from.startTime));
  set(leg, 'connectedTime', normalizeTimestamp(from.connectedTime));
  set(leg, 'endTime', normalizeTimestamp(from[endKey]));
  if (leg.mediaType === 'message') set(leg, 'messageType', str(from.type));
  return leg;
}

/**
 * Whether a participant comes in the aggregate shape rather than flattened: no state of its own, and a media array
 * of communications. (A flattened message participant's `messages` lists message details, which have no `id` or
 * `state`.)
 */
function isAggregateShaped(p: Json): boolean {
  if (typeof p.state === 'string') return false;
  for (const key of AGGREGATE_ARRAYS) {
    const list = p[key];
    if (Array.isArray(list) && list.some((c) => isObject(c) && (c.state !== undefined || c.id !== undefined)))
      return true;
  }
  return false;
}

function legsOfParticipant(p: Json, media: MediaType): LegRecord[] {
  if (!isAggregateShaped(p)) {
    const leg = fillLeg(participantLeg(p, media), p, 'endTime');
    set(leg, 'afterCallWork', participantAfterCallWork(p));
    return [leg];
  }
  // The aggregate shape: one leg per communication of this media, the participant's ids on each.
  const arrayKey = MEDIA_ARRAY[media];
  const communications = arrayKey === undefined ? undefined : p[arrayKey];
  const legs: LegRecord[] = [];
  if (!Array.isArray(communications)) return legs;
  for (const c of communications) {
    if (!isObject(c)) continue;
    const leg = fillLeg(participantLeg(p, media), c, 'disconnectedTime');
    set(leg, 'communicationId', str(c.id));
    set(leg, 'afterCallWork', communicationAfterCallWork(c) ?? participantAfterCallWork(p));
    legs.push(leg);
  }
  return legs;
}

/**
 * The legs of a per-media notification body, marked as covering `media` only. Throws MalformedInputError when the
 * body is not an object with an id; participants without an id are kept (they count, but yield no events).
 */
export function legsFromMediaTopic(eventBody: unknown, media: MediaType): ConversationLegs {
  if (!isObject(eventBody)) {
    throw new MalformedInputError('Per-media conversation notification is not a JSON object.', {
      hint: 'Pass the eventBody of a ….conversations.<media> topic, not the whole frame.',
    });
  }
  const conversationId = str(eventBody.id);
  if (conversationId === undefined) {
    throw new MalformedInputError('Per-media conversation notification has no id.', {
      hint: 'Conversation notifications always carry eventBody.id; check the topic this came from.',
    });
  }
  const legs: LegRecord[] = [];
  if (Array.isArray(eventBody.participants)) {
    for (const p of eventBody.participants) if (isObject(p)) legs.push(...legsOfParticipant(p, media));
  }
  return { conversationId, legs, coversOnly: media };
}
