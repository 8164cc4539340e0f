/** The latest events, in a fixed-size ring buffer, with the filters of `/api/events`. */
import type { EventView } from './views.js';

/** Filters of `/api/events`; values within one filter are alternatives (comma-separated in the query). */
export interface EventFilter {
  /** Event types; `conversation.*` style prefixes ending in `.` or `*` match a family. */
  types?: string[];
  queues?: string[];
  media?: string[];
  /** Events after this sequence number only (for polling). */
  after?: number;
  limit?: number;
}

/** Keeps the last `capacity` events. */
export class RecentEvents {
  private readonly ring: Array<EventView | undefined>;
  private next = 0;
  private seq = 0;

  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Array(capacity);
  }

  /** Stores an event view; returns it with its sequence number. */
  push(view: Omit<EventView, 'seq'>): EventView {
    const stored: EventView = { seq: ++this.seq, ...view };
    this.ring[this.next] = stored;
    this.next = (this.next + 1) % this.capacity;
    return stored;
  }

  /** Events stored so far (ever), i.e. the last sequence number. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Matching events, newest first. */
  query(filter: EventFilter = {}): EventView[] {
    const limit = Math.max(1, Math.min(filter.limit ?? 100, this.capacity));
    const out: EventView[] = [];
    for (let i = 1; i <= this.capacity && out.length < limit; i++) {
      const view = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (!view) break;
      if (filter.after !== undefined && view.seq <= filter.after) break;
      if (matches(view, filter)) out.push(view);
    }
    return out;
  }
}

/** Whether one event passes the filter. */
export function matches(view: EventView, filter: EventFilter): boolean {
  const { event } = view;
  if (filter.types?.length && !filter.types.some((t) => typeMatches(event.type, t))) return false;
  if (filter.queues?.length && !(view.queueId && filter.queues.includes(view.queueId))) return false;
  if (filter.media?.length && !filter.media.includes(event.mediaType)) return false;
  return true;
}

function typeMatches(type: string, wanted: string): boolean {
  if (wanted.endsWith('*')) return type.startsWith(wanted.slice(0, -1));
  if (wanted.endsWith('.')) return type.startsWith(wanted);
  return type === wanted;
}
