/**
 * ConversationProcessor: the deriver plus the one piece of I/O it needs. Notifications carry no wrap-up codes, so
 * when after-call work finishes the code has to be read — and one REST read per conversation is the stream's whole
 * rate budget in a busy contact centre. So the codes are read in batches from analytics: ids are collected for a
 * short window and read with one multi-get (`GET /api/v2/analytics/conversations/details?id=…`, up to 100 at once,
 * fewer when the platform refuses that many).
 *
 * Analytics is eventually consistent: the first look waits for it to catch up (a few seconds), and a conversation
 * whose code is not there yet is looked for again with backoff over a horizon of minutes. Only when the horizon
 * passes is one REST read (`GET /api/v2/conversations/{id}`) made, and only if that fails too is the wrap-up emitted
 * without its code, flagged `codeLookupFailed`. Nothing is dropped, nothing is emitted wrong.
 */
import type { EventSource, LifecycleEvent, MediaType } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import { realTimers, type Timers } from '../timers.js';
import type { AnalyticsConversationRecord } from './analytics-legs.js';
import type { DeriveResult } from './batch.js';
import { LifecycleDeriver } from './deriver.js';
import { parseConversationSnapshot } from './parse.js';
import type { ConversationSnapshot } from './snapshot.js';

/** The reads a processor makes. */
export interface ConversationReader {
  /** Analytics records of these conversations (the multi-get); ones analytics does not have yet are left out. */
  readAnalytics(conversationIds: string[]): Promise<AnalyticsConversationRecord[]>;
  /** One conversation as `GET /api/v2/conversations/{id}` returns it (wrap-up codes final). */
  readConversation(conversationId: string): Promise<unknown>;
}

/** Timers the processor runs on (a manual clock in tests). */
export type ProcessorTimers = Timers;

/** Settings of a {@link ConversationProcessor}. */
export interface ConversationProcessorOptions {
  reader: ConversationReader;
  /** Receives every batch of events, from notifications and from lookups alike. */
  onEvents: (events: LifecycleEvent[]) => void;
  /** The deriver to feed; a new one with default settings when absent. */
  deriver?: LifecycleDeriver;
  /** First look this long after after-call work ended: analytics is behind notifications (default 5 s). */
  firstLookAfterMs?: number;
  /** Ids due within this window go into one read (default 1 s). */
  batchWindowMs?: number;
  /** Ids per analytics read (default 100; halved, down to 1, each time the platform refuses a batch as too big). */
  batchSize?: number;
  /** Analytics reads in flight at once (default 2). */
  concurrency?: number;
  /** Looks again for this long, the delay doubling each time (default 10 min). */
  horizonMs?: number;
  /** Longest delay between two looks (default 60 s). */
  maxRetryDelayMs?: number;
  timers?: ProcessorTimers;
  logger?: Logger;
}

/** Lookup counters. */
export interface ProcessorStats {
  /** Conversations whose wrap-up codes are being looked for. */
  queued: number;
  /** Of those, in a read now. */
  inFlight: number;
  /** Of those, looked for at least once and not found yet. */
  retrying: number;
  /** Analytics reads made (one per batch). */
  batches: number;
  /** Records read from analytics. */
  fetched: number;
  /** Reads that failed (counted per conversation). */
  fetchFailures: number;
  /** Looks that found no code yet (analytics behind the notification). */
  notCaughtUp: number;
  /** REST reads made when the horizon passed. */
  restReads: number;
  /** Conversations whose wrap-ups were emitted without a code after the horizon. */
  fallbacks: number;
  /** Ids per analytics read now (lower than configured once the platform refused a batch). */
  batchSize: number;
  /** Epoch ms of the oldest lookup still open. */
  oldestSince: number | undefined;
}

interface Lookup {
  conversationId: string;
  since: number;
  attempts: number;
  dueAt: number;
  inFlight: boolean;
}

const ANALYTICS_SOURCE: EventSource = { kind: 'backfill', via: 'analytics' };
const REST_SOURCE: EventSource = { kind: 'backfill', via: 'conversation' };

/** Parses, derives and settles wrap-up codes from analytics, in batches. */
export class ConversationProcessor {
  readonly deriver: LifecycleDeriver;
  private readonly reader: ConversationReader;
  private readonly onEvents: (events: LifecycleEvent[]) => void;
  private readonly timers: ProcessorTimers;
  private readonly logger: Logger;
  private readonly settings: {
    firstLookAfterMs: number;
    batchWindowMs: number;
    concurrency: number;
    horizonMs: number;
    maxRetryDelayMs: number;
  };
  private batchSize: number;
  private readonly maxBatchSize: number;
  /** Batches read without refusal since the size last changed: after enough, the size grows back. */
  private goodBatches = 0;
  private readonly lookups = new Map<string, Lookup>();
  private readsInFlight = 0;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private counters = { batches: 0, fetched: 0, fetchFailures: 0, notCaughtUp: 0, restReads: 0, fallbacks: 0 };

