/**
 * ConversationProcessor: the deriver plus the one piece of I/O it needs. Notifications carry no wrap-up codes,
 * so when after-call work finishes the processor reads the conversation over REST (a caller-supplied
 * `fetchConversation`, typically `GET /api/v2/conversations/{id}`), with bounded concurrency and retries, and
 * emits the wrap-up once. After `maxAttempts` failures the wrap-up goes out without its code, flagged
 * `codeLookupFailed`, so a flaky REST path delays wrap-ups but never loses them.
 */
import type { EventSource, LifecycleEvent } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import type { DeriveResult } from './batch.js';
import { LifecycleDeriver } from './deriver.js';
import { parseConversationSnapshot } from './parse.js';
import type { ConversationSnapshot } from './snapshot.js';

/** Settings of a {@link ConversationProcessor}. */
export interface ConversationProcessorOptions {
  /** Reads one conversation as the REST API returns it (`Conversation`); rejects on failure. */
  fetchConversation: (conversationId: string) => Promise<unknown>;
  /** Receives every batch of events, from notifications and from lookups alike. */
  onEvents: (events: LifecycleEvent[]) => void;
  /** The deriver to feed; a new one with default settings when absent. */
  deriver?: LifecycleDeriver;
  /** Conversation reads in flight at once. Default 4 (REST allows 300 requests a minute per token). */
  concurrency?: number;
  /** Reads per conversation before its wrap-ups are emitted without a code. Default 3. */
  maxAttempts?: number;
  /** Delay before the first retry, doubled for each further one. Default 2,000 ms. */
  retryDelayMs?: number;
  logger?: Logger;
}

/** Lookup counters. */
export interface ProcessorStats {
  queued: number;
  inFlight: number;
  retrying: number;
  fetched: number;
  fetchFailures: number;
  /** Reads that did not show the wrap-up yet (REST behind the notification). */
  notCaughtUp: number;
  /** Conversations whose wrap-ups were emitted without a code after `maxAttempts`. */
  fallbacks: number;
}

const LOOKUP_SOURCE: EventSource = { kind: 'backfill', via: 'conversation' };

/** Parses, derives and settles wrap-up codes over REST. */
export class ConversationProcessor {
  readonly deriver: LifecycleDeriver;
  private readonly fetchConversation: (conversationId: string) => Promise<unknown>;
  private readonly onEvents: (events: LifecycleEvent[]) => void;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly logger: Logger;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly attempts = new Map<string, number>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private counters = { fetched: 0, fetchFailures: 0, notCaughtUp: 0, fallbacks: 0 };

  constructor(options: ConversationProcessorOptions) {
    this.deriver = options.deriver ?? new LifecycleDeriver();
    this.fetchConversation = options.fetchConversation;
    this.onEvents = options.onEvents;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 2000);
    this.logger = options.logger ?? silentLogger();
  }

  /** Parses a notification `eventBody` and derives from it (MalformedInputError when it is not a conversation). */
  ingest(eventBody: unknown, source: EventSource, observedAt?: string): void {
    this.ingestSnapshot(parseConversationSnapshot(eventBody), source, observedAt);
  }

  /** Derives from an already parsed snapshot; events go to `onEvents`, lookups are scheduled. */
  ingestSnapshot(snapshot: ConversationSnapshot, source: EventSource, observedAt?: string): void {
    const result = this.deriver.ingest(snapshot, source, observedAt);
    if (result.events.length > 0) this.onEvents(result.events);
    for (const lookup of result.wrapupLookups) this.request(lookup.conversationId);
  }

  /** Derives from a REST `Conversation` (a backfill read); lookups it could not settle are scheduled. */
  ingestRestConversation(conversation: unknown, source: EventSource, observedAt?: string): void {
    const result = this.deriver.ingestRestConversation(conversation, source, observedAt);
    if (result.events.length > 0) this.onEvents(result.events);
    for (const lookup of result.wrapupLookups) this.request(lookup.conversationId);
  }

  /** Schedules the lookups a restored deriver still owes (call after `deriver.importState`). */
  resumePendingLookups(): void {
    for (const lookup of this.deriver.pendingWrapupLookups()) this.request(lookup.conversationId);
  }

  /** Resolves when no read is queued, in flight or waiting to be retried. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops reading: cancels retries and drops the queue. Outstanding lookups stay in the deriver's checkpoint. */
  close(): void {
    this.closed = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.settleIdle();
  }

  /** Lookup counters. */
  stats(): ProcessorStats {
    return {
      queued: this.queue.length,
      inFlight: this.inFlight.size,
      retrying: this.retries.size,
      ...this.counters,
    };
  }

  private request(conversationId: string): void {
    if (this.closed) return;
    if (
      this.queued.has(conversationId) ||
      this.inFlight.has(conversationId) ||
      this.retries.has(conversationId)
    ) {
      return; // one read settles every pending leg of the conversation
    }
    this.queued.add(conversationId);
    this.queue.push(conversationId);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.concurrency && this.queue.length > 0) {
      const conversationId = this.queue.shift()!;
      this.queued.delete(conversationId);
      this.inFlight.add(conversationId);
      void this.read(conversationId);
    }
    this.settleIdle();
  }

  private async read(conversationId: string): Promise<void> {
    // A live snapshot (or an earlier read) may have settled it while this waited in the queue.
    const settled =
      !this.deriver.hasPendingWrapupLookups(conversationId) || (await this.readAndSettle(conversationId));
    this.inFlight.delete(conversationId);
    if (!this.closed) {
      if (settled) this.attempts.delete(conversationId);
      else this.retryOrGiveUp(conversationId);
    }
    this.pump();
  }

  /** One REST read fed to the deriver; true when it settled every pending wrap-up of the conversation. */
  private async readAndSettle(conversationId: string): Promise<boolean> {
    let conversation: unknown;
    try {
      conversation = await this.fetchConversation(conversationId);
    } catch (error) {
      this.counters.fetchFailures++;
      this.logger.warn({ err: error, conversationId }, 'conversation read for wrap-up code failed');
      return false;
    }
    this.counters.fetched++;
    if (this.closed) return false;
    let result: DeriveResult;
    try {
      result = this.deriver.ingestRestConversation(conversation, LOOKUP_SOURCE);
    } catch (error) {
      this.counters.fetchFailures++;
      this.logger.warn(
        { err: error, conversationId },
        'conversation read for wrap-up code was not a conversation',
      );
      return false;
    }
    this.deliver(result.events);
    if (result.wrapupLookups.length === 0) return true;
    this.counters.notCaughtUp++;
    return false;
  }

  private retryOrGiveUp(conversationId: string): void {
    const attempt = (this.attempts.get(conversationId) ?? 0) + 1;
    if (attempt >= this.maxAttempts) {
      this.attempts.delete(conversationId);
      this.counters.fallbacks++;
      this.logger.warn(
        { conversationId, attempts: attempt },
        'wrap-up code unavailable; emitting without it',
      );
      this.deliver(this.deriver.failWrapupLookups(conversationId));
      return;
    }
    this.attempts.set(conversationId, attempt);
    const timer = setTimeout(
      () => {
        this.retries.delete(conversationId);
        this.request(conversationId);
      },
      this.retryDelayMs * 2 ** (attempt - 1),
    );
    this.retries.set(conversationId, timer);
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
    return this.queue.length === 0 && this.inFlight.size === 0 && this.retries.size === 0;
  }

  private settleIdle(): void {
    if (this.idleWaiters.length === 0 || (!this.closed && !this.isIdle())) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
