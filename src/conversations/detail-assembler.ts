/**
 * DetailEventAssembler: detail-event records in, conversations leg by leg out, at the right moments. Records arrive
 * at least once and in no guaranteed order (EventBridge promises neither), so each record is held for a short window
 * (`holdMs`) after it arrives, and a conversation's records are released in `eventTime` order: once a record has been
 * held its window, it is released together with every record of its conversation that happened before it, whenever
 * those arrived. A record that happened earlier and arrives at most `holdMs` later than another is therefore never
 * released after it — the records of one change (an offer answered: `acd.end` and the agent's leg; a hand-over: one
 * leg's end and the next one's start) are seen together. Released records are folded into the conversation's summary
 * and handed on as legs. A conversation ends only once every leg it showed has ended and nothing more arrived for
 * `settleMs`: a record still on its way could be a leg that keeps it open.
 *
 * Who receives the legs decides what they mean (the lifecycle deriver); the assembler only says when. Each record
 * can carry a token (an SQS receipt, ...): the tokens of records folded into a delivery are returned through
 * `onApplied` right after it, so a source can acknowledge a message once its record has been derived from.
 *
 * Timing runs on the clock port, so tests move time by hand. One timer serves every conversation: holds and settles
 * all last a fixed time, so their due times come in the order they were set.
 */
import type { EventSource } from '../events.js';
import { realTimers, type Timers } from '../timers.js';
import {
  applyDetailRecord,
  type DetailConversation,
  type DetailRecord,
  detailLegsEnded,
  legsFromDetail,
  newDetailConversation,
} from './detail-events.js';
import type { ConversationLegs } from './leg-record.js';

/** Settings of a {@link DetailEventAssembler}; every one has a default. */
export interface DetailEventAssemblerOptions<T> {
  /** Receives a conversation's legs each time its held records are released (and when it settles). */
  deliver: (legs: ConversationLegs, source: EventSource, observedAt: string) => void;
  /** Told the tokens of records once a delivery included them (or they were duplicates of what it had). */
  onApplied?: (tokens: T[]) => void;
  timers?: Timers;
  /** How long a conversation's records are held after the first of them arrives (default 2 s). */
  holdMs?: number;
  /** How long nothing must arrive, once every leg has ended, before the conversation may end (default 10 s). */
  settleMs?: number;
  /** How long a conversation is remembered after its last record once it ended (default 60 min). */
  retainMs?: number;
  /** How long a conversation that has not ended is remembered without a record (default 24 h). */
  idleMs?: number;
  /** At most this many conversations are remembered; past it the least recently touched go first. */
  maxConversations?: number;
}

/** What the assembler has seen and holds. */
export interface DetailAssemblerStats {
  records: number;
  /** Records that changed nothing (the same record again, or nothing new in it). */
  duplicates: number;
  /** Deliveries of legs. */
  deliveries: number;
  /** Conversations let end after their settle interval. */
  settled: number;
  /** Conversations remembered now. */
  conversations: number;
  /** Records held now, not delivered yet. */
  held: number;
  /** Conversations forgotten before they ended (idle too long, or past the cap). */
  dropped: number;
}

/** What a restarted assembler resumes from: the summaries, and which conversations were let end. */
export interface DetailAssemblerCheckpoint {
  version: 1;
  conversations: Array<{ state: DetailConversation; settled: boolean; lastArrival: number }>;
}

/** A record waiting for its window to pass. */
interface Held<T> {
  record: DetailRecord;
  source: EventSource;
  token: T | undefined;
  /** Clock ms it arrived. */
  arrival: number;
}

interface Entry<T> {
  state: DetailConversation;
  /** Clock ms of the last record. */
  lastArrival: number;
  /** Records not released yet, in arrival order. */
  held: Held<T>[];
  /** Whether something changed since the last delivery. */
  dirty: boolean;
  /** The latest record's source (by event time), for the delivery's events. */
  source: EventSource | undefined;
  sourceAt: number;
  /** The conversation was delivered settled (let end). */
  settled: boolean;
  /** A settle check is queued. */
  settleQueued: boolean;
}

const DEFAULTS = {
  holdMs: 2_000,
  settleMs: 10_000,
  retainMs: 60 * 60_000,
  idleMs: 24 * 60 * 60_000,
  maxConversations: 200_000,
};

const NO_SOURCE: EventSource = { kind: 'topic', topic: 'v2.detail.events.conversation.{id}' };

