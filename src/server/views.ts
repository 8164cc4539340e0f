/**
 * What the dashboard and the JSON API may show. Ids are fine; free text written about a customer (wrap-up notes)
 * and addresses are not, unless the operator turned `showCustomerData` on. A notification channel's id is what
 * lets anyone connect to its stream (and knock ours off), so only its first characters are ever shown.
 */
import type { LifecycleEvent } from '../events.js';
import type { StreamHealth } from '../pipeline/conversation-stream.js';
import type { LedgerEntry } from '../store/index.js';
import type { ChannelHealth, Gap, PoolHealth, StreamStatus } from '../stream/index.js';

/** Options of every view. */
export interface ViewOptions {
  showCustomerData: boolean;
}

/** `0f8e2c3a-…` → `0f8e2c3a…`: enough to tell channels apart, not enough to connect. */
export function shortChannelId(id: string | undefined): string | undefined {
  return id === undefined ? undefined : `${id.slice(0, 8)}…`;
}

/** `+14045550123` → `********0123`: everything masked but the last few characters (none of a short value). */
export function maskAddress(address: string): string {
  const keep = address.length >= 10 ? 4 : address.length >= 6 ? 2 : 0;
  return `${'*'.repeat(Math.max(3, address.length - keep))}${keep > 0 ? address.slice(-keep) : ''}`;
}

/** An event as the API shows it. */
export interface EventView {
  /** Position in the ring buffer; grows by one per event. */
  seq: number;
  /** The queue the conversation was on when the event happened, when known. */
  queueId?: string;
  event: LifecycleEvent;
}

/** Removes free text and secrets from an event. */
export function redactEvent(event: LifecycleEvent, options: ViewOptions): LifecycleEvent {
  let shown = event;
  if (event.type === 'conversation.wrapup' && event.notes !== undefined && !options.showCustomerData) {
    const { notes: _notes, ...rest } = event;
    shown = { ...rest, notesRedacted: true } as LifecycleEvent;
  }
  if (shown.source.kind === 'topic' && shown.source.channelId) {
    shown = { ...shown, source: { ...shown.source, channelId: shortChannelId(shown.source.channelId)! } };
  }
  return shown;
}

/** A channel as the dashboard shows it. */
export interface ChannelView extends Omit<ChannelHealth, 'channelId'> {
  channelId: string | undefined;
}

export function channelView(channel: ChannelHealth): ChannelView {
  return { ...channel, channelId: shortChannelId(channel.channelId) };
}

/** The EventBridge queue's figures as the dashboard shows them. */
export interface EventBridgeView {
  queueUrl: string;
  running: boolean;
  /** Now minus when the latest message's fact happened, in ms. */
  lagMs: number | undefined;
  receives: number;
  received: number;
  deleted: number;
  redeliveries: number;
  poison: number;
  /** Messages held now: received, not deleted. */
  inFlight: number;
  awaitingDelete: number;
  deleteFailures: number;
  receiveErrors: number;
  lastError: string | undefined;
  /** Since when every receive has failed, while they do. */
  failingSince: string | undefined;
}

/** Where the stream reads from: the WebSocket, the EventBridge queue, or both; and the queue's figures. */
export interface SourceView {
  /** `other`: a source given in place of the pool that says nothing of itself (a replay). */
  kind: 'websocket' | 'eventbridge' | 'both' | 'other' | string;
  eventBridge?: EventBridgeView;
}

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** The stream's source, from its health: a channel pool is the WebSocket; the queue says so in its stats. */
export function sourceView(health: StreamHealth | undefined): SourceView | undefined {
  if (!health) return undefined;
  const stats = health.source;
  if (stats?.kind !== 'eventbridge') {
    // No pool and no account of its own: a source given in place of the pool (a replay).
    return { kind: health.pool ? 'websocket' : (stats?.kind ?? 'other') };
  }
  return {
    kind: health.pool ? 'both' : 'eventbridge',
    eventBridge: {
      queueUrl: String(stats.queueUrl ?? ''),
      running: stats.running === true,
      lagMs: typeof stats.lagMs === 'number' ? stats.lagMs : undefined,
      receives: count(stats.receives),
      received: count(stats.received),
      deleted: count(stats.deleted),
      redeliveries: count(stats.redeliveries),
      poison: count(stats.poison),
      inFlight: count(stats.inFlight),
      awaitingDelete: count(stats.awaitingDelete),
      deleteFailures: count(stats.deleteFailures),
      receiveErrors: count(stats.receiveErrors),
      lastError: typeof stats.lastError === 'string' ? stats.lastError : undefined,
      failingSince: typeof stats.failingSince === 'string' ? stats.failingSince : undefined,
    },
  };
}

/** The pool without full channel ids. */
export function poolView(
  pool: PoolHealth | undefined,
): Omit<PoolHealth, 'channels'> & { channels: ChannelView[] } {
  if (!pool) {
    return {
      state: 'idle',
      topics: 0,
      channels: [],
      budget: { limit: 0, inUse: 0, reserved: 0 },
      rejected: [],
      connected: false,
    };
  }
  return { ...pool, channels: pool.channels.map(channelView) };
}

export function gapView(gap: Gap | undefined): (Omit<Gap, 'topics'> & { topics: number }) | undefined {
  if (!gap) return undefined;
  const { topics, channelId, ...rest } = gap;
  return { ...rest, topics: topics.length, ...(channelId ? { channelId: shortChannelId(channelId)! } : {}) };
}

/** A status event as the dashboard's activity log shows it. */
export function statusView(status: StreamStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(status)) {
    if (key === 'error') out.error = value instanceof Error ? value.message : String(value);
    else if (key === 'gap') out.gap = gapView(value as Gap);
    else if (key === 'rejected') out.rejected = (value as unknown[]).length;
    else if (/channelId$/i.test(key) && typeof value === 'string') out[key] = shortChannelId(value);
    else if (key === 'cause') {
      const cause = value as { reason: string; error?: Error };
      out.cause = { reason: cause.reason, ...(cause.error ? { error: cause.error.message } : {}) };
    } else out[key] = value;
  }
  return out;
}

/** A ledger entry as the dashboard shows it: who (redacted), rule, channel, outcome, reason. */
export interface LedgerView {
  id: number;
  at: string;
  ruleId: string;
  customerId: string;
  to?: string;
  channel?: string;
  outcome: LedgerEntry['status'];
  reasonCode?: string;
  reason?: string;
  triggerKind: LedgerEntry['triggerKind'];
  conversationId?: string;
  attempts: number;
}

export function ledgerView(entry: LedgerEntry, options: ViewOptions): LedgerView {
  const view: LedgerView = {
    id: entry.id,
    at: entry.updatedAt,
    ruleId: entry.ruleId,
    customerId: entry.customerId,
    outcome: entry.status,
    triggerKind: entry.triggerKind,
    attempts: entry.attempts,
  };
  if (entry.toAddress) view.to = options.showCustomerData ? entry.toAddress : maskAddress(entry.toAddress);
  if (entry.channel) view.channel = entry.channel;
  if (entry.reasonCode) view.reasonCode = entry.reasonCode;
  if (entry.reason) view.reason = entry.reason;
  if (entry.conversationId) view.conversationId = entry.conversationId;
  return view;
}
