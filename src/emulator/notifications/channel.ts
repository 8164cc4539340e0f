/**
 * One notification channel: its owner, lifetime, subscribed topics and (at most) one WebSocket. Frames are
 * written here; which channels a frame goes to is the hub's business.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';

/** The OAuth client (and user) that created a channel, and the token it was created with. */
export interface ChannelOwner {
  clientId: string;
  userId?: string;
  tokenId: string;
}

/** Frames the platform sends on `channel.metadata`. */
export const HEARTBEAT_FRAME = JSON.stringify({
  topicName: 'channel.metadata',
  eventBody: { message: 'WebSocket Heartbeat' },
});
export const PONG_FRAME = JSON.stringify({ topicName: 'channel.metadata', eventBody: { message: 'pong' } });

/** System message kinds (`v2.system.<kind>`). */
export type SystemTopicType = 'socket_closing' | 'no_longer_subscribed' | 'token_revoked';

/** A notification channel. */
export class NotificationChannel {
  readonly id: string = randomUUID();
  readonly createdAt: number;
  readonly expiresAt: number;
  lastUsedAt: number;
  /** Subscribed topics: lower-cased name → name as the client gave it. */
  readonly topics = new Map<string, string>();
  socket: WebSocket | undefined;
  /** While now < silentUntil, nothing is written (a dead-but-open socket). */
  silentUntil = 0;
  /** Whether events are dropped too while silent. */
  silentDropsEvents = true;
  heartbeatTimer: NodeJS.Timeout | undefined;
  closingTimer: NodeJS.Timeout | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  removed = false;

  constructor(
    readonly owner: ChannelOwner,
    now: number,
    lifetimeMs: number,
  ) {
    this.createdAt = now;
    this.lastUsedAt = now;
    this.expiresAt = now + lifetimeMs;
  }

  /** `clientId` plus user: the unit the 20-channel limit applies to. */
  get ownerKey(): string {
    return ownerKey(this.owner);
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** True while a silence fault holds this channel. */
  isSilent(now: number): boolean {
    return now < this.silentUntil;
  }

  /** The `Channel` model: `{id, connectUri, expires}`; `host` may carry its own scheme (`wss://...`). */
  describe(host: string): { id: string; connectUri: string; expires: string } {
    const base = host.includes('://') ? host.replace(/\/+$/, '') : `ws://${host}`;
    return {
      id: this.id,
      connectUri: `${base}/channels/${this.id}`,
      expires: new Date(this.expiresAt).toISOString(),
    };
  }

  /** Writes a text frame when a socket is open; returns whether it was written. */
  send(data: string | Buffer): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) return false;
    socket.send(data, { binary: false });
    return true;
  }

  /** Builds the frame of a `v2.system.*` message for this channel. */
  systemFrame(
    type: SystemTopicType,
    reason: 'another_channel_subscribed' | 'user_tokens_revoked' | undefined,
    message: string,
    organizationId: string,
  ): string {
    const correlationId = randomUUID();
    const topicName = type === 'socket_closing' ? 'v2.system.socket_closing' : `v2.system.${type}.${this.id}`;
    // SystemMessage's enums have no value for a socket closing (its JSON is unverified): the keys are left out.
    const eventBody: Record<string, string> = { channelId: this.id };
    if (type !== 'socket_closing') eventBody.systemTopicType = type;
    eventBody.correlationId = correlationId;
    eventBody.organizationId = organizationId;
    if (reason) eventBody.reason = reason;
    eventBody.message = message;
    return JSON.stringify({ topicName, version: '2', eventBody, metadata: { CorrelationId: correlationId } });
  }

  /** Stops this channel's timers. */
  clearTimers(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.closingTimer);
    clearTimeout(this.expiryTimer);
    this.heartbeatTimer = undefined;
    this.closingTimer = undefined;
    this.expiryTimer = undefined;
  }
}

/** The key the per-client channel limit is counted under. */
export function ownerKey(owner: Pick<ChannelOwner, 'clientId' | 'userId'>): string {
  return owner.userId === undefined ? owner.clientId : `${owner.clientId}\u0000${owner.userId}`;
}
