/**
 * Conversations in progress, by queue and media, as the events tell them: a conversation is in progress from
 * `conversation.started` to `conversation.ended`, and sits on the queue it was last routed or transferred to.
 * Bounded, and pruned against the deriver's own live set so a conversation whose end was never seen does not stay.
 */
import type { LifecycleEvent, MediaType } from '../events.js';

interface Tracked {
  queueId: string | undefined;
  mediaType: MediaType;
  since: number;
}

/** One row of the in-progress table. */
export interface QueueRow {
  /** Undefined for conversations not (yet) routed to a queue. */
  queueId: string | undefined;
  total: number;
  byMedia: Partial<Record<MediaType, number>>;
}

export interface InProgressView {
  total: number;
  byMedia: Partial<Record<MediaType, number>>;
  rows: QueueRow[];
}

/** The queue an event points at, if it names one. */
export function queueOfEvent(event: LifecycleEvent): string | undefined {
  switch (event.type) {
    case 'conversation.started':
      return event.queueId ?? event.customer?.queueId;
    case 'conversation.transferred':
      return event.to.queueId;
    case 'participant.joined':
    case 'participant.left':
    case 'conversation.wrapup':
      return event.participant.queueId;
    default:
      return undefined;
  }
}

/** Counts conversations between their start and end. */
export class InProgressBoard {
  private readonly live = new Map<string, Tracked>();
  /** Queues of recently ended conversations, so a wrap-up that comes after the end is still labelled. */
  private readonly ended = new Map<string, string>();

  constructor(
    private readonly capacity = 100_000,
    private readonly endedKept = 5000,
  ) {}

  /** Applies one event; returns the queue the conversation is on afterwards (for labelling the event). */
  observe(event: LifecycleEvent, now = Date.now()): string | undefined {
    const id = event.conversationId;
    if (event.type === 'conversation.ended') {
      const queueId = this.live.get(id)?.queueId;
      this.live.delete(id);
      if (queueId) {
        this.ended.set(id, queueId);
        if (this.ended.size > this.endedKept) this.ended.delete(this.ended.keys().next().value as string);
      }
      return queueId ?? queueOfEvent(event);
    }
    let tracked = this.live.get(id);
    if (!tracked) {
      // Any event of a conversation not yet ended means it is in progress (it may have started before we ran).
      if (event.type === 'conversation.wrapup' || event.type === 'participant.left') {
        return queueOfEvent(event) ?? this.ended.get(id);
      }
      tracked = { queueId: undefined, mediaType: event.mediaType, since: now };
      this.live.set(id, tracked);
      if (this.live.size > this.capacity) this.live.delete(this.live.keys().next().value as string);
    }
    const queueId = queueOfEvent(event);
    // A transfer moves the conversation; a join only fills in a queue that was not known yet.
    if (queueId && (event.type === 'conversation.transferred' || tracked.queueId === undefined)) {
      tracked.queueId = queueId;
    }
    return tracked.queueId;
  }

  /** The queue a conversation is on, if tracked. */
  queueOf(conversationId: string): string | undefined {
    return this.live.get(conversationId)?.queueId;
  }

  /** Drops conversations the deriver no longer considers live, if they were tracked longer than `graceMs`. */
  prune(liveIds: Iterable<string>, now = Date.now(), graceMs = 60_000): number {
    const keep = new Set(liveIds);
    let dropped = 0;
    for (const [id, tracked] of this.live) {
      if (!keep.has(id) && now - tracked.since > graceMs) {
        this.live.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.live.size;
  }

  view(): InProgressView {
    const rows = new Map<string, QueueRow>();
    const byMedia: Partial<Record<MediaType, number>> = {};
    for (const tracked of this.live.values()) {
      const key = tracked.queueId ?? '';
      let row = rows.get(key);
      if (!row) {
        row = { queueId: tracked.queueId, total: 0, byMedia: {} };
        rows.set(key, row);
      }
      row.total++;
      row.byMedia[tracked.mediaType] = (row.byMedia[tracked.mediaType] ?? 0) + 1;
      byMedia[tracked.mediaType] = (byMedia[tracked.mediaType] ?? 0) + 1;
    }
    return {
      total: this.live.size,
      byMedia,
      rows: [...rows.values()].sort(
        (a, b) => b.total - a.total || String(a.queueId).localeCompare(String(b.queueId)),
      ),
    };
  }
}
