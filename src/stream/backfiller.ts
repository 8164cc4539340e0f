/**
 * Filling gaps from REST, as the platform advises (nothing is replayed on the WebSocket), at a cost that does not
 * grow with the org: after a gap closes and analytics has had time to catch up, the conversations the stream was
 * following that no live notification has refreshed since are read back from analytics in batches (the multi-get,
 * up to 100 per call), and the conversations that started in the gap on the affected queues and users are found
 * with the details query — whose records are derived from directly, without a read per hit. The search looks back
 * a little before the gap (`lookbackMs`): a conversation reaches a queue's topic after its IVR, so one that started
 * before the gap can have first shown on the topics during it.
 *
 * Nothing is concluded from a miss: a conversation analytics does not show yet is looked for again with backoff over
 * a horizon of minutes, and read over REST only when the horizon passes. A window whose query fails stays open and
 * is tried again; one with more results than a query pages through is read on by a new query from the last start
 * read. Gaps that close together are coalesced; the oldest work goes first. What is still open is exported for the
 * checkpoint, so a restart resumes it.
 */
import { backoffDelay } from '../backoff.js';
import type { EventSource } from '../events.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import { realTimers, type Timers } from '../timers.js';
import type { AnalyticsConversation, ConversationDetailsQuery, NotificationsPort } from './port.js';
import { describeError } from './retry.js';
import type { Gap } from './status.js';
import { topicSubject } from './topics.js';

export type BackfillSource = Extract<EventSource, { kind: 'backfill' }>;

/** A conversation recovered to fill a gap: its analytics record, or (past the horizon) its REST view. */
export interface RecoveredConversation {
  conversationId: string;
  analytics?: AnalyticsConversation;
  /** `GET /api/v2/conversations/{id}`, read only for a conversation analytics never showed within the horizon. */
  conversation?: Record<string, unknown>;
  source: BackfillSource;
}

export interface BackfillerOptions {
  port: NotificationsPort;
  /** Live conversations the stream follows that no snapshot has refreshed since `since` (epoch ms). */
  trackedConversations: (since: number) => Iterable<string> | Promise<Iterable<string>>;
  /** The topics being covered now: what a gap restored from a checkpoint is searched on. */
  currentTopics?: () => Iterable<string>;
  /** Receives every recovered conversation. Awaited, so a slow consumer slows the backfill, not the reverse. */
  onRecovered: (recovered: RecoveredConversation) => void | Promise<void>;
  /** Widening of a gap on both sides for the details query, against clock skew (default 30 s). */
  marginMs?: number;
  /**
   * How long before a gap the details query looks back (default 2 min, never less than `marginMs`). It finds
   * conversations by their start, and one shows on a queue's or a user's topic only once it reaches them: a call that
   * started in an IVR before the gap and was queued during it is known to no one but this search. Cover the longest
   * time a conversation spends before it reaches what the stream follows (IVR and flows; queue waits too when only
   * users are followed); one that took longer is known only from its next notification, if it has one.
   */
  lookbackMs?: number;
  /** Wait after a gap closes before reading, so analytics has caught up (default 10 s). */
  settleMs?: number;
  /** Analytics page size (default 100; the platform's maximum is unverified, 100 is safe). */
  pageSize?: number;
  /** Longest interval of one details query (default 1 h); longer windows are cut. */
  maxIntervalMs?: number;
  /**
   * Pages read per query (default 20); an interval with more results is read on by a new query from the start of the
   * last conversation read.
   */
  maxPages?: number;
  /** Queue/user predicates per query (default 50). */
  predicatesPerQuery?: number;
  /** Conversation ids per multi-get (default 100; halved when the platform refuses a batch). */
  batchSize?: number;
  /** How long a conversation missing from analytics is looked for before its REST read (default 10 min). */
  horizonMs?: number;
  /** First delay before a window or a conversation is tried again; doubles, at most 60 s (default 5 s). */
  retryDelayMs?: number;
  /** Time to wait for more gaps to close before work starts (default 250 ms). */
  coalesceMs?: number;
  /** Told of every window recovered (`complete`) or tried and left open for another try. */
  onReport?: (report: BackfillReport, complete: boolean) => void;
  timers?: Timers;
  logger?: Logger;
}

