/**
 * Ground truth: every lifecycle fact the simulator produced, in the vocabulary of the event model, so that a
 * test can compare what Switchboard derived from the stream with what really happened.
 */
import { eventId, type LifecycleEventType, type MediaType } from '../../events.js';
import type { Origin, SimConversation, SimParticipant } from './model.js';

/** One fact; `id` equals the id Switchboard's deriver must give the same fact. */
export interface GroundTruthFact {
  id: string;
  type: LifecycleEventType;
  conversationId: string;
  /** ISO-8601 UTC with milliseconds, from the emulated timeline. */
  occurredAt: string;
  mediaType: MediaType;
  messageType?: string;
  /** The leg the fact is about (the customer for `conversation.started`; absent for `conversation.ended`). */
  participantId?: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  /** `participant.left`: how the leg ended. */
  disconnectType?: string;
  /** `conversation.transferred`. */
  transferType?: 'blind' | 'consult';
  to?: { kind: 'queue' | 'user'; queueId?: string; userId?: string; participantId?: string };
  /** `conversation.wrapup`. */
  wrapupCode?: string;
  wrapupCodeName?: string;
  afterCallWork?: 'complete' | 'skipped';
  /** Where the conversation came from: spontaneous live traffic, a scripted conversation, or a burst. */
  origin: Origin;
  /**
   * The first moment a client following topics could know the fact: when it happened, or — for what happened before
   * the conversation reached a queue or a user (a `conversation.started` in the IVR) — its first notification.
   */
  observableAt?: string;
}

export type FactDetail = Partial<
  Pick<
    GroundTruthFact,
    | 'queueId'
    | 'disconnectType'
    | 'transferType'
    | 'to'
    | 'wrapupCode'
    | 'wrapupCodeName'
    | 'afterCallWork'
    | 'participantId'
    | 'externalContactId'
  >
>;

/** Builds a fact about a conversation (and, for leg facts, the subject leg) at time `t`. */
export function buildFact(
  conversation: SimConversation,
  type: LifecycleEventType,
  t: number,
  subject?: SimParticipant,
  detail: FactDetail = {},
): GroundTruthFact {
  // The subject of the id is the leg for participant facts, transfers and wrap-ups; none for started/ended.
  const idSubject =
    type === 'conversation.started' || type === 'conversation.ended' ? '' : (subject?.id ?? '');
  const fact: GroundTruthFact = {
    id: eventId(conversation.id, type, idSubject),
    type,
    conversationId: conversation.id,
    occurredAt: new Date(t).toISOString(),
    mediaType: conversation.media,
    origin: conversation.origin,
  };
  if (conversation.messageType) fact.messageType = conversation.messageType;
  if (subject) {
    fact.participantId = subject.id;
    if (subject.userId) fact.userId = subject.userId;
    if (subject.queueId) fact.queueId = subject.queueId;
    if (subject.externalContactId) fact.externalContactId = subject.externalContactId;
  }
  for (const [key, value] of Object.entries(detail)) {
    if (value !== undefined) (fact as unknown as Record<string, unknown>)[key] = value;
  }
  return fact;
}

/** Keeps facts in the order they happened (at most `maxFacts`, oldest dropped first). */
export class GroundTruthLog {
  private facts: GroundTruthFact[] = [];
  private sorted = true;

  constructor(private readonly maxFacts = Number.POSITIVE_INFINITY) {}

  add(fact: GroundTruthFact): void {
    const last = this.facts.at(-1);
    // Bursts record conversations that lie in the past: only they break the time order.
    if (last && last.occurredAt > fact.occurredAt) this.sorted = false;
    this.facts.push(fact);
    if (this.facts.length > this.maxFacts * 1.1) {
      this.ensureSorted();
      this.facts = this.facts.slice(this.facts.length - this.maxFacts);
    }
  }

  /** Facts whose `occurredAt` lies in [since, until] (either bound optional), in the order they happened. */
  list(since?: number, until?: number): GroundTruthFact[] {
    this.ensureSorted();
    if (since === undefined && until === undefined) return [...this.facts];
    return this.facts.filter((f) => {
      const t = Date.parse(f.occurredAt);
      return (since === undefined || t >= since) && (until === undefined || t <= until);
    });
  }

  get size(): number {
    return this.facts.length;
  }

  private ensureSorted(): void {
    if (this.sorted) return;
    // A stable sort keeps facts of the same millisecond in causal order.
    this.facts.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
    this.sorted = true;
  }
}
