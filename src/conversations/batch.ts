/**
 * The events and wrap-up lookups one snapshot produces, with the shared envelope built in one place.
 */
import {
  type EventEnvelope,
  type EventSource,
  eventId,
  type LifecycleEvent,
  type LifecycleEventType,
} from '../events.js';
import type { ConversationRecord } from './state.js';

/** A wrap-up code to fetch: `GET /api/v2/conversations/{conversationId}`, then look at this participant. */
export interface WrapupLookup {
  conversationId: string;
  participantId: string;
}

/** What one snapshot produced. */
export interface DeriveResult {
  events: LifecycleEvent[];
  wrapupLookups: WrapupLookup[];
}

/** Tie-break for events of the same instant: the order in which such facts happen. */
const RANK: Record<LifecycleEventType, number> = {
  'conversation.started': 0,
  'participant.joined': 1,
  'conversation.transferred': 2,
  'participant.left': 3,
  'conversation.wrapup': 4,
  'conversation.ended': 5,
};

function byOccurrence(a: LifecycleEvent, b: LifecycleEvent): number {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt < b.occurredAt ? -1 : 1;
  return RANK[a.type] - RANK[b.type];
}

/** Collects the output of one ingest for one conversation. */
export class EventBatch {
  readonly events: LifecycleEvent[] = [];
  readonly wrapupLookups: WrapupLookup[] = [];
  private observed: string | undefined;

  constructor(
    private readonly rec: ConversationRecord,
    readonly source: EventSource,
    observedAt: string | undefined,
    private readonly now: number,
  ) {
    this.observed = observedAt;
  }

  /** When Switchboard saw the snapshot: the caller's value, else the clock (formatted only when needed). */
  observedAt(): string {
    if (this.observed === undefined) this.observed = new Date(this.now).toISOString();
    return this.observed;
  }

  /** The envelope of a new event; `occurredAt` falls back to the observation time when the snapshot had none. */
  envelope<T extends LifecycleEventType>(
    type: T,
    subject: string,
    occurredAt: string | undefined,
    source: EventSource = this.source,
  ): EventEnvelope<T> {
    const rec = this.rec;
    const observedAt = this.observedAt();
    const envelope: EventEnvelope<T> = {
      id: eventId(rec.id, type, subject),
      type,
      conversationId: rec.id,
      occurredAt: occurredAt ?? observedAt,
      observedAt,
      mediaType: rec.mediaType,
      source,
    };
    if (rec.messageType !== undefined) envelope.messageType = rec.messageType;
    return envelope;
  }

  /** Adds an event. */
  push(event: LifecycleEvent): void {
    this.events.push(event);
  }

  /** Asks the caller to fetch a wrap-up code. */
  lookup(participantId: string): void {
    this.wrapupLookups.push({ conversationId: this.rec.id, participantId });
  }

  /** The events in the order the facts happened, and the lookups. */
  result(): DeriveResult {
    if (this.events.length > 1) this.events.sort(byOccurrence);
    return { events: this.events, wrapupLookups: this.wrapupLookups };
  }
}
