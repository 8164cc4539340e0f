/**
 * LifecycleDeriver: conversation snapshots in (whole, or one media's legs), lifecycle events out. Pure and synchronous: each fact
 * (a start, a join, a transfer, a leave, a wrap-up, an end) is emitted once per conversation, whatever arrives
 * twice, late or out of order, because snapshots accumulate every leg and the deriver only ever sets bits.
 * State per conversation is a few bits per agent leg; see ./state.ts for how long it is kept.
 */
import type {
  ConversationEndedEvent,
  ConversationStartedEvent,
  ConversationTransferredEvent,
  EventSource,
  LifecycleEvent,
  MediaType,
  ParticipantJoinedEvent,
  ParticipantLeftEvent,
} from '../events.js';
import { type AnalyticsConversationRecord, legsFromAnalytics } from './analytics-legs.js';
import { type DeriveResult, EventBatch, type WrapupLookup } from './batch.js';
import { type DeriverCheckpoint, recordFromCheckpoint, recordToCheckpoint } from './checkpoint.js';
import { type ConversationLegs, snapshotOfLegs } from './leg-record.js';
import {
  conversationEnded,
  conversationEndTime,
  conversationStartTime,
  isAgentLeg,
  legConnected,
  legConnectedTime,
  legDisconnectType,
  legEnded,
  legEndTime,
  participantRef,
} from './legs.js';
import { conversationMediaType, conversationMessageType, startDetails } from './media.js';
import {
  everyMediaEnded,
  mediaStatus,
  noMediaOpen,
  withConversationMedia,
  withParticipantMedia,
} from './media-coverage.js';
import { legsFromMediaTopic } from './media-topics.js';
import { parseConversationSnapshot, parseWrapup } from './parse.js';
import type { ConversationSnapshot, ParticipantSnapshot } from './snapshot.js';
import {
  bitsOf,
  bucketOf,
  CONSULT_SEEN,
  type ConversationRecord,
  ConversationTable,
  DEFAULT_RETENTION,
  ENDED,
  JOINED,
  LEFT,
  newRecord,
  type RetentionOptions,
  STARTED,
  setBits,
  type TableStats,
  TRANSFERRED,
  WRAPUP_DONE,
} from './state.js';
import { latest, millisBetween } from './timestamps.js';
import { detectTransfer } from './transfer.js';
import { resolvePendingWrapup, stepWrapup } from './wrapup.js';

/** Settings of a {@link LifecycleDeriver}; every one has a default. */
export interface LifecycleDeriverOptions extends Partial<RetentionOptions> {
  /** Clock in epoch ms, for retention only (event times come from snapshots). Default `Date.now`. */
  now?: () => number;
  /** How often, at most, expired records are swept during ingest. Default 1 s. */
  sweepIntervalMs?: number;
}

/** A wrap-up as the REST `Conversation` participant carries it (`Wrapup`). */
export interface WrapupInput {
  code?: string;
  name?: string;
  notes?: string;
  tags?: string[];
  durationSeconds?: number;
  endTime?: string;
  provisional?: boolean;
}

const BACKFILL_SOURCE: EventSource = { kind: 'backfill', via: 'conversation' };

/** Turns conversation snapshots into lifecycle events, each fact exactly once. */
export class LifecycleDeriver {
  private readonly table: ConversationTable;
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private lastSweep = 0;
  private lastIngestMs: number | undefined;
  private lastObservedAt: string | undefined;

  constructor(options: LifecycleDeriverOptions = {}) {
    this.table = new ConversationTable({
      graceMs: options.graceMs ?? DEFAULT_RETENTION.graceMs,
      wrapupGraceMs: options.wrapupGraceMs ?? DEFAULT_RETENTION.wrapupGraceMs,
      idleMs: options.idleMs ?? DEFAULT_RETENTION.idleMs,
      maxConversations: options.maxConversations ?? DEFAULT_RETENTION.maxConversations,
    });
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  }