/** What one window's recovery did. */
export interface BackfillReport {
  gapStart: string;
  gapEnd: string;
  gaps: number;
  /** Tracked conversations read back (multi-get). */
  refreshed: number;
  /** Calls made: multi-gets and details query pages. */
  queries: number;
  /** Conversations found by the details query. */
  found: number;
  /** Calls that failed (the window, or the conversations, are tried again). */
  failures: number;
  /** Intervals read on by a new query because they held more than one query pages through. */
  splits: number;
}

/** Where recovery stands, for health, the dashboard and metrics. */
export interface BackfillProgress {
  /** Gaps (merged into windows) not recovered yet. */
  openGaps: number;
  /** Conversations looked for again because analytics did not show them yet. */
  conversationsPending: number;
  /** The oldest moment not known recovered: the start of the oldest open gap (ISO-8601). */
  oldestUnrecovered: string | undefined;
  /** Calls still to make, estimated, and at the recent pace, how long that takes. */
  backlogCalls: number;
  etaSeconds: number | undefined;
  /** Work is under way now. */
  running: boolean;
  totals: { windows: number; calls: number; failures: number; recovered: number };
  last: BackfillReport | undefined;
}

/** What a checkpoint keeps of the recovery still to do. */
export interface BackfillState {
  gaps: Array<{ start: number; end: number }>;
  conversations: Array<{ id: string; since: number; gapStart: number; gapEnd: number }>;
}

interface Window {
  start: number;
  end: number;
  gaps: number;
  topics: Set<string>;
  /** Searched on every topic covered now (restored from a checkpoint, whose topics are not kept). */
  allTopics: boolean;
  dueAt: number;
  attempts: number;
  /** Tracked conversations were read back already (only discovery is left). */
  refreshed: boolean;
  /** Intervals already searched in full (kept across a retry after a failure). */
  searched: Set<string>;
}

interface Missing {
  id: string;
  since: number;
  dueAt: number;
  attempts: number;
  gapStart: number;
  gapEnd: number;
}

const MAX_RETRY_MS = 60_000;

/** Runs the recovery of every gap. */
export class Backfiller {
  private readonly port: NotificationsPort;
  private readonly log: Logger;
  private readonly timers: Timers;
  private readonly settings: Required<
    Pick<
      BackfillerOptions,
      | 'marginMs'
      | 'lookbackMs'
      | 'settleMs'
      | 'pageSize'
      | 'maxIntervalMs'
      | 'maxPages'
      | 'predicatesPerQuery'
      | 'horizonMs'
      | 'retryDelayMs'
      | 'coalesceMs'
    >
  >;
  private batchSize: number;
  private windows: Window[] = [];
  private readonly missing = new Map<string, Missing>();
  private arriving: Gap[] = [];
  private coalesceTimer: unknown;
  private wakeTimer: unknown;
  private wakeAt = Number.POSITIVE_INFINITY;
  private working = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private last: BackfillReport | undefined;
  private readonly totals = { windows: 0, calls: 0, failures: 0, recovered: 0 };
  /** Recent call times, for the pace behind the estimate. */
  private readonly recentCalls: number[] = [];

