/**
 * Filling gaps from REST, as the platform advises (nothing is replayed on the WebSocket): after a gap closes,
 * refresh every conversation known to be live with `GET /api/v2/conversations/{id}`, and find the conversations
 * that started or changed in the gap on the affected queues and users with the analytics details query (the gap
 * widened by a safety margin, cut into short intervals, paged through). What is found goes to a callback marked
 * as recovered; event ids downstream make anything already seen a duplicate that is dropped.
 *
 * Gaps that close together (a network blip drops every channel at once) are coalesced into one run, and every
 * call goes through a small concurrency limit: the rate budget is shared with everything else.
 */

import { forEachLimited } from '../concurrency.js';
import type { EventSource } from '../events.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import type { AnalyticsConversation, ConversationDetailsQuery, NotificationsPort } from './port.js';
import { describeError } from './retry.js';
import type { Gap } from './status.js';
import { topicSubject } from './topics.js';

export type BackfillSource = Extract<EventSource, { kind: 'backfill' }>;

/** A conversation fetched to fill a gap. */
export interface RecoveredConversation {
  conversationId: string;
  /** The whole conversation from `GET /api/v2/conversations/{id}`; absent when `fetchFound` is off. */
  conversation?: Record<string, unknown>;
  /** The analytics record that pointed at the conversation, when the details query found it. */
  analytics?: AnalyticsConversation;
  source: BackfillSource;
}

export interface BackfillerOptions {
  port: NotificationsPort;
  /** Ids of the conversations currently known to be live (e.g. the lifecycle deriver's open conversations). */
  trackedConversations: () => Iterable<string> | Promise<Iterable<string>>;
  /** Receives every recovered conversation. Awaited, so a slow consumer slows the backfill, not the reverse. */
  onRecovered: (recovered: RecoveredConversation) => void | Promise<void>;
  /** Widening of the gap on both sides for the analytics query (default 60 s). */
  marginMs?: number;
  /** REST calls in flight at once (default 2). */
  concurrency?: number;
  /** Analytics page size (default 100; the platform's maximum is unverified, 100 is safe). */
  pageSize?: number;
  /** Longest interval of one analytics query (default 1 h); longer windows are cut. */
  maxIntervalMs?: number;
  /** Pages read per query before giving up on completeness (default 50). */
  maxPages?: number;
  /** Queue/user predicates per query (default 50). */
  predicatesPerQuery?: number;
  /** Fetch the whole conversation for each analytics hit (default true). */
  fetchFound?: boolean;
  /** Time to wait for more gaps to close before a run starts (default 250 ms). */
  coalesceMs?: number;
  logger?: Logger;
}

/** What one backfill run did. */
export interface BackfillReport {
  gapStart: string;
  gapEnd: string;
  gaps: number;
  refreshed: number;
  queries: number;
  found: number;
  failures: number;
  /** An analytics window hit `maxPages`: some conversations in it may not have been recovered. */
  truncated: boolean;
}

interface Window {
  start: number;
  end: number;
  topics: Set<string>;
}

