/**
 * The event vocabulary of Switchboard: what the lifecycle deriver emits, what sinks receive, what the emulator's
 * ground truth speaks, and what proactive rules trigger on.
 *
 * Every event shares one envelope. Its `id` is deterministic — derived from the conversation, the event type and
 * the participant the fact is about — so the same fact seen twice (two topics, two channels, a backfill, a
 * restart) carries the same id and is delivered once.
 */
import { createHash } from 'node:crypto';

export const LIFECYCLE_EVENT_TYPES = [
  'conversation.started',
  'participant.joined',
  'conversation.transferred',
  'participant.left',
  'conversation.ended',
  'conversation.wrapup',
] as const;

export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

/** Media of a conversation, as the platform names the media arrays of a participant. */
export type MediaType =
  | 'voice'
  | 'message'
  | 'email'
  | 'callback'
  | 'chat'
  | 'video'
  | 'screenshare'
  | 'unknown';

/** Where an event was observed. */
export type EventSource =
  | { kind: 'topic'; topic: string; channelId?: string; correlationId?: string }
  | { kind: 'backfill'; via: 'conversation' | 'analytics'; gapStart?: string; gapEnd?: string }
  | { kind: 'replay'; file?: string; line?: number };

/** Fields common to every lifecycle event. */
export interface EventEnvelope<T extends LifecycleEventType = LifecycleEventType> {
  /** Deterministic: see {@link eventId}. */
  id: string;
  type: T;
  conversationId: string;
  /** When the fact happened, from the snapshot's own timestamps (ISO-8601 UTC, milliseconds). */
  occurredAt: string;
  /** When Switchboard saw it (ISO-8601 UTC). */
  observedAt: string;
  mediaType: MediaType;
  /** For message conversations: `webmessaging`, `open`, `sms`, `whatsapp`, `facebook`, ... */
  messageType?: string;
  source: EventSource;
}

/** A participant as events describe it: only what identifies the leg, never customer addresses. */
export interface ParticipantRef {
  participantId: string;
  purpose: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
}

export interface ConversationStartedEvent extends EventEnvelope<'conversation.started'> {
  direction: 'inbound' | 'outbound' | 'unknown';
  /** The customer (or external) participant, when the snapshot has one. */
  customer?: ParticipantRef;
  /** First queue the conversation was routed to, when known at start. */
  queueId?: string;
}

export interface ParticipantJoinedEvent extends EventEnvelope<'participant.joined'> {
  /** An agent or user leg that connected. Offers that were never answered are not joins. */
  participant: ParticipantRef;
}

export interface ParticipantLeftEvent extends EventEnvelope<'participant.left'> {
  participant: ParticipantRef;
  /** The leg's `disconnectType` as last seen (`client`, `transfer`, `endpoint`, ...). */
  disconnectType?: string;
}

export interface ConversationTransferredEvent extends EventEnvelope<'conversation.transferred'> {
  /** The agent leg that transferred the conversation away. */
  from: ParticipantRef;
  /** Where it went: a queue, a user, or an external address (then neither id is set). */
  to: {
    kind: 'queue' | 'user' | 'external' | 'unknown';
    queueId?: string;
    userId?: string;
    participantId?: string;
  };
  transferType: 'blind' | 'consult';
}

export interface ConversationWrapupEvent extends EventEnvelope<'conversation.wrapup'> {
  participant: ParticipantRef;
  /** Wrap-up code id; absent only when after-call work was skipped and the platform had no code either. */
  code?: string;
  /** Wrap-up code name, when the platform or the org listing gave it. */
  codeName?: string;
  notes?: string;
  durationSeconds?: number;
  afterCallWork: 'complete' | 'skipped' | 'notApplicable' | 'unknown';
  /** Set when the code could not be read over REST after every attempt: the wrap-up is real, its code unknown. */
  codeLookupFailed?: true;
}

export interface ConversationEndedEvent extends EventEnvelope<'conversation.ended'> {
  /** From the first participant's start to the last leg's end, when both are known. */
  durationMs?: number;
}

export type LifecycleEvent =
  | ConversationStartedEvent
  | ParticipantJoinedEvent
  | ParticipantLeftEvent
  | ConversationTransferredEvent
  | ConversationWrapupEvent
  | ConversationEndedEvent;

/** Maps each event type to its event shape, for typed `on(type, handler)` listeners. */
export interface LifecycleEventMap {
  'conversation.started': ConversationStartedEvent;
  'participant.joined': ParticipantJoinedEvent;
  'participant.left': ParticipantLeftEvent;
  'conversation.transferred': ConversationTransferredEvent;
  'conversation.wrapup': ConversationWrapupEvent;
  'conversation.ended': ConversationEndedEvent;
}

/**
 * The deterministic id of a fact: a UUID-shaped digest of conversation id, event type and subject.
 *
 * The subject is the participant id the fact is about: the joining/leaving leg for `participant.*`, the leg that
 * transferred away for `conversation.transferred`, the wrapped-up leg for `conversation.wrapup`; empty for
 * `conversation.started` and `conversation.ended`. Anyone who knows the fact — the deriver, a backfill, the
 * emulator's ground truth — computes the same id.
 */
export function eventId(conversationId: string, type: LifecycleEventType, subject = ''): string {
  const hex = createHash('sha1')
    .update(`${conversationId.toLowerCase()}|${type}|${subject.toLowerCase()}`)
    .digest('hex');
  // Shape it as an RFC 4122 version-5 style UUID so it fits any "uuid" column or schema downstream.
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** The subject an event's id is derived from (see {@link eventId}). */
export function eventSubject(event: LifecycleEvent): string {
  switch (event.type) {
    case 'participant.joined':
    case 'participant.left':
    case 'conversation.wrapup':
      return event.participant.participantId;
    case 'conversation.transferred':
      return event.from.participantId;
    default:
      return '';
  }
}
