/**
 * Tolerant parsing of an aggregate conversation notification body (or a REST `Conversation`) into the compact
 * model of ./snapshot.ts. Absent keys stay undefined, unknown keys are ignored, wrong-typed values are dropped,
 * and only a body without an id is refused: one odd participant must not cost the whole conversation.
 */
import { MalformedInputError } from '../errors.js';
import type { MediaType } from '../events.js';
import { restDisconnectType } from '../spellings.js';
import type {
  AfterCallWorkSnapshot,
  CommunicationSnapshot,
  ConversationSnapshot,
  ParticipantSnapshot,
  TransferSnapshot,
  WrapupSnapshot,
} from './snapshot.js';
import { normalizeTimestamp } from './timestamps.js';

type Json = Record<string, unknown>;

/**
 * The participant arrays that are a leg's media, and what they are called in events. Add-on sessions
 * (screenshares, cobrowse, screen monitoring) are left out: they never decide whether a leg is connected.
 */
const MEDIA_ARRAYS: ReadonlyArray<readonly [key: string, mediaType: MediaType]> = [
  ['calls', 'voice'],
  ['callbacks', 'callback'],
  ['chats', 'chat'],
  ['emails', 'email'],
  ['messages', 'message'],
  ['videos', 'video'],
];

const NO_TRANSFERS: TransferSnapshot[] = [];

function mapDefined<T>(value: T | undefined, map: (value: T) => T): T | undefined {
  return value === undefined ? undefined : map(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A `Wrapup` object (notification or REST) in the compact model; undefined when it is not an object. */
export function parseWrapup(value: unknown): WrapupSnapshot | undefined {
  if (!isObject(value)) return undefined;
  const tags = Array.isArray(value.tags)
    ? value.tags.filter((t): t is string => typeof t === 'string')
    : undefined;
  return {
    code: str(value.code),
    name: str(value.name),
    notes: str(value.notes),
    tags,
    durationSeconds: typeof value.durationSeconds === 'number' ? value.durationSeconds : undefined,
    endTime: normalizeTimestamp(value.endTime),
    provisional: bool(value.provisional),
  };
}

function parseAfterCallWork(value: unknown): AfterCallWorkSnapshot | undefined {
  if (!isObject(value)) return undefined;
  return {
    state: str(value.state),
    startTime: normalizeTimestamp(value.startTime),
    endTime: normalizeTimestamp(value.endTime),
  };
}

function parseCommunication(c: Json, mediaType: MediaType): CommunicationSnapshot {
  return {
    id: str(c.id),
    mediaType,
    state: str(c.state),
    direction: str(c.direction),
    held: bool(c.held),
    disconnectType: mapDefined(str(c.disconnectType), restDisconnectType),
    connectedTime: normalizeTimestamp(c.connectedTime),
    disconnectedTime: normalizeTimestamp(c.disconnectedTime),
    afterCallWork: c.afterCallWork === undefined ? undefined : parseAfterCallWork(c.afterCallWork),
    afterCallWorkRequired: bool(c.afterCallWorkRequired),
    wrapup: c.wrapup === undefined ? undefined : parseWrapup(c.wrapup),
    messageType: mediaType === 'message' ? str(c.type) : undefined,
    parkTime: c.parkTime === undefined ? undefined : normalizeTimestamp(c.parkTime),
    resumeTime: c.resumeTime === undefined ? undefined : normalizeTimestamp(c.resumeTime),
  };
}

function parseCommunications(p: Json): CommunicationSnapshot[] {
  const out: CommunicationSnapshot[] = [];
  for (const [key, mediaType] of MEDIA_ARRAYS) {
    const list = p[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) if (isObject(c)) out.push(parseCommunication(c, mediaType));
  }
  return out;
}

function parseParticipant(p: Json): ParticipantSnapshot {
  const attributes = p.attributes;
  return {
    id: str(p.id) ?? '',
    purpose: str(p.purpose) ?? '',
    userId: str(p.userId),
    queueId: str(p.queueId),
    externalContactId: str(p.externalContactId),
    startTime: p.startTime === undefined ? undefined : normalizeTimestamp(p.startTime),
    connectedTime: normalizeTimestamp(p.connectedTime),
    endTime: normalizeTimestamp(p.endTime),
    startAcwTime: normalizeTimestamp(p.startAcwTime),
    endAcwTime: normalizeTimestamp(p.endAcwTime),
    wrapupRequired: bool(p.wrapupRequired),
    wrapupExpected: bool(p.wrapupExpected),
    wrapupSkipped: bool(p.wrapupSkipped),
    wrapup: p.wrapup === undefined ? undefined : parseWrapup(p.wrapup),
    consultParticipantId: str(p.consultParticipantId),
    consultInitiator: isObject(attributes) && attributes.consultInitiator === 'true',
    communications: parseCommunications(p),
  };
}

function parseTransfer(t: Json): TransferSnapshot {
  const initiator = t.initiator;
  const destination = t.destination;
  return {
    id: str(t.id),
    state: str(t.state),
    transferType: str(t.transferType),
    dateIssued: normalizeTimestamp(t.dateIssued),
    initiatorUserId: isObject(initiator) ? str(initiator.userId) : undefined,
    destinationUserId: isObject(destination) ? str(destination.userId) : undefined,
  };
}

/**
 * Parses the `eventBody` of a `v2.routing.queues.{id}.conversations` / `v2.users.{id}.conversations`
 * notification (or a REST `Conversation`). Throws MalformedInputError when it is not an object with an id.
 */
export function parseConversationSnapshot(eventBody: unknown): ConversationSnapshot {
  if (!isObject(eventBody)) {
    throw new MalformedInputError('Conversation snapshot is not a JSON object.', {
      hint: 'Pass the eventBody of an aggregate conversation topic, not the whole frame or a per-media topic.',
    });
  }
  const id = str(eventBody.id);
  if (id === undefined) {
    throw new MalformedInputError('Conversation snapshot has no id.', {
      hint: 'Aggregate conversation notifications always carry eventBody.id; check the topic this came from.',
    });
  }
  const participants: ParticipantSnapshot[] = [];
  if (Array.isArray(eventBody.participants)) {
    for (const p of eventBody.participants) if (isObject(p)) participants.push(parseParticipant(p));
  }
  let recentTransfers = NO_TRANSFERS;
  if (Array.isArray(eventBody.recentTransfers) && eventBody.recentTransfers.length > 0) {
    recentTransfers = [];
    for (const t of eventBody.recentTransfers) if (isObject(t)) recentTransfers.push(parseTransfer(t));
  }
  return {
    id,
    participants,
    recentTransfers,
    startTime: eventBody.startTime === undefined ? undefined : normalizeTimestamp(eventBody.startTime),
    endTime: eventBody.endTime === undefined ? undefined : normalizeTimestamp(eventBody.endTime),
  };
}