  /** Derives the events a notification snapshot adds to what was already emitted. */
  ingest(snapshot: ConversationSnapshot, source: EventSource, observedAt?: string): DeriveResult {
    return this.derive(snapshot, source, observedAt, false);
  }

  /**
   * Ingests a REST `Conversation` (`GET /api/v2/conversations/{id}`): a backfill snapshot whose wrap-ups are
   * final, so it also settles outstanding lookups. Lookups it could not settle (REST not caught up yet) come
   * back in `wrapupLookups`.
   */
  ingestRestConversation(
    conversation: unknown,
    source: EventSource = BACKFILL_SOURCE,
    observedAt?: string,
  ): DeriveResult {
    return this.derive(parseConversationSnapshot(conversation), source, observedAt, true);
  }

  /**
   * Derives from a conversation described leg by leg (analytics records, per-media topics, detail events): the same
   * facts, with the same ids, as from a snapshot. A leg's missing code is never taken as "no code": only a code
   * settles an outstanding lookup.
   */
  ingestLegs(legs: ConversationLegs, source: EventSource, observedAt?: string): DeriveResult {
    return this.derive(snapshotOfLegs(legs), source, observedAt, false);
  }

  /**
   * Derives from a per-media notification body (`….conversations.calls`, `.messages`, ...): that media's legs only,
   * so nothing is concluded from the other media's absence. MalformedInputError when it is not a conversation.
   */
  ingestMediaTopic(
    eventBody: unknown,
    media: MediaType,
    source: EventSource,
    observedAt?: string,
  ): DeriveResult {
    return this.ingestLegs(legsFromMediaTopic(eventBody, media), source, observedAt);
  }

  /** {@link ingestLegs} for an analytics record (details query, multi-get); nothing for a record without an id. */
  ingestAnalytics(
    record: AnalyticsConversationRecord,
    source: EventSource,
    observedAt?: string,
  ): DeriveResult {
    const legs = legsFromAnalytics(record);
    return legs ? this.ingestLegs(legs, source, observedAt) : { events: [], wrapupLookups: [] };
  }

  /**
   * Answers a lookup from `wrapupLookups`: emits the wrap-up once, with the code given; with none, emits it
   * codeless when after-call work completed (flagged when `lookupFailed`), and nothing when it was skipped.
   */
  completeWrapup(
    conversationId: string,
    participantId: string,
    wrapup: WrapupInput | undefined,
    options: { lookupFailed?: boolean; observedAt?: string } = {},
  ): LifecycleEvent[] {
    const rec = this.table.get(conversationId);
    if (rec?.pending?.has(participantId) !== true) return [];
    const now = this.now();
    const batch = new EventBatch(rec, BACKFILL_SOURCE, options.observedAt, now);
    const bits = resolvePendingWrapup(
      rec,
      batch,
      participantId,
      bitsOf(rec, participantId),
      wrapup === undefined ? undefined : parseWrapup(wrapup),
      options.lookupFailed === true,
    );
    setBits(rec, participantId, bits);
    this.table.place(rec, bucketOf(rec), now, false);
    return batch.result().events;
  }

  /**
   * Ids of the conversations tracked as not yet ended; with `notSeenSince` (clock ms), only those no snapshot has
   * refreshed since then (what a backfill reads back after a gap: a later snapshot already showed the rest whole).
   */
  liveConversationIds(notSeenSince?: number): string[] {
    return this.table.liveIds(notSeenSince);
  }

  /**
   * What a gap may have changed: conversations not ended, and ended ones whose after-call work (and so wrap-up) is
   * still to come, that no snapshot has refreshed since `notSeenSince` (clock ms).
   */
  followedConversationIds(notSeenSince: number): string[] {
    return this.table.followedIds(notSeenSince);
  }