/** Holds, orders and releases detail-event records per conversation. */
export class DetailEventAssembler<T = unknown> {
  private readonly deliver: DetailEventAssemblerOptions<T>['deliver'];
  private readonly onApplied: ((tokens: T[]) => void) | undefined;
  private readonly timers: Timers;
  private readonly holdMs: number;
  private readonly settleMs: number;
  private readonly retainMs: number;
  private readonly idleMs: number;
  private readonly maxConversations: number;
  /** Insertion order is last-touched order: the head is the least recently touched. */
  private readonly entries = new Map<string, Entry<T>>();
  /** Held records' windows, in the order they end (one entry per record). */
  private readonly holds: Array<{ id: string; due: number }> = [];
  private holdsHead = 0;
  /** Conversations whose legs all ended, in the order their settle checks were asked for. */
  private readonly settles: Array<{ id: string; due: number }> = [];
  private settlesHead = 0;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  private readonly counters = { records: 0, duplicates: 0, deliveries: 0, settled: 0, dropped: 0 };

  constructor(options: DetailEventAssemblerOptions<T>) {
    this.deliver = options.deliver;
    this.onApplied = options.onApplied;
    this.timers = options.timers ?? realTimers;
    this.holdMs = options.holdMs ?? DEFAULTS.holdMs;
    this.settleMs = options.settleMs ?? DEFAULTS.settleMs;
    this.retainMs = options.retainMs ?? DEFAULTS.retainMs;
    this.idleMs = options.idleMs ?? DEFAULTS.idleMs;
    this.maxConversations = options.maxConversations ?? DEFAULTS.maxConversations;
  }