/** Runs a backfill after each gap. */
export class Backfiller {
  private readonly port: NotificationsPort;
  private readonly log: Logger;
  private readonly settings: Required<
    Pick<
      BackfillerOptions,
      | 'marginMs'
      | 'concurrency'
      | 'pageSize'
      | 'maxIntervalMs'
      | 'maxPages'
      | 'predicatesPerQuery'
      | 'fetchFound'
      | 'coalesceMs'
    >
  >;
  private pending: Gap[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly reports: BackfillReport[] = [];
  private stopped = false;
  private runs = 0;

  constructor(private readonly options: BackfillerOptions) {
    this.port = options.port;
    this.log = (options.logger ?? silentLogger()).child({ component: 'backfill' });
    this.settings = {
      marginMs: options.marginMs ?? 60_000,
      concurrency: options.concurrency ?? 2,
      pageSize: options.pageSize ?? 100,
      maxIntervalMs: options.maxIntervalMs ?? 3600_000,
      maxPages: options.maxPages ?? 50,
      predicatesPerQuery: options.predicatesPerQuery ?? 50,
      fetchFound: options.fetchFound ?? true,
      coalesceMs: options.coalesceMs ?? 250,
    };
  }

  /** Queues a closed gap; gaps closing within `coalesceMs` of each other are handled in one run. */
  enqueue(gap: Gap): void {
    if (this.stopped) return;
    this.pending.push(gap);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const gaps = this.pending;
      this.pending = [];
      this.runs++;
      this.running = this.running
        .then(() => this.run(gaps))
        .finally(() => {
          this.runs--;
        })
        .then(
          () => undefined,
          (error) => this.log.error({ err: describeError(error) }, 'backfill failed'),
        );
    }, this.settings.coalesceMs);
  }

  /** Whether a gap is queued or being backfilled now. */
  get busy(): boolean {
    return this.timer !== undefined || this.pending.length > 0 || this.runs > 0;
  }

  /** Resolves when every queued gap has been handled. */
  async idle(): Promise<void> {
    while (this.timer || this.pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.running;
  }

  /** Reports of the runs so far, oldest first (the last 100). */
  history(): BackfillReport[] {
    return [...this.reports];
  }

  /** Drops queued gaps and stops starting new work. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  /** Backfills `gaps` now: one refresh of the tracked conversations, and analytics for each merged window. */
  async run(gaps: Gap[]): Promise<BackfillReport> {
    const windows = this.windows(gaps);
    const gapStart = new Date(Math.min(...gaps.map((g) => Date.parse(g.start)))).toISOString();
    const gapEnd = new Date(Math.max(...gaps.map((g) => Date.parse(g.end)))).toISOString();
    const report: BackfillReport = {
      gapStart,
      gapEnd,
      gaps: gaps.length,
      refreshed: 0,
      queries: 0,
      found: 0,
      failures: 0,
      truncated: false,
    };
    const seen = new Set<string>();

    const tracked = [...(await this.options.trackedConversations())];
    await forEachLimited(tracked, this.settings.concurrency, async (conversationId) => {
      if (this.stopped || seen.has(conversationId)) return;
      seen.add(conversationId);
      const conversation = await this.fetch(conversationId, report);
      if (!conversation) return;
      report.refreshed++;
      await this.deliver({
        conversationId,
        conversation,
        source: { kind: 'backfill', via: 'conversation', gapStart, gapEnd },
      });
    });

    for (const window of windows) {
      const found = await this.search(window, report);
      const fresh = found.filter((c) => c.conversationId && !seen.has(c.conversationId));
      for (const c of fresh) seen.add(c.conversationId!);
      const source: BackfillSource = {
        kind: 'backfill',
        via: 'analytics',
        gapStart: new Date(window.start).toISOString(),
        gapEnd: new Date(window.end).toISOString(),
      };
      await forEachLimited(fresh, this.settings.concurrency, async (analytics) => {
        if (this.stopped) return;
        const conversationId = analytics.conversationId!;
        if (!this.settings.fetchFound) {
          report.found++;
          await this.deliver({ conversationId, analytics, source });
          return;
        }
        const conversation = await this.fetch(conversationId, report);
        if (!conversation) return;
        report.found++;
        await this.deliver({ conversationId, conversation, analytics, source });
      });
    }

    this.reports.push(report);
    if (this.reports.length > 100) this.reports.shift();
    this.log.info(report, 'backfill done');
    return report;
  }

  /** Merges gaps whose widened intervals overlap into windows. */
  private windows(gaps: Gap[]): Window[] {
    const margin = this.settings.marginMs;
    const sorted = gaps
      .map((g) => ({
        start: Date.parse(g.start) - margin,
        end: Date.parse(g.end) + margin,
        topics: new Set(g.topics),
      }))
      .sort((a, b) => a.start - b.start);
    const merged: Window[] = [];
    for (const window of sorted) {
      const last = merged[merged.length - 1];
      if (last && window.start <= last.end) {
        last.end = Math.max(last.end, window.end);
        for (const t of window.topics) last.topics.add(t);
      } else {
        merged.push(window);
      }
    }
    return merged;
  }

  /** Finds the conversations of a window on its queues and users, in short intervals, all pages. */
  private async search(window: Window, report: BackfillReport): Promise<AnalyticsConversation[]> {
    const predicates: Array<{ dimension: string; value: string }> = [];
    for (const topic of window.topics) {
      const subject = topicSubject(topic);
      if (subject.kind === 'queue') predicates.push({ dimension: 'queueId', value: subject.id });
      if (subject.kind === 'user') predicates.push({ dimension: 'userId', value: subject.id });
    }
    if (predicates.length === 0) return [];
    const found = new Map<string, AnalyticsConversation>();
    for (let from = window.start; from < window.end; from += this.settings.maxIntervalMs) {
      const to = Math.min(window.end, from + this.settings.maxIntervalMs);
      const interval = `${new Date(from).toISOString()}/${new Date(to).toISOString()}`;
      for (let i = 0; i < predicates.length; i += this.settings.predicatesPerQuery) {
        const chunk = predicates.slice(i, i + this.settings.predicatesPerQuery);
        for (const c of await this.pages(interval, chunk, report)) {
          if (c.conversationId && !found.has(c.conversationId)) found.set(c.conversationId, c);
        }
      }
    }
    return [...found.values()];
  }

  private async pages(
    interval: string,
    predicates: Array<{ dimension: string; value: string }>,
    report: BackfillReport,
  ): Promise<AnalyticsConversation[]> {
    const all: AnalyticsConversation[] = [];
    const { pageSize, maxPages } = this.settings;
    for (let pageNumber = 1; pageNumber <= maxPages && !this.stopped; pageNumber++) {
      const query: ConversationDetailsQuery = {
        interval,
        order: 'asc',
        orderBy: 'conversationStart',
        paging: { pageSize, pageNumber },
        segmentFilters: [{ type: 'or', predicates: predicates.map((p) => ({ type: 'dimension', ...p })) }],
      };
      report.queries++;
      let page: Awaited<ReturnType<NotificationsPort['queryConversationDetails']>>;
      try {
        page = await this.port.queryConversationDetails(query);
      } catch (error) {
        report.failures++;
        this.log.warn({ interval, err: describeError(error) }, 'backfill query failed');
        return all;
      }
      const conversations = page.conversations ?? [];
      all.push(...conversations);
      const total = page.totalHits ?? 0;
      if (conversations.length < pageSize || pageNumber * pageSize >= total) return all;
      if (pageNumber === maxPages) {
        report.truncated = true;
        this.log.warn({ interval, total }, 'backfill window has more conversations than maxPages reads');
      }
    }
    return all;
  }

  private async fetch(
    conversationId: string,
    report: BackfillReport,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.port.getConversation(conversationId);
    } catch (error) {
      report.failures++;
      this.log.warn({ conversationId, err: describeError(error) }, 'backfill fetch failed');
      return undefined;
    }
  }

  private async deliver(recovered: RecoveredConversation): Promise<void> {
    try {
      await this.options.onRecovered(recovered);
    } catch (error) {
      this.log.warn(
        { conversationId: recovered.conversationId, err: describeError(error) },
        'onRecovered failed',
      );
    }
  }
}