  /** Gives up on every outstanding lookup of a conversation: {@link completeWrapup} without a code, flagged. */
  failWrapupLookups(conversationId: string, observedAt?: string): LifecycleEvent[] {
    const rec = this.table.get(conversationId);
    if (rec?.pending === undefined) return [];
    const events: LifecycleEvent[] = [];
    for (const participantId of [...rec.pending.keys()]) {
      events.push(
        ...this.completeWrapup(conversationId, participantId, undefined, { lookupFailed: true, observedAt }),
      );
    }
    return events;
  }

  /** Whether a conversation still has lookups handed out and not answered. */
  hasPendingWrapupLookups(conversationId: string): boolean {
    return this.table.get(conversationId)?.pending !== undefined;
  }

  /** Every lookup handed out and not answered yet (after a restore, hand them to the fetcher again). */
  pendingWrapupLookups(): WrapupLookup[] {
    const out: WrapupLookup[] = [];
    for (const rec of this.table.records()) {
      if (rec.pending === undefined) continue;
      for (const participantId of rec.pending.keys()) out.push({ conversationId: rec.id, participantId });
    }
    return out;
  }

  /** Drops records whose retention is over; ingest also does this, at most once per `sweepIntervalMs`. */
  sweep(): void {
    const now = this.now();
    this.lastSweep = now;
    this.table.sweep(now);
  }

  /** Tracked conversations and how many were dropped. */
  stats(): TableStats {
    return this.table.stats();
  }

  /** A compact, JSON-serialisable copy of what has been emitted, for a restarted process to resume from. */
  exportState(): DeriverCheckpoint {
    const conversations = [];
    for (const rec of this.table.records()) conversations.push(recordToCheckpoint(rec));
    const checkpoint: DeriverCheckpoint = { version: 1, conversations };
    const lastIngestAt = this.lastIngestAt();
    if (lastIngestAt !== undefined) checkpoint.lastIngestAt = lastIngestAt;
    return checkpoint;
  }

  /** Replaces the state with a checkpoint from {@link exportState}. Throws MalformedInputError on a bad one. */
  importState(checkpoint: DeriverCheckpoint): void {
    const records = recordFromCheckpoint(checkpoint);
    this.table.clear();
    for (const rec of records) this.table.restore(rec);
    this.lastObservedAt = checkpoint.lastIngestAt;
    this.lastIngestMs = undefined;
  }

  /** Observation time of the last ingested snapshot (ISO-8601), if any. */
  lastIngestAt(): string | undefined {
    return (
      this.lastObservedAt ??
      (this.lastIngestMs === undefined ? undefined : new Date(this.lastIngestMs).toISOString())
    );
  }