  /** Takes one record; it is released within `holdMs`, with the records of its conversation that happened before. */
  add(record: DetailRecord, source: EventSource, token?: T): void {
    if (this.stopped) return;
    const now = this.timers.now();
    this.counters.records++;
    const id = record.conversationId;
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = {
        state: newDetailConversation(id),
        lastArrival: now,
        held: [],
        dirty: false,
        source: undefined,
        sourceAt: Number.NEGATIVE_INFINITY,
        settled: false,
        settleQueued: false,
      };
    } else {
      this.entries.delete(id);
    }
    this.entries.set(id, entry);
    entry.lastArrival = now;
    entry.held.push({ record, source, token, arrival: now });
    const due = now + this.holdMs;
    this.holds.push({ id, due });
    this.arm(due);
    this.evictPastCap();
  }

  /** Delivers everything held now (stopping, tests). */
  flush(): void {
    for (const [id, entry] of this.entries)
      if (entry.held.length > 0) this.release(id, Number.POSITIVE_INFINITY);
    this.holds.length = 0;
    this.holdsHead = 0;
  }

  /**
   * The end of the input (a recording replayed to its end): delivers everything held, and lets every conversation
   * whose legs have all ended end now, without waiting for its settle interval — nothing more will arrive.
   */
  finish(): void {
    this.flush();
    for (const entry of this.entries.values()) {
      if (entry.settled || !detailLegsEnded(entry.state)) continue;
      entry.settled = true;
      this.counters.settled++;
      this.deliverEntry(entry, true);
    }
  }

  /** Stops the timer; held records stay undelivered (their tokens unacknowledged). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Tokens of the records held now, not delivered yet (what a source must keep from expiring). */
  heldTokens(): T[] {
    const out: T[] = [];
    for (const entry of this.entries.values())
      for (const h of entry.held) if (h.token !== undefined) out.push(h.token);
    return out;
  }

  stats(): DetailAssemblerStats {
    let held = 0;
    for (const entry of this.entries.values()) held += entry.held.length;
    return { ...this.counters, conversations: this.entries.size, held };
  }

  /** The summaries, JSON-serialisable. Held records are not in them: their tokens must not be acknowledged yet. */
  exportState(): DetailAssemblerCheckpoint {
    const conversations = [];
    for (const entry of this.entries.values()) {
      conversations.push({ state: entry.state, settled: entry.settled, lastArrival: entry.lastArrival });
    }
    return { version: 1, conversations };
  }

  /** Resumes from {@link exportState}: conversations not settled are checked again after the settle interval. */
  importState(checkpoint: DetailAssemblerCheckpoint): void {
    const now = this.timers.now();
    for (const saved of checkpoint.conversations) {
      const entry: Entry<T> = {
        state: saved.state,
        lastArrival: Math.min(saved.lastArrival, now),
        held: [],
        dirty: true,
        source: undefined,
        sourceAt: Number.NEGATIVE_INFINITY,
        settled: saved.settled,
        settleQueued: false,
      };
      this.entries.set(saved.state.conversationId, entry);
      if (!entry.settled) this.askSettle(saved.state.conversationId, entry);
    }
  }

  private arm(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.timers.setTimeout(() => this.tick(), Math.max(0, at - this.timers.now()));
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    const now = this.timers.now();
    while (this.holdsHead < this.holds.length) {
      const next = this.holds[this.holdsHead]!;
      if (next.due > now) break;
      this.holdsHead++;
      this.release(next.id, now - this.holdMs);
    }
    if (this.holdsHead > 1024 && this.holdsHead * 2 > this.holds.length) {
      this.holds.splice(0, this.holdsHead);
      this.holdsHead = 0;
    }
    while (this.settlesHead < this.settles.length) {
      const next = this.settles[this.settlesHead]!;
      if (next.due > now) break;
      this.settlesHead++;
      this.checkSettle(next.id, now);
    }
    if (this.settlesHead > 1024 && this.settlesHead * 2 > this.settles.length) {
      this.settles.splice(0, this.settlesHead);
      this.settlesHead = 0;
    }
    this.sweep(now);
    this.rearm();
  }

  private rearm(): void {
    let next = this.holds[this.holdsHead]?.due ?? Number.POSITIVE_INFINITY;
    const settle = this.settles[this.settlesHead];
    if (settle !== undefined) next = Math.min(next, settle.due);
    if (Number.isFinite(next)) this.arm(next);
  }

  /**
   * Releases a conversation's held records that have waited their window (arrived at or before `arrivedBy`), with
   * every held record that happened no later than the latest of them; delivers its legs when anything changed, then
   * hands the records' tokens back.
   */
  private release(id: string, arrivedBy: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.held.length === 0) return;
    let watermark = Number.NEGATIVE_INFINITY;
    for (const h of entry.held)
      if (h.arrival <= arrivedBy) watermark = Math.max(watermark, h.record.eventTime);
    if (watermark === Number.NEGATIVE_INFINITY) return;
    const released: Held<T>[] = [];
    const kept: Held<T>[] = [];
    for (const h of entry.held) (h.record.eventTime <= watermark ? released : kept).push(h);
    entry.held = kept;
    released.sort((a, b) => a.record.eventTime - b.record.eventTime);
    const tokens: T[] = [];
    for (const h of released) {
      if (applyDetailRecord(entry.state, h.record)) entry.dirty = true;
      else this.counters.duplicates++;
      if (h.record.eventTime >= entry.sourceAt) {
        entry.source = h.source;
        entry.sourceAt = h.record.eventTime;
      }
      if (h.token !== undefined) tokens.push(h.token);
    }
    if (entry.dirty) this.deliverEntry(entry, entry.settled);
    if (tokens.length > 0) this.onApplied?.(tokens);
    if (!entry.settled && detailLegsEnded(entry.state)) this.askSettle(id, entry);
  }

  private deliverEntry(entry: Entry<T>, settled: boolean): void {
    entry.dirty = false;
    this.counters.deliveries++;
    const observedAt = new Date(this.timers.now()).toISOString();
    this.deliver(legsFromDetail(entry.state, { settled }), entry.source ?? NO_SOURCE, observedAt);
  }

  private askSettle(id: string, entry: Entry<T>): void {
    if (entry.settleQueued) return;
    entry.settleQueued = true;
    const due = entry.lastArrival + this.settleMs;
    this.settles.push({ id, due });
    this.arm(due);
  }

  /** Lets a conversation end once every leg ended and nothing arrived for the settle interval. */
  private checkSettle(id: string, now: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    entry.settleQueued = false;
    if (entry.settled || !detailLegsEnded(entry.state)) return;
    // Something arrived since: wait a whole interval from it. Records still held are delivered first.
    if (entry.held.length > 0 || now < entry.lastArrival + this.settleMs) {
      this.askSettle(id, entry);
      return;
    }
    entry.settled = true;
    this.counters.settled++;
    this.deliverEntry(entry, true);
  }

  /** Forgets conversations whose retention is over; the map's head is the least recently touched. */
  private sweep(now: number): void {
    for (const [id, entry] of this.entries) {
      const limit = entry.settled ? this.retainMs : this.idleMs;
      if (now - entry.lastArrival < Math.min(this.retainMs, this.idleMs)) break;
      if (now - entry.lastArrival < limit || entry.held.length > 0) continue;
      this.entries.delete(id);
      if (!entry.settled) this.counters.dropped++;
    }
  }

  private evictPastCap(): void {
    if (this.entries.size <= this.maxConversations) return;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxConversations) break;
      if (entry.held.length > 0) continue;
      this.entries.delete(id);
      if (!entry.settled) this.counters.dropped++;
    }
  }
}
