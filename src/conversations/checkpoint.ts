/**
 * The deriver's state as compact JSON, so a restarted process neither re-emits what it delivered nor forgets
 * an outstanding wrap-up lookup. Per conversation: flags (media seen and ended included), media, start and last end
 * times, last-seen clock time, and `[participantId, bits, ...]` pairs; pending lookups carry what their event will
 * need.
 */
import { MalformedInputError } from '../errors.js';
import type { EventSource, MediaType, ParticipantRef } from '../events.js';
import { type Bucket, type ConversationRecord, LIVE, type PendingWrapup, SETTLED } from './state.js';

/** A pending wrap-up lookup in a checkpoint. */
export interface CheckpointPendingWrapup {
  participant: ParticipantRef;
  occurredAt: string;
  afterCallWork: 'complete' | 'skipped';
  durationSeconds?: number;
  source: EventSource;
}

/** One conversation in a checkpoint. */
export interface CheckpointConversation {
  id: string;
  /** Conversation flags (started, ended). */
  f: number;
  /** Media type. */
  m: MediaType;
  /** Message type, for message conversations. */
  t?: string;
  /** occurredAt of `conversation.started`. */
  s?: string;
  /** The latest end of a leg on a media seen ending. */
  e?: string;
  /** Clock time of the last snapshot (epoch ms). */
  seen: number;
  /** Retention bucket: 0 live, 1 ended awaiting a wrap-up, 2 ended. */
  b: Bucket;
  /** Participant ids and their bits, alternating. */
  p: Array<string | number>;
  /** Outstanding wrap-up lookups. */
  w?: CheckpointPendingWrapup[];
}

/** What {@link LifecycleDeriver.exportState} returns and `importState` takes. */
export interface DeriverCheckpoint {
  version: 1;
  /** Observation time of the last snapshot ingested before the checkpoint (ISO-8601). */
  lastIngestAt?: string;
  conversations: CheckpointConversation[];
}

/** One record as checkpoint JSON. */
export function recordToCheckpoint(rec: ConversationRecord): CheckpointConversation {
  const p: Array<string | number> = [];
  for (let i = 0; i < rec.participantIds.length; i++) p.push(rec.participantIds[i]!, rec.participantBits[i]!);
  const out: CheckpointConversation = {
    id: rec.id,
    f: rec.flags,
    m: rec.mediaType,
    seen: rec.lastSeen,
    b: rec.bucket,
    p,
  };
  if (rec.messageType !== undefined) out.t = rec.messageType;
  if (rec.startedAt !== undefined) out.s = rec.startedAt;
  if (rec.lastEndAt !== undefined) out.e = rec.lastEndAt;
  if (rec.pending !== undefined) {
    out.w = [...rec.pending.values()].map((w) => {
      const entry: CheckpointPendingWrapup = {
        participant: w.participant,
        occurredAt: w.occurredAt,
        afterCallWork: w.afterCallWork,
        source: w.source,
      };
      if (w.durationSeconds !== undefined) entry.durationSeconds = w.durationSeconds;
      return entry;
    });
  }
  return out;
}

function bad(what: string): never {
  throw new MalformedInputError(`Deriver checkpoint is malformed: ${what}.`, {
    hint: 'Pass the object exportState() returned (after JSON round-trip), unmodified.',
  });
}

function pendingFromCheckpoint(entries: unknown): Map<string, PendingWrapup> | undefined {
  if (entries === undefined) return undefined;
  if (!Array.isArray(entries)) bad('w is not an array');
  const pending = new Map<string, PendingWrapup>();
  for (const e of entries as CheckpointPendingWrapup[]) {
    if (typeof e?.participant?.participantId !== 'string' || typeof e.occurredAt !== 'string') {
      bad('a pending wrap-up lacks its participant or time');
    }
    if (e.afterCallWork !== 'complete' && e.afterCallWork !== 'skipped')
      bad('a pending wrap-up has no afterCallWork');
    pending.set(e.participant.participantId, {
      participant: e.participant,
      occurredAt: e.occurredAt,
      afterCallWork: e.afterCallWork,
      durationSeconds: typeof e.durationSeconds === 'number' ? e.durationSeconds : undefined,
      source: e.source,
    });
  }
  return pending.size > 0 ? pending : undefined;
}

/** The records of a checkpoint, validated. */
export function recordFromCheckpoint(checkpoint: DeriverCheckpoint): ConversationRecord[] {
  if (typeof checkpoint !== 'object' || checkpoint === null || checkpoint.version !== 1)
    bad('unknown version');
  if (!Array.isArray(checkpoint.conversations)) bad('conversations is not an array');
  return checkpoint.conversations.map((c) => {
    if (typeof c?.id !== 'string' || typeof c.f !== 'number' || typeof c.seen !== 'number') {
      bad('a conversation lacks id, flags or last-seen time');
    }
    if (!Array.isArray(c.p) || c.p.length % 2 !== 0) bad(`participants of ${c.id} are not id/bits pairs`);
    const participantIds: string[] = [];
    const participantBits: number[] = [];
    for (let i = 0; i < c.p.length; i += 2) {
      const id = c.p[i];
      const bits = c.p[i + 1];
      if (typeof id !== 'string' || typeof bits !== 'number')
        bad(`participants of ${c.id} are not id/bits pairs`);
      participantIds.push(id);
      participantBits.push(bits);
    }
    const bucket = c.b >= LIVE && c.b <= SETTLED ? c.b : LIVE;
    return {
      id: c.id,
      flags: c.f,
      mediaType: typeof c.m === 'string' ? c.m : 'unknown',
      messageType: c.t,
      startedAt: c.s,
      lastEndAt: typeof c.e === 'string' ? c.e : undefined,
      lastSeen: c.seen,
      bucket,
      participantIds,
      participantBits,
      pending: pendingFromCheckpoint(c.w),
    };
  });
}