  constructor(private readonly options: BackfillerOptions) {
    this.port = options.port;
    this.log = (options.logger ?? silentLogger()).child({ component: 'backfill' });
    this.timers = options.timers ?? realTimers;
    const marginMs = options.marginMs ?? 30_000;
    this.settings = {
      marginMs,
      lookbackMs: Math.max(marginMs, options.lookbackMs ?? 120_000),
      settleMs: options.settleMs ?? 10_000,
      pageSize: options.pageSize ?? 100,
      maxIntervalMs: options.maxIntervalMs ?? 3_600_000,
      maxPages: options.maxPages ?? 20,
      predicatesPerQuery: options.predicatesPerQuery ?? 50,
      horizonMs: options.horizonMs ?? 10 * 60_000,
      retryDelayMs: options.retryDelayMs ?? 5000,
      coalesceMs: options.coalesceMs ?? 250,
    };
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 100));
  }

  /** Queues a closed gap; gaps closing within `coalesceMs` of each other become one window. */
  enqueue(gap: Gap): void {
    if (this.stopped) return;
    this.arriving.push(gap);
    if (this.coalesceTimer !== undefined) return;
    this.coalesceTimer = this.timers.setTimeout(() => {
      this.coalesceTimer = undefined;
      const gaps = this.arriving;
      this.arriving = [];
      for (const gap of gaps) this.addWindow(gap);
      this.wake();
    }, this.settings.coalesceMs);
  }

  /** Whether any gap is queued, open, or being recovered. */
  get busy(): boolean {
    return this.arriving.length > 0 || this.windows.length > 0 || this.missing.size > 0 || this.working;
  }

  /** Resolves when every gap is recovered and every missing conversation found (or read past the horizon). */
  idle(): Promise<void> {
    if (!this.busy || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Where recovery stands. */
  progress(): BackfillProgress {
    const now = this.timers.now();
    const oldest = Math.min(
      ...this.windows.map((w) => w.start + this.settings.marginMs),
      ...this.arriving.map((g) => Date.parse(g.start)),
      ...[...this.missing.values()].map((m) => m.gapStart),
    );
    const backlogCalls =
      this.windows.reduce((sum, w) => sum + (w.refreshed ? 0 : 1) + this.intervalsOf(w).length, 0) +
      Math.ceil(this.missing.size / this.batchSize);
    while (this.recentCalls.length > 0 && this.recentCalls[0]! < now - 60_000) this.recentCalls.shift();
    const pace = this.recentCalls.length / 60; // calls per second over the last minute
    return {
      openGaps: this.windows.length + this.arriving.length,
      conversationsPending: this.missing.size,
      oldestUnrecovered: Number.isFinite(oldest) ? new Date(oldest).toISOString() : undefined,
      backlogCalls,
      etaSeconds: backlogCalls === 0 ? 0 : pace > 0 ? Math.ceil(backlogCalls / pace) : undefined,
      running: this.working,
      totals: { ...this.totals },
      last: this.last,
    };
  }

  /** The recovery still to do, for a checkpoint. */
  exportState(): BackfillState {
    return {
      gaps: [
        ...this.windows.map((w) => ({
          start: w.start + this.settings.marginMs,
          end: w.end - this.settings.marginMs,
        })),
        ...this.arriving.map((g) => ({ start: Date.parse(g.start), end: Date.parse(g.end) })),
      ],
      conversations: [...this.missing.values()].map(({ id, since, gapStart, gapEnd }) => ({
        id,
        since,
        gapStart,
        gapEnd,
      })),
    };
  }

  /** Takes up the recovery a checkpoint left open: its gaps are searched on every topic covered now. */
  importState(state: BackfillState): void {
    const now = this.timers.now();
    for (const gap of state.gaps) {
      this.addWindow(
        {
          start: new Date(gap.start).toISOString(),
          end: new Date(gap.end).toISOString(),
          topics: [],
          reason: 'restart',
        },
        true,
      );
    }
    for (const c of state.conversations) {
      if (!this.missing.has(c.id)) this.missing.set(c.id, { ...c, dueAt: now, attempts: 0 });
    }
    this.wake();
  }

  /** Drops queued work and stops starting new work (what is open stays in the last checkpoint). */
  stop(): void {
    this.stopped = true;
    if (this.coalesceTimer !== undefined) this.timers.clearTimeout(this.coalesceTimer);
    if (this.wakeTimer !== undefined) this.timers.clearTimeout(this.wakeTimer);
    this.coalesceTimer = undefined;
    this.wakeTimer = undefined;
    this.settleIdle(true);
  }

  /** Adds a gap as a window (widened by the margin), merged with any window it overlaps. */
  private addWindow(gap: Gap, allTopics = false): void {
    const margin = this.settings.marginMs;
    const start = Date.parse(gap.start) - margin;
    const end = Date.parse(gap.end) + margin;
    if (!Number.isFinite(start) || !Number.isFinite(end)) return;
    const dueAt = Date.parse(gap.end) + this.settings.settleMs;
    const overlapping = this.windows.find((w) => start <= w.end && end >= w.start && !w.refreshed);
    if (overlapping) {
      overlapping.start = Math.min(overlapping.start, start);
      overlapping.end = Math.max(overlapping.end, end);
      overlapping.gaps++;
      overlapping.allTopics ||= allTopics;
      for (const t of gap.topics) overlapping.topics.add(t);
      overlapping.dueAt = Math.max(overlapping.dueAt, dueAt);
      overlapping.searched.clear();
      return;
    }
    this.windows.push({
      start,
      end,
      gaps: 1,
      topics: new Set(gap.topics),
      allTopics,
      dueAt,
      attempts: 0,
      refreshed: false,
      searched: new Set(),
    });
    this.windows.sort((a, b) => a.start - b.start);
  }

  private wake(): void {
    if (this.stopped || this.working) return;
    void this.work();
  }

  /** Runs due work, oldest first, one piece at a time; then sleeps until the next piece is due. */
  private async work(): Promise<void> {
    this.working = true;
    try {
      for (;;) {
        if (this.stopped) return;
        const now = this.timers.now();
        const window = this.windows.find((w) => w.dueAt <= now);
        if (window) {
          await this.recoverWindow(window);
          continue;
        }
        const due = [...this.missing.values()].filter((m) => m.dueAt <= now);
        if (due.length > 0) {
          await this.lookAgain(due);
          continue;
        }
        break;
      }
    } finally {
      this.working = false;
    }
    this.sleep();
    this.settleIdle(false);
  }

  private sleep(): void {
    if (this.stopped) return;
    const next = Math.min(
      ...this.windows.map((w) => w.dueAt),
      ...[...this.missing.values()].map((m) => m.dueAt),
    );
    if (!Number.isFinite(next)) return;
    if (this.wakeTimer !== undefined && this.wakeAt <= next) return;
    if (this.wakeTimer !== undefined) this.timers.clearTimeout(this.wakeTimer);
    this.wakeAt = next;
    this.wakeTimer = this.timers.setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.wake();
      },
      Math.max(0, next - this.timers.now()),
    );
  }

  /** One window: read back the tracked conversations, then search the window; done, or tried again later. */
  private async recoverWindow(window: Window): Promise<void> {
    const report: BackfillReport = {
      gapStart: new Date(window.start + this.settings.marginMs).toISOString(),
      gapEnd: new Date(window.end - this.settings.marginMs).toISOString(),
      gaps: window.gaps,
      refreshed: 0,
      queries: 0,
      found: 0,
      failures: 0,
      splits: 0,
    };
    const source: BackfillSource = {
      kind: 'backfill',
      via: 'analytics',
      gapStart: report.gapStart,
      gapEnd: report.gapEnd,
    };
    let complete = true;
    if (!window.refreshed) {
      const since = window.end - this.settings.marginMs;
      const tracked = [...(await this.options.trackedConversations(since))];
      complete = await this.refresh(tracked, window, source, report);
      if (complete) window.refreshed = true;
    }
    if (complete && !this.stopped) complete = await this.search(window, source, report);
    this.last = report;
    this.log.info(
      { ...report, complete },
      complete ? 'gap recovered' : 'gap recovery incomplete; trying again',
    );
    this.options.onReport?.(report, complete);
    if (complete) {
      this.windows = this.windows.filter((w) => w !== window);
      this.totals.windows++;
    } else {
      window.attempts++;
      window.dueAt = this.timers.now() + this.retryDelay(window.attempts);
    }
  }

  /** Reads back tracked conversations in batches; those analytics does not show yet are looked for again later. */
  private async refresh(
    ids: string[],
    window: Window,
    source: BackfillSource,
    report: BackfillReport,
  ): Promise<boolean> {
    const now = this.timers.now();
    for (let i = 0; i < ids.length && !this.stopped; ) {
      const batch = ids.slice(i, i + this.batchSize);
      const read = await this.readBatch(batch, report);
      if (read === 'smaller') continue;
      if (read === 'failed') return false;
      const found = new Set<string>();
      for (const record of read) {
        if (!record.conversationId) continue;
        found.add(record.conversationId);
        report.refreshed++;
        await this.deliver({ conversationId: record.conversationId, analytics: record, source });
      }
      for (const id of batch) {
        if (found.has(id) || this.missing.has(id)) continue;
        this.missing.set(id, {
          id,
          since: now,
          dueAt: now + this.settings.retryDelayMs,
          attempts: 0,
          gapStart: window.start + this.settings.marginMs,
          gapEnd: window.end - this.settings.marginMs,
        });
      }
      i += batch.length;
    }
    return true;
  }

  /** One multi-get: the records, `smaller` after learning a smaller batch size, or `failed`. */
  private async readBatch(
    ids: string[],
    report: BackfillReport,
  ): Promise<AnalyticsConversation[] | 'smaller' | 'failed'> {
    this.countCall(report);
    try {
      return await this.port.getConversationDetails(ids, 'backfill');
    } catch (error) {
      if ((error as { status?: number }).status === 400 && ids.length > 1) {
        this.batchSize = Math.max(1, Math.floor(ids.length / 2));
        this.log.warn(
          { batchSize: this.batchSize },
          'analytics refused a batch of ids; reading fewer at once',
        );
        return 'smaller';
      }
      report.failures++;
      this.totals.failures++;
      this.log.warn({ conversations: ids.length, err: describeError(error) }, 'backfill read failed');
      return 'failed';
    }
  }

  /** Conversations analytics did not show: read again (in batches); past the horizon, over REST. */
  private async lookAgain(due: Missing[]): Promise<void> {
    const now = this.timers.now();
    const report: BackfillReport = {
      gapStart: new Date(Math.min(...due.map((m) => m.gapStart))).toISOString(),
      gapEnd: new Date(Math.max(...due.map((m) => m.gapEnd))).toISOString(),
      gaps: 0,
      refreshed: 0,
      queries: 0,
      found: 0,
      failures: 0,
      splits: 0,
    };
    const expired = due.filter((m) => now - m.since >= this.settings.horizonMs);
    for (const m of expired) {
      if (this.stopped) return;
      const source: BackfillSource = {
        kind: 'backfill',
        via: 'conversation',
        gapStart: new Date(m.gapStart).toISOString(),
        gapEnd: new Date(m.gapEnd).toISOString(),
      };
      this.countCall(report);
      try {
        const conversation = await this.port.getConversation(m.id, 'backfill');
        await this.deliver({ conversationId: m.id, conversation, source });
        this.missing.delete(m.id);
      } catch (error) {
        report.failures++;
        this.totals.failures++;
        // Not found even over REST: the conversation is gone (a 404); anything else is tried again.
        if ((error as { status?: number }).status === 404) {
          this.log.warn({ conversationId: m.id }, 'a conversation followed before the gap no longer exists');
          this.missing.delete(m.id);
        } else this.postpone(m, now);
      }
    }
    const pending = due.filter((m) => !expired.includes(m)).slice(0, this.batchSize);
    if (pending.length === 0 || this.stopped) return;
    const read = await this.readBatch(
      pending.map((m) => m.id),
      report,
    );
    if (read === 'smaller') return;
    if (read === 'failed') {
      for (const m of pending) this.postpone(m, now);
      return;
    }
    const found = new Set<string>();
    for (const record of read) {
      const m = record.conversationId ? this.missing.get(record.conversationId) : undefined;
      if (!m) continue;
      found.add(m.id);
      this.missing.delete(m.id);
      report.refreshed++;
      await this.deliver({
        conversationId: m.id,
        analytics: record,
        source: {
          kind: 'backfill',
          via: 'analytics',
          gapStart: new Date(m.gapStart).toISOString(),
          gapEnd: new Date(m.gapEnd).toISOString(),
        },
      });
    }
    for (const m of pending) if (!found.has(m.id)) this.postpone(m, now);
  }

  private postpone(m: Missing, now: number): void {
    m.attempts++;
    m.dueAt = Math.min(now + this.retryDelay(m.attempts), m.since + this.settings.horizonMs);
  }

  private retryDelay(attempts: number): number {
    return backoffDelay(attempts, {
      initialDelayMs: this.settings.retryDelayMs,
      maxDelayMs: MAX_RETRY_MS,
      jitter: 'none',
    });
  }

  /** The queue/user predicates of a window: its topics, or every topic covered now. */
  private predicatesOf(window: Window): Array<{ dimension: string; value: string }> {
    const topics = window.allTopics
      ? [...(this.options.currentTopics?.() ?? []), ...window.topics]
      : window.topics;
    const predicates = new Map<string, { dimension: string; value: string }>();
    for (const topic of topics) {
      const subject = topicSubject(topic);
      if (subject.kind === 'queue')
        predicates.set(`q${subject.id}`, { dimension: 'queueId', value: subject.id });
      if (subject.kind === 'user')
        predicates.set(`u${subject.id}`, { dimension: 'userId', value: subject.id });
    }
    return [...predicates.values()];
  }

  /** The window's intervals not searched yet, from the lookback before it (cut at `maxIntervalMs`). */
  private intervalsOf(window: Window): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const start = window.start - (this.settings.lookbackMs - this.settings.marginMs);
    for (let from = start; from < window.end; from += this.settings.maxIntervalMs) {
      const to = Math.min(window.end, from + this.settings.maxIntervalMs);
      if (!window.searched.has(`${from}/${to}`)) out.push([from, to]);
    }
    return out;
  }

  /**
   * Finds the conversations that started in the window (and its lookback) on its queues and users, and derives from
   * their records.
   * A window over more queues and users than one query names (a whole pool lost at once) is searched without a
   * filter and its records filtered here: the calls then follow the conversations in the window, not the topics.
   */
  private async search(window: Window, source: BackfillSource, report: BackfillReport): Promise<boolean> {
    const predicates = this.predicatesOf(window);
    if (predicates.length === 0) return true;
    const wide = predicates.length > this.settings.predicatesPerQuery;
    const subjects = wide ? subjectsOf(predicates) : undefined;
    const intervals = this.intervalsOf(window).map(([from, to]) => ({ from, to, key: `${from}/${to}` }));
    while (intervals.length > 0 && !this.stopped) {
      const interval = intervals[0]!;
      const outcome = await this.searchInterval(
        interval.from,
        interval.to,
        wide ? [] : predicates,
        source,
        report,
        subjects,
      );
      if (outcome === 'failed') return false;
      if (outcome !== 'done') {
        interval.from = outcome.readOnFrom;
        report.splits++;
        continue;
      }
      intervals.shift();
      window.searched.add(interval.key);
    }
    return !this.stopped;
  }

  /**
   * One interval, `maxPages` pages at most: `done`, `failed`, or where a new query is to read on from. Records come in
   * start order, so past `maxPages` what started before the last start read is complete; the rest is read by a
   * query from that start on, and no page is read twice.
   */
  private async searchInterval(
    from: number,
    to: number,
    predicates: Array<{ dimension: string; value: string }>,
    source: BackfillSource,
    report: BackfillReport,
    subjects?: Subjects,
  ): Promise<'done' | 'failed' | { readOnFrom: number }> {
    const interval = `${new Date(from).toISOString()}/${new Date(to).toISOString()}`;
    const found = new Map<string, AnalyticsConversation>();
    const { pageSize, maxPages } = this.settings;
    let lastStart = from;
    for (let pageNumber = 1; ; pageNumber++) {
      if (this.stopped) return 'failed';
      // No predicates (a wide window): one unfiltered query, its records filtered by `subjects`.
      const query: ConversationDetailsQuery = {
        interval,
        order: 'asc',
        orderBy: 'conversationStart',
        paging: { pageSize, pageNumber },
        ...(predicates.length > 0
          ? {
              segmentFilters: [
                {
                  type: 'or' as const,
                  predicates: predicates.map((p) => ({ type: 'dimension' as const, ...p })),
                },
              ],
            }
          : {}),
      };
      this.countCall(report);
      let page: Awaited<ReturnType<NotificationsPort['queryConversationDetails']>>;
      try {
        page = await this.port.queryConversationDetails(query);
      } catch (error) {
        report.failures++;
        this.totals.failures++;
        this.log.warn({ interval, err: describeError(error) }, 'backfill query failed');
        return 'failed';
      }
      const conversations = page.conversations ?? [];
      for (const c of conversations) {
        const start = Date.parse(c.conversationStart ?? '');
        if (start > lastStart) lastStart = start;
        if (c.conversationId && (!subjects || touches(c, subjects))) found.set(c.conversationId, c);
      }
      const total = page.totalHits ?? 0;
      if (conversations.length < pageSize || pageNumber * pageSize >= total) break;
      if (pageNumber >= maxPages) {
        if (lastStart > from) {
          // Those that started at the last start read may go on past this page: the next query reads them again.
          await this.deliverFound(found, source, report, lastStart);
          return { readOnFrom: lastStart };
        }
        this.log.warn(
          { interval, total },
          'more conversations started in one millisecond than maxPages reads; reading on',
        );
      }
    }
    await this.deliverFound(found, source, report);
    return 'done';
  }

  /** Delivers what a search found (with `before`, only what started earlier, or whose start is unknown). */
  private async deliverFound(
    found: Map<string, AnalyticsConversation>,
    source: BackfillSource,
    report: BackfillReport,
    before = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    for (const [conversationId, analytics] of found) {
      if (Date.parse(analytics.conversationStart ?? '') >= before) continue;
      report.found++;
      await this.deliver({ conversationId, analytics, source });
    }
  }

  private countCall(report: BackfillReport): void {
    report.queries++;
    this.totals.calls++;
    this.recentCalls.push(this.timers.now());
    if (this.recentCalls.length > 10_000) this.recentCalls.splice(0, 5000);
  }

  private async deliver(recovered: RecoveredConversation): Promise<void> {
    this.totals.recovered++;
    try {
      await this.options.onRecovered(recovered);
    } catch (error) {
      this.log.warn(
        { conversationId: recovered.conversationId, err: describeError(error) },
        'onRecovered failed',
      );
    }
  }

  private settleIdle(force: boolean): void {
    if (this.idleWaiters.length === 0 || (!force && this.busy)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Queues and users a window covers, for filtering unfiltered query results. */
interface Subjects {
  queues: Set<string>;
  users: Set<string>;
}

function subjectsOf(predicates: Array<{ dimension: string; value: string }>): Subjects {
  const subjects: Subjects = { queues: new Set(), users: new Set() };
  for (const p of predicates)
    (p.dimension === 'queueId' ? subjects.queues : subjects.users).add(p.value.toLowerCase());
  return subjects;
}

/** Whether a conversation record passed one of the queues or users (a segment's queue, a participant's user). */
function touches(record: AnalyticsConversation, subjects: Subjects): boolean {
  const participants = (record.participants ?? []) as Array<{
    userId?: string;
    sessions?: Array<{ segments?: Array<{ queueId?: string }> }>;
  }>;
  for (const p of participants) {
    if (p.userId && subjects.users.has(p.userId.toLowerCase())) return true;
    for (const s of p.sessions ?? [])
      for (const segment of s.segments ?? [])
        if (segment.queueId && subjects.queues.has(segment.queueId.toLowerCase())) return true;
  }
  return false;
}
