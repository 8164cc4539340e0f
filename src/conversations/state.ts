/**
 * What the deriver remembers per conversation — which facts it has emitted, per participant, as a few bits —
 * and how long it remembers it. Records live in three insertion-ordered maps (live, ended awaiting a wrap-up,
 * ended), each touched record moving to its map's tail, so expiry and eviction only ever look at map heads.
 */
import type { EventSource, MediaType, ParticipantRef } from '../events.js';

/** Conversation flags (bits 8-23 are the media seen and ended: ./media-coverage.ts). */
export const STARTED = 1;
export const ENDED = 2;

/** Participant bits. */
export const JOINED = 1;
export const LEFT = 2;
export const TRANSFERRED = 4;
/** The wrap-up was emitted, or settled as not to be emitted. */
export const WRAPUP_DONE = 8;
/** A wrap-up code lookup was handed out and not answered yet. */
export const LOOKUP_PENDING = 16;
/** A snapshot showed this leg consulting (the markers are transient, the fact is not). */
export const CONSULT_SEEN = 32;
/** After-call work is under way: keep the conversation longer once it has ended. */
export const AWAITING_WRAPUP = 64;
// Bits 8-23: the leg's media seen and ended (./media-coverage.ts).

/** A wrap-up that is waiting for its code from a REST read. */
export interface PendingWrapup {
  participant: ParticipantRef;
  occurredAt: string;
  afterCallWork: 'complete' | 'skipped';
  durationSeconds: number | undefined;
  source: EventSource;
}

export const LIVE = 0;
export const AWAITING = 1;
export const SETTLED = 2;
export type Bucket = typeof LIVE | typeof AWAITING | typeof SETTLED;

/** The compact per-conversation record (a few hundred bytes for a typical conversation). */
export interface ConversationRecord {
  readonly id: string;
  flags: number;
  mediaType: MediaType;
  messageType: string | undefined;
  /** occurredAt of `conversation.started`. */
  startedAt: string | undefined;
  /** The latest end of a leg on a media seen ending: the end time when a per-media snapshot ends the conversation. */
  lastEndAt: string | undefined;
  /** Clock time of the last snapshot (ms). */
  lastSeen: number;
  bucket: Bucket;
  /** Agent legs with at least one bit set, and their bits (same index). */
  participantIds: string[];
  participantBits: number[];
  /** Outstanding wrap-up code lookups, by participant id. */
  pending: Map<string, PendingWrapup> | undefined;
}

/** A fresh record for a conversation seen for the first time. */
export function newRecord(id: string, now: number): ConversationRecord {
  return {
    id,
    flags: 0,
    mediaType: 'unknown',
    messageType: undefined,
    startedAt: undefined,
    lastEndAt: undefined,
    lastSeen: now,
    bucket: LIVE,
    participantIds: [],
    participantBits: [],
    pending: undefined,
  };
}

/** The bits of one participant (0 when none are set). */
export function bitsOf(rec: ConversationRecord, participantId: string): number {
  const k = rec.participantIds.indexOf(participantId);
  return k < 0 ? 0 : rec.participantBits[k]!;
}

/** Sets the bits of one participant. */
export function setBits(rec: ConversationRecord, participantId: string, bits: number): void {
  const k = rec.participantIds.indexOf(participantId);
  if (k >= 0) rec.participantBits[k] = bits;
  else {
    rec.participantIds.push(participantId);
    rec.participantBits.push(bits);
  }
}

/** Which map a record belongs in, from what it has seen. */
export function bucketOf(rec: ConversationRecord): Bucket {
  if ((rec.flags & ENDED) === 0) return LIVE;
  if (rec.pending !== undefined && rec.pending.size > 0) return AWAITING;
  for (const bits of rec.participantBits)
    if ((bits & (AWAITING_WRAPUP | LOOKUP_PENDING)) !== 0) return AWAITING;
  return SETTLED;
}

/** How long records are kept, and how many at most. */
export interface RetentionOptions {
  /** Ended conversations are forgotten this long after their last snapshot (late duplicates still deduplicated). */
  graceMs: number;
  /** Ended conversations whose after-call work is still under way are kept this long after their last snapshot. */
  wrapupGraceMs: number;
  /**
   * Conversations not ended are forgotten after this long without a snapshot, so a missed end cannot leak.
   * A parked message conversation silent for longer comes back as new: its facts repeat with the same ids.
   */
  idleMs: number;
  /** Hard cap on tracked conversations: beyond it, the oldest ended go first, then the oldest idle. */
  maxConversations: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  graceMs: 10 * 60_000,
  wrapupGraceMs: 60 * 60_000,
  idleMs: 24 * 60 * 60_000,
  maxConversations: 50_000,
};