  constructor(options: ConversationProcessorOptions) {
    this.deriver = options.deriver ?? new LifecycleDeriver();
    this.reader = options.reader;
    this.onEvents = options.onEvents;
    this.timers = options.timers ?? realTimers;
    this.logger = options.logger ?? silentLogger();
    this.settings = {
      firstLookAfterMs: Math.max(0, options.firstLookAfterMs ?? 5000),
      batchWindowMs: Math.max(0, options.batchWindowMs ?? 1000),
      concurrency: Math.max(1, options.concurrency ?? 2),
      horizonMs: Math.max(0, options.horizonMs ?? 10 * 60_000),
      maxRetryDelayMs: Math.max(1, options.maxRetryDelayMs ?? 60_000),
    };
    this.maxBatchSize = Math.max(1, Math.floor(options.batchSize ?? 100));
    this.batchSize = this.maxBatchSize;
  }

  /** Parses a notification `eventBody` and derives from it (MalformedInputError when it is not a conversation). */
  ingest(eventBody: unknown, source: EventSource, observedAt?: string): void {
    this.ingestSnapshot(parseConversationSnapshot(eventBody), source, observedAt);
  }

  /** Derives from a per-media notification body (one media's legs, flattened); MalformedInputError when malformed. */
  ingestMediaTopic(eventBody: unknown, media: MediaType, source: EventSource, observedAt?: string): void {
    this.settle(this.deriver.ingestMediaTopic(eventBody, media, source, observedAt));
  }

  /** Derives from an already parsed snapshot; events go to `onEvents`, lookups are scheduled. */
  ingestSnapshot(snapshot: ConversationSnapshot, source: EventSource, observedAt?: string): void {
    this.settle(this.deriver.ingest(snapshot, source, observedAt));
  }

  /** Derives from a REST `Conversation` (a backfill read); lookups it could not settle are scheduled. */
  ingestRestConversation(conversation: unknown, source: EventSource, observedAt?: string): void {
    this.settle(this.deriver.ingestRestConversation(conversation, source, observedAt));
  }

  /** Derives from an analytics record (a backfill read); lookups it could not settle are scheduled. */
  ingestAnalytics(record: AnalyticsConversationRecord, source: EventSource, observedAt?: string): void {
    this.settle(this.deriver.ingestAnalytics(record, source, observedAt));
  }

  private settle(result: DeriveResult): void {
    if (result.events.length > 0) this.onEvents(result.events);
    for (const lookup of result.wrapupLookups) this.request(lookup.conversationId);
  }

  /** Schedules the lookups a restored deriver still owes (call after `deriver.importState`). */
  resumePendingLookups(): void {
    for (const lookup of this.deriver.pendingWrapupLookups()) this.request(lookup.conversationId);
  }

  /** Resolves when no lookup is open. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops reading. Open lookups stay in the deriver's checkpoint and resume after a restore. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.lookups.clear();
    this.settleIdle();
  }

  /** Lookup counters. */
  stats(): ProcessorStats {
    let inFlight = 0;
    let retrying = 0;
    let oldestSince: number | undefined;
    for (const lookup of this.lookups.values()) {
      if (lookup.inFlight) inFlight++;
      if (lookup.attempts > 0) retrying++;
      if (oldestSince === undefined || lookup.since < oldestSince) oldestSince = lookup.since;
    }
    return {
      queued: this.lookups.size,
      inFlight,
      retrying,
      ...this.counters,
      batchSize: this.batchSize,
      oldestSince,
    };
  }

  private request(conversationId: string): void {
    if (this.closed || this.lookups.has(conversationId)) return; // one read settles every leg of a conversation
    const now = this.timers.now();
    this.lookups.set(conversationId, {
      conversationId,
      since: now,
      attempts: 0,
      dueAt: now + this.settings.firstLookAfterMs,
      inFlight: false,
    });
    this.schedule();
  }