  private derive(
    s: ConversationSnapshot,
    source: EventSource,
    observedAt: string | undefined,
    authoritative: boolean,
  ): DeriveResult {
    const now = this.now();
    this.lastIngestMs = now;
    this.lastObservedAt = observedAt;
    if (now - this.lastSweep >= this.sweepIntervalMs) {
      this.lastSweep = now;
      this.table.sweep(now);
    }
    let rec = this.table.get(s.id);
    const isNew = rec === undefined;
    if (rec === undefined) {
      if (s.participants.length === 0) return { events: [], wrapupLookups: [] };
      rec = newRecord(s.id, now);
    }
    const batch = new EventBatch(rec, source, observedAt, now);
    if (rec.mediaType === 'unknown') {
      rec.mediaType = conversationMediaType(s);
      rec.messageType = conversationMessageType(s);
    }
    if ((rec.flags & STARTED) === 0) this.start(rec, batch, s);

    const parts = s.participants;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.id === '' || !isAgentLeg(p)) continue;
      const before = bitsOf(rec, p.id);
      const bits = this.stepLeg(rec, batch, s, i, p, before, authoritative);
      if (bits !== before) setBits(rec, p.id, bits);
    }

    const media = mediaStatus(s);
    rec.flags = withConversationMedia(rec.flags, media);
    rec.lastEndAt = latest(rec.lastEndAt, media.endedAt);
    if ((rec.flags & ENDED) === 0 && this.isOver(rec, s)) this.end(rec, batch, s);
    this.table.place(rec, bucketOf(rec), now, isNew);
    return batch.result();
  }

  /**
   * Whether the conversation is over: a whole snapshot says so and no media seen (through a per-media topic) is still
   * open; a per-media snapshot, once every media seen has ended — it cannot see the others.
   */
  private isOver(rec: ConversationRecord, s: ConversationSnapshot): boolean {
    if (s.coversOnly !== undefined) return everyMediaEnded(rec.flags);
    return conversationEnded(s) && noMediaOpen(rec.flags);
  }

  private start(rec: ConversationRecord, batch: EventBatch, s: ConversationSnapshot): void {
    const occurredAt = conversationStartTime(s);
    const event = batch.envelope('conversation.started', '', occurredAt) as ConversationStartedEvent;
    const details = startDetails(s);
    event.direction = details.direction;
    if (details.customer !== undefined) event.customer = details.customer;
    if (details.queueId !== undefined) event.queueId = details.queueId;
    batch.push(event);
    rec.startedAt = event.occurredAt;
    rec.flags |= STARTED;
  }

  private end(rec: ConversationRecord, batch: EventBatch, s: ConversationSnapshot): void {
    // A per-media snapshot shows one media: the end is the last of every media's, the start the one emitted.
    const endAt = latest(conversationEndTime(s), rec.lastEndAt);
    const startAt =
      s.coversOnly === undefined
        ? (conversationStartTime(s) ?? rec.startedAt)
        : (rec.startedAt ?? conversationStartTime(s));
    const event = batch.envelope('conversation.ended', '', endAt) as ConversationEndedEvent;
    const durationMs = millisBetween(startAt, event.occurredAt);
    if (durationMs !== undefined && durationMs >= 0) event.durationMs = durationMs;
    batch.push(event);
    rec.flags |= ENDED;
  }

  /** Join, transfer, leave and wrap-up of one agent leg; returns its new bits. */
  private stepLeg(
    rec: ConversationRecord,
    batch: EventBatch,
    s: ConversationSnapshot,
    index: number,
    p: ParticipantSnapshot,
    bits: number,
    authoritative: boolean,
  ): number {
    if (p.consultParticipantId !== undefined || p.consultInitiator) bits |= CONSULT_SEEN;
    if ((bits & JOINED) === 0) {
      // Offers never answered (alerting, rejected, timed out) are not joins, and nothing else follows from them.
      if (!legConnected(p)) return bits;
      const joined = batch.envelope(
        'participant.joined',
        p.id,
        legConnectedTime(p),
      ) as ParticipantJoinedEvent;
      joined.participant = participantRef(p);
      batch.push(joined);
      bits |= JOINED;
    }
    if ((bits & LEFT) === 0) {
      // A leg on several media leaves once each media it was seen on has ended, whichever topic showed which.
      bits = withParticipantMedia(bits, p);
      if (!legEnded(p) || !noMediaOpen(bits)) return bits;
      const left = batch.envelope('participant.left', p.id, legEndTime(p)) as ParticipantLeftEvent;
      left.participant = participantRef(p);
      const disconnectType = legDisconnectType(p);
      if (disconnectType !== undefined) left.disconnectType = disconnectType;
      batch.push(left);
      bits |= LEFT;
    }
    if ((bits & TRANSFERRED) === 0) {
      const transfer = detectTransfer(s, index, (bits & CONSULT_SEEN) !== 0);
      if (transfer !== undefined) {
        const event = batch.envelope(
          'conversation.transferred',
          p.id,
          legEndTime(p),
        ) as ConversationTransferredEvent;
        event.from = participantRef(p);
        event.to = transfer.to;
        event.transferType = transfer.transferType;
        batch.push(event);
        bits |= TRANSFERRED;
      }
    }
    if ((bits & WRAPUP_DONE) === 0) {
      bits = stepWrapup(rec, batch, p, bits, authoritative);
    }
    return bits;
  }
}
