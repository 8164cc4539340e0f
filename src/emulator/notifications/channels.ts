/**
 * The set of live notification channels: creation under the per-client limit (the least recently used channel
 * is evicted, idle ones first), expiry, and the topic index that publishing reads.
 */
import type { EmulatorSettings } from '../settings.js';
import { type ChannelOwner, NotificationChannel, ownerKey } from './channel.js';

/** Why a channel went away. */
export type ChannelEndReason = 'evicted' | 'expired' | 'token_ended' | 'fault';

/** Which channels an operation applies to; no field means all. */
export interface ChannelSelector {
  channelId?: string;
  clientId?: string;
}

/** Longest delay a Node timer takes; longer lifetimes are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** Live channels and the topic → channels index. */
export class ChannelRegistry {
  private readonly channels = new Map<string, NotificationChannel>();
  private readonly byTopic = new Map<string, Set<NotificationChannel>>();
  private subscriptionCount = 0;

  constructor(
    private readonly settings: Pick<EmulatorSettings, 'channelLifetimeMs' | 'maxChannelsPerClient'>,
    private readonly onRemoved: (channel: NotificationChannel, reason: ChannelEndReason) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates a channel that dies at its own expiry or its token's, whichever comes first. When the owner already
   * holds the maximum, the least recently used channel is removed first (idle before connected).
   */
  create(
    owner: ChannelOwner,
    tokenExpiresAt: number,
  ): { channel: NotificationChannel; evicted?: NotificationChannel } {
    let evicted: NotificationChannel | undefined;
    const siblings = this.listByOwner(owner);
    if (siblings.length >= this.settings.maxChannelsPerClient) {
      evicted = leastRecentlyUsed(siblings);
      this.remove(evicted, 'evicted');
    }
    const now = this.now();
    const channel = new NotificationChannel(owner, now, this.settings.channelLifetimeMs);
    this.channels.set(channel.id, channel);
    this.armExpiry(channel, Math.min(channel.expiresAt, tokenExpiresAt));
    return evicted ? { channel, evicted } : { channel };
  }

  /** The channel when it exists and has not expired. */
  get(id: string): NotificationChannel | undefined {
    const channel = this.channels.get(id);
    if (channel && channel.expiresAt <= this.now()) {
      this.remove(channel, 'expired');
      return undefined;
    }
    return channel;
  }

  /** Channels of one client (+ user), oldest first. */
  listByOwner(owner: Pick<ChannelOwner, 'clientId' | 'userId'>): NotificationChannel[] {
    const key = ownerKey(owner);
    return [...this.channels.values()].filter((channel) => channel.ownerKey === key);
  }

  /** Channels matching a selector. */
  select(selector: ChannelSelector = {}): NotificationChannel[] {
    if (selector.channelId !== undefined) {
      const channel = this.channels.get(selector.channelId);
      return channel && (selector.clientId === undefined || channel.owner.clientId === selector.clientId)
        ? [channel]
        : [];
    }
    return [...this.channels.values()].filter(
      (channel) => selector.clientId === undefined || channel.owner.clientId === selector.clientId,
    );
  }

  all(): IterableIterator<NotificationChannel> {
    return this.channels.values();
  }

  get size(): number {
    return this.channels.size;
  }

  /** Total topics over all channels. */
  get subscriptions(): number {
    return this.subscriptionCount;
  }

  /** Removes a channel, its topics and timers; the hub closes its socket through `onRemoved`. */
  remove(channel: NotificationChannel, reason: ChannelEndReason): void {
    if (channel.removed) return;
    channel.removed = true;
    this.clearTopics(channel);
    channel.clearTimers();
    this.channels.delete(channel.id);
    this.onRemoved(channel, reason);
  }

  /** Adds topics (lower-cased key → name as given); existing ones are kept as they are. */
  addTopics(channel: NotificationChannel, topics: readonly string[]): void {
    for (const topic of topics) {
      const key = topic.toLowerCase();
      if (channel.topics.has(key)) continue;
      channel.topics.set(key, topic);
      this.subscriptionCount++;
      let subscribers = this.byTopic.get(key);
      if (!subscribers) {
        subscribers = new Set();
        this.byTopic.set(key, subscribers);
      }
      subscribers.add(channel);
    }
  }

  /** Removes the given topics (all when omitted); returns the names removed. */
  removeTopics(channel: NotificationChannel, topics?: readonly string[]): string[] {
    const keys = topics ? topics.map((topic) => topic.toLowerCase()) : [...channel.topics.keys()];
    const removed: string[] = [];
    for (const key of keys) {
      const name = channel.topics.get(key);
      if (name === undefined) continue;
      channel.topics.delete(key);
      this.subscriptionCount--;
      removed.push(name);
      const subscribers = this.byTopic.get(key);
      subscribers?.delete(channel);
      if (subscribers?.size === 0) this.byTopic.delete(key);
    }
    return removed;
  }

  /** Removes every topic of a channel. */
  clearTopics(channel: NotificationChannel): void {
    this.removeTopics(channel);
  }

  /** Channels subscribed to a topic, by its lower-cased name. */
  subscribers(topicKey: string): ReadonlySet<NotificationChannel> | undefined {
    return this.byTopic.get(topicKey);
  }

  /** Removes every channel (shutdown). */
  clear(reason: ChannelEndReason): void {
    for (const channel of [...this.channels.values()]) this.remove(channel, reason);
  }

  private armExpiry(channel: NotificationChannel, at: number): void {
    const delay = at - this.now();
    if (delay <= 0) {
      queueMicrotask(() => this.remove(channel, 'expired'));
      return;
    }
    channel.expiryTimer = setTimeout(
      () => {
        if (this.now() >= at) this.remove(channel, at < channel.expiresAt ? 'token_ended' : 'expired');
        else this.armExpiry(channel, at);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    channel.expiryTimer.unref();
  }
}

/** Idle channels (no socket) go first; among equals, the oldest last use. */
function leastRecentlyUsed(channels: NotificationChannel[]): NotificationChannel {
  return channels.reduce((worst, candidate) => {
    if (worst.connected !== candidate.connected) return worst.connected ? candidate : worst;
    return candidate.lastUsedAt < worst.lastUsedAt ? candidate : worst;
  });
}
