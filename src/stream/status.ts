/** The typed status events of the channel pool, and the record of coverage gaps. */
import type { SystemMessageType } from './frames.js';
import type { TopicSubscriptionResult } from './port.js';

/** Why a channel's topics were not covered for a while. */
export type GapReason =
  | 'disconnected'
  | 'stale'
  | 'channel-lost'
  | 'handover'
  | 'rotation'
  | 'token-revoked'
  | 'no-longer-subscribed'
  | 'restart'
  /** The stream stopped reading because a sink's outbox was past its bound (policy `stop`). */
  | 'sinks-full';

/** An interval in which `topics` were not covered: events in it may have been lost and need a backfill. */
export interface Gap {
  /** ISO-8601: the last moment coverage was known (the last frame for a silent socket). */
  start: string;
  /** ISO-8601: the moment coverage was confirmed again (socket open and subscriptions in place). */
  end: string;
  topics: string[];
  reason: GapReason;
  slot?: number;
  /** The channel that lost coverage, when there was one. */
  channelId?: string;
}

/** Why a channel is being replaced by a fresh one while the old one still works. */
export type ReplaceReason = 'socket-closing' | 'rotation' | 'token-expiry' | 'token-revoked';

/** Why the pool stopped. */
export interface CloseCause {
  reason: 'stopped' | 'failed';
  error?: Error;
}

type At = { at: string };

/** Everything the pool reports about its connections, one `type` per kind. */
export type StreamStatus = At &
  (
    | { type: 'connecting'; slot: number; channelId: string }
    | { type: 'connected'; slot: number; channelId: string; reusedChannel: boolean }
    | { type: 'disconnected'; slot: number; channelId: string; code: number; reason: string }
    | { type: 'reconnecting'; slot: number; attempt: number; delayMs: number; error?: string }
    | { type: 'stale'; slot: number; channelId: string; silentMs: number }
    | { type: 'channel-created'; slot: number; channelId: string; expires: string | undefined }
    | { type: 'channel-lost'; slot: number; channelId: string }
    | {
        type: 'handover';
        slot: number;
        reason: ReplaceReason;
        phase: 'started' | 'completed' | 'failed' | 'skipped';
        fromChannelId: string;
        toChannelId?: string;
        error?: string;
      }
    | { type: 'rotated'; slot: number; reason: ReplaceReason; fromChannelId: string; toChannelId: string }
    | {
        type: 'subscribed';
        slot: number;
        channelId: string;
        topics: number;
        permitted: number;
        rejected: TopicSubscriptionResult[];
      }
    | { type: 'system'; slot: number; channelId: string; message: SystemMessageType; reason?: string }
    | { type: 'malformed'; slot: number; channelId: string; reason: string }
    | { type: 'gap-closed'; gap: Gap }
    | { type: 'topics-changed'; added: number; removed: number; channels: number }
    | { type: 'error'; slot?: number; error: Error }
    | { type: 'closed'; cause: CloseCause }
  );

export type StreamStatusType = StreamStatus['type'];

/** Distributes the `at` field over the union so each variant keeps its own fields. */
type WithoutAt<T> = T extends At ? Omit<T, 'at'> : never;

/** A status event without its timestamp, as emitters build it. */
export type StreamStatusInput = WithoutAt<StreamStatus>;

/** Stamps a status event with the current time. */
export function stamp(event: StreamStatusInput): StreamStatus {
  return { ...event, at: new Date().toISOString() } as StreamStatus;
}
