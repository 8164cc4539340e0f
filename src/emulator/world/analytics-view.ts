/**
 * What analytics shows of each conversation, and when. The platform's analytics is eventually consistent: a record
 * lags what notifications already showed by seconds (GENESYS.md §3). Every change of a live conversation is
 * rendered at once into its analytics record and becomes visible only after the lag (plus jitter), in order; until
 * then the previous version shows, and a conversation whose first version is not visible yet is not found at all.
 * Seeded history is old and visible from the start.
 */
import type { Models } from 'purecloud-platform-client-v2';
import { renderAnalyticsConversation } from './analytics.js';
import type { SimConversation } from './model.js';
import type { Random } from './random.js';

type AnalyticsRecord = Models.AnalyticsConversationWithoutAttributes;

interface Version {
  visibleAt: number;
  record: AnalyticsRecord;
}

interface Versions {
  /** The newest version that is visible (checked against the clock when read). */
  list: Version[];
}

/** Lag of one change: a fixed part and a uniform jitter on top. */
export interface AnalyticsLag {
  lagMs: number;
  jitterMs: number;
}

/** Rendered analytics records with their visibility times. */
export class AnalyticsView {
  private readonly versions = new Map<string, Versions>();

  /** `lag` is read at each change, so a running world's lag can be changed. */
  constructor(
    private readonly lag: () => AnalyticsLag,
    private readonly random: Random,
  ) {}

  /** A live conversation changed at `t`: its record as of now becomes visible after the lag. */
  changed(conversation: SimConversation, t: number): void {
    let entry = this.versions.get(conversation.id);
    if (!entry) {
      entry = { list: [] };
      this.versions.set(conversation.id, entry);
    }
    const { lagMs, jitterMs } = this.lag();
    const delay = lagMs + (jitterMs > 0 ? this.random.next() * jitterMs : 0);
    // Versions become visible in the order they happened.
    const previous = entry.list.at(-1)?.visibleAt ?? 0;
    entry.list.push({
      visibleAt: Math.max(previous, t + delay),
      record: renderAnalyticsConversation(conversation),
    });
    this.compact(entry, t);
  }

  /**
   * The record analytics shows at `now`: the newest visible version; the current state for a conversation that
   * never changed live (seeded history); undefined while its first version is not visible yet.
   */
  recordAt(conversation: SimConversation, now: number): AnalyticsRecord | undefined {
    const entry = this.versions.get(conversation.id);
    if (!entry) return renderAnalyticsConversation(conversation);
    this.compact(entry, now);
    const first = entry.list[0]!;
    return first.visibleAt <= now ? first.record : undefined;
  }

  /** Whether analytics finds the conversation at all at `now` (its first version is visible). */
  visible(conversation: SimConversation, now: number): boolean {
    const first = this.versions.get(conversation.id)?.list[0];
    return first === undefined || first.visibleAt <= now;
  }

  /** Forgets a conversation the store no longer keeps. */
  forget(conversationId: string): void {
    this.versions.delete(conversationId);
  }

  /** Drops versions superseded by a newer visible one; the first entry is then the one visible now (if any). */
  private compact(entry: Versions, now: number): void {
    let visible = -1;
    for (let i = 0; i < entry.list.length && entry.list[i]!.visibleAt <= now; i++) visible = i;
    if (visible > 0) entry.list.splice(0, visible);
  }
}