  /** Sets the timer for the next batch: when the earliest lookup is due, plus the window to gather others. */
  private schedule(): void {
    if (this.closed) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const lookup of this.lookups.values())
      if (!lookup.inFlight) earliest = Math.min(earliest, lookup.dueAt);
    if (!Number.isFinite(earliest)) return;
    const at = Math.max(earliest, this.timers.now()) + this.settings.batchWindowMs;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.timers.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - this.timers.now()),
    );
  }

  /** Starts batches of due lookups while reads are free; past the horizon, a lookup gets its REST read instead. */
  private pump(): void {
    const now = this.timers.now();
    while (!this.closed && this.readsInFlight < this.settings.concurrency) {
      const due = [...this.lookups.values()].filter((l) => !l.inFlight && l.dueAt <= now);
      if (due.length === 0) break;
      const expired = due.find((l) => now - l.since >= this.settings.horizonMs);
      if (expired) {
        void this.lastResort(expired);
        continue;
      }
      void this.readBatch(due.slice(0, this.batchSize));
    }
    this.schedule();
    this.settleIdle();
  }

  private async readBatch(batch: Lookup[]): Promise<void> {
    for (const lookup of batch) lookup.inFlight = true;
    this.readsInFlight++;
    this.counters.batches++;
    let records: AnalyticsConversationRecord[] | undefined;
    try {
      records = await this.reader.readAnalytics(batch.map((l) => l.conversationId));
      // A refusal may have come from one bad id rather than the size: grow back slowly.
      if (this.batchSize < this.maxBatchSize && ++this.goodBatches >= 50) {
        this.batchSize = Math.min(this.maxBatchSize, this.batchSize * 2);
        this.goodBatches = 0;
      }
    } catch (error) {
      if (isRefusedAsBad(error) && batch.length > 1) {
        this.batchSize = Math.max(1, Math.floor(batch.length / 2));
        this.goodBatches = 0;
        this.logger.warn(
          { err: error, batchSize: this.batchSize },
          'analytics refused a batch of conversation ids; reading fewer at once',
        );
        for (const lookup of batch) lookup.inFlight = false;
      } else {
        this.counters.fetchFailures += batch.length;
        this.logger.warn(
          { err: error, conversations: batch.length },
          'analytics read for wrap-up codes failed',
        );
      }
    }
    this.readsInFlight--;
    if (records && !this.closed) {
      this.counters.fetched += records.length;
      for (const record of records) {
        try {
          this.deliver(this.deriver.ingestAnalytics(record, ANALYTICS_SOURCE).events);
        } catch (error) {
          this.logger.warn(
            { err: error, conversationId: record.conversationId },
            'analytics record not understood',
          );
        }
      }
    }
    for (const lookup of batch) if (lookup.inFlight) this.afterLook(lookup);
    this.pump();
  }

  /** After a look: settled, or looked for again later (a miss is never taken for an answer). */
  private afterLook(lookup: Lookup): void {
    lookup.inFlight = false;
    if (this.closed) return;
    if (!this.deriver.hasPendingWrapupLookups(lookup.conversationId)) {
      this.lookups.delete(lookup.conversationId);
      return;
    }
    this.counters.notCaughtUp++;
    lookup.attempts++;
    const delay = Math.min(
      this.settings.maxRetryDelayMs,
      this.settings.firstLookAfterMs * 2 ** lookup.attempts,
    );
    lookup.dueAt = Math.min(
      this.timers.now() + Math.max(delay, this.settings.batchWindowMs),
      lookup.since + this.settings.horizonMs,
    );
  }

  /** The horizon passed: one REST read (authoritative), and without a code after it, the wrap-up goes out flagged. */
  private async lastResort(lookup: Lookup): Promise<void> {
    lookup.inFlight = true;
    this.readsInFlight++;
    this.counters.restReads++;
    const id = lookup.conversationId;
    try {
      const conversation = await this.reader.readConversation(id);
      if (!this.closed) this.deliver(this.deriver.ingestRestConversation(conversation, REST_SOURCE).events);
    } catch (error) {
      this.counters.fetchFailures++;
      this.logger.warn({ err: error, conversationId: id }, 'conversation read for wrap-up code failed');
    }
    this.readsInFlight--;
    if (!this.closed && this.deriver.hasPendingWrapupLookups(id)) {
      this.counters.fallbacks++;
      const events = this.deriver.failWrapupLookups(id);
      this.logger.warn(
        { conversationId: id, lookingSince: new Date(lookup.since).toISOString(), wrapups: events.length },
        events.length > 0
          ? 'wrap-up code unavailable; emitting the wrap-up without it (codeLookupFailed)'
          : 'wrap-up code unavailable for after-call work that was skipped: no wrap-up to emit',
      );
      this.deliver(events);
    }
    this.lookups.delete(id);
    this.pump();
  }

  private deliver(events: LifecycleEvent[]): void {
    if (events.length === 0) return;
    try {
      this.onEvents(events);
    } catch (error) {
      this.logger.error({ err: error }, 'event handler threw while delivering wrap-up events');
    }
  }

  private isIdle(): boolean {
    return this.lookups.size === 0;
  }

  private settleIdle(): void {
    if (this.idleWaiters.length === 0 || (!this.closed && !this.isIdle())) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * The platform refusing a batch: a 400. The most ids a multi-get takes is not documented, so a refused batch is read
 * again in halves (which also isolates an id it cannot take).
 */
function isRefusedAsBad(error: unknown): boolean {
  return (error as { status?: number } | undefined)?.status === 400;
}