/** Counts of records dropped, by reason. */
export interface TableStats {
  tracked: number;
  live: number;
  awaitingWrapup: number;
  ended: number;
  expired: number;
  evicted: number;
}

/** The set of tracked conversations with their retention rules. */
export class ConversationTable {
  private readonly maps: [
    Map<string, ConversationRecord>,
    Map<string, ConversationRecord>,
    Map<string, ConversationRecord>,
  ] = [new Map(), new Map(), new Map()];
  private readonly timeouts: [number, number, number];
  private expired = 0;
  private evicted = 0;

  constructor(private readonly retention: RetentionOptions) {
    this.timeouts = [retention.idleMs, retention.wrapupGraceMs, retention.graceMs];
  }

  /** The record of a conversation, if tracked. */
  get(id: string): ConversationRecord | undefined {
    const [live, awaiting, settled] = this.maps;
    return live.get(id) ?? awaiting.get(id) ?? settled.get(id);
  }

  /** Puts a record at the tail of the map for `bucket`, as seen at `now`; evicts beyond the cap. */
  place(rec: ConversationRecord, bucket: Bucket, now: number, isNew: boolean): void {
    if (!isNew) this.maps[rec.bucket].delete(rec.id);
    rec.bucket = bucket;
    rec.lastSeen = now;
    this.maps[bucket].set(rec.id, rec);
    if (isNew && this.size > this.retention.maxConversations) this.evictOverCap();
  }

  /** Puts a restored record back as it was (its own bucket and last-seen time). */
  restore(rec: ConversationRecord): void {
    this.maps[rec.bucket].set(rec.id, rec);
  }

  /** Ids of the conversations not yet ended. */
  liveIds(notSeenSince?: number): string[] {
    if (notSeenSince === undefined) return [...this.maps[0].keys()];
    return this.idsNotSeenSince(this.maps[0], notSeenSince);
  }

  /** Conversations not ended, and ended ones still owing a wrap-up, not seen since `notSeenSince`. */
  followedIds(notSeenSince: number): string[] {
    return [
      ...this.idsNotSeenSince(this.maps[0], notSeenSince),
      ...this.idsNotSeenSince(this.maps[1], notSeenSince),
    ];
  }

  private idsNotSeenSince(map: Map<string, ConversationRecord>, since: number): string[] {
    const ids: string[] = [];
    for (const rec of map.values()) if (rec.lastSeen < since) ids.push(rec.id);
    return ids;
  }

  /** Forgets every record. */
  clear(): void {
    for (const map of this.maps) map.clear();
  }

  /** Forgets records whose time is up. Only map heads are examined: each map is ordered by last-seen time. */
  sweep(now: number): void {
    for (let b = 0; b < 3; b++) {
      const map = this.maps[b as Bucket];
      const limit = now - this.timeouts[b as Bucket];
      for (const rec of map.values()) {
        if (rec.lastSeen > limit) break;
        map.delete(rec.id);
        this.expired++;
      }
    }
  }

  private evictOverCap(): void {
    const order: Bucket[] = [SETTLED, AWAITING, LIVE];
    for (const b of order) {
      const map = this.maps[b];
      for (const rec of map.values()) {
        if (this.size <= this.retention.maxConversations) return;
        map.delete(rec.id);
        this.evicted++;
      }
    }
  }

  /** Number of tracked conversations. */
  get size(): number {
    return this.maps[0].size + this.maps[1].size + this.maps[2].size;
  }

  /** Every tracked record, oldest first within each map. */
  *records(): IterableIterator<ConversationRecord> {
    for (const map of this.maps) yield* map.values();
  }

  /** Sizes and drop counts. */
  stats(): TableStats {
    return {
      tracked: this.size,
      live: this.maps[0].size,
      awaitingWrapup: this.maps[1].size,
      ended: this.maps[2].size,
      expired: this.expired,
      evicted: this.evicted,
    };
  }
}
