/**
 * The notification hub: publishes events to the channels subscribed to a topic, keeps each channel's socket
 * (heartbeats, pings), and carries out the socket-level faults. The world publishes through
 * {@link NotificationHub.publish}; that path is hot, so the event body is serialised once per publish.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from '../../logging.js';
import type { EmulatorSettings } from '../settings.js';
import { type ChannelOwner, HEARTBEAT_FRAME, type NotificationChannel, PONG_FRAME } from './channel.js';
import { type ChannelEndReason, ChannelRegistry, type ChannelSelector } from './channels.js';

/** What the world needs to publish notifications. */
export interface NotificationPublisher {
  publish(topicName: string, eventBody: unknown): void;
  /** Whether any channel is subscribed to a topic (the world renders per-media views only for those). */
  subscribed?(topicName: string): boolean;
  /** Whether conversation detail events are wanted (an EventBridge integration): the world renders them only then. */
  detailEventsWanted?(): boolean;
}

/** Counters for status pages and benchmarks. */
export interface HubCounters {
  published: number;
  /** Frames written to sockets (events, heartbeats, pongs, system messages). */
  framesSent: number;
  /** Event frames withheld from silenced sockets. */
  framesSuppressed: number;
  /** Sockets cut because their unsent backlog grew too large. */
  slowConsumersCut: number;
}

/** Per-client socket counts. */
export interface ClientSocketStats {
  channels: number;
  connected: number;
  peakConnected: number;
}

type HubSettings = Pick<
  EmulatorSettings,
  | 'heartbeatIntervalMs'
  | 'channelLifetimeMs'
  | 'maxChannelsPerClient'
  | 'maxSocketBufferBytes'
  | 'organizationId'
>;

/** Close code and reason for a socket replaced by a newer connection to the same channel. */
const REPLACED = { code: 1000, reason: 'Another connection to this channel was opened' } as const;

/** Channels, sockets and delivery. */
export class NotificationHub implements NotificationPublisher {
  readonly channels: ChannelRegistry;
  readonly counters: HubCounters = { published: 0, framesSent: 0, framesSuppressed: 0, slowConsumersCut: 0 };
  private readonly connectedByClient = new Map<string, number>();
  private readonly peakByClient = new Map<string, number>();

  constructor(
    private readonly settings: HubSettings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.channels = new ChannelRegistry(
      settings,
      (channel, reason) => this.onChannelRemoved(channel, reason),
      now,
    );
  }

  /**
   * Delivers `{topicName, version, eventBody, metadata}` to every open socket subscribed to `topicName`, with
   * `correlationId` as the frame's `CorrelationId` (a new one unless given). Returns how many sockets the frame was
   * written to: none when nobody subscribed, no socket is open or every subscriber is silenced.
   */
  publish(topicName: string, eventBody: unknown, correlationId?: string): number {
    this.counters.published++;
    const subscribers = this.channels.subscribers(topicName.toLowerCase());
    if (!subscribers || subscribers.size === 0) return 0;
    const correlation = correlationId === undefined ? `"${randomUUID()}"` : JSON.stringify(correlationId);
    const text = `{"topicName":${JSON.stringify(topicName)},"version":"2","eventBody":${JSON.stringify(eventBody)},"metadata":{"CorrelationId":${correlation}}}`;
    // One buffer for all sockets: ws would otherwise encode the string once per send.
    const frame = subscribers.size > 1 ? Buffer.from(text) : text;
    const now = this.now();
    let written = 0;
    for (const channel of subscribers) {
      if (!channel.socket) continue;
      if (channel.silentDropsEvents && channel.isSilent(now)) {
        this.counters.framesSuppressed++;
        continue;
      }
      if (this.write(channel, frame)) written++;
    }
    return written;
  }

  /** Whether any channel is subscribed to `topicName` (case-insensitively). */
  subscribed(topicName: string): boolean {
    return (this.channels.subscribers(topicName.toLowerCase())?.size ?? 0) > 0;
  }

  /** Creates a channel for a caller; an evicted channel's socket is closed. */
  createChannel(owner: ChannelOwner, tokenExpiresAt: number): NotificationChannel {
    const { channel, evicted } = this.channels.create(owner, tokenExpiresAt);
    if (evicted) this.logger.debug({ channelId: evicted.id, clientId: owner.clientId }, 'channel evicted');
    return channel;
  }

  /** Takes a new socket for a channel; an earlier socket of the same channel is disconnected. */
  attach(channel: NotificationChannel, socket: WebSocket): void {
    const previous = channel.socket;
    if (previous) {
      this.detach(channel);
      previous.close(REPLACED.code, REPLACED.reason);
    }
    channel.socket = socket;
    channel.lastUsedAt = this.now();
    this.countConnected(channel.owner.clientId, +1);
    channel.heartbeatTimer = setInterval(() => this.heartbeat(channel), this.settings.heartbeatIntervalMs);
    channel.heartbeatTimer.unref();
    socket.on('message', (data, isBinary) => this.onClientFrame(channel, socket, data, isBinary));
    socket.on('close', () => {
      if (channel.socket === socket) this.detach(channel);
    });
    socket.on('error', (error) =>
      this.logger.debug({ channelId: channel.id, err: error.message }, 'socket error'),
    );
  }

  /** Cuts sockets without a close handshake; channels stay valid. Returns how many were cut. */
  dropSockets(selector: ChannelSelector = {}): number {
    let dropped = 0;
    for (const channel of this.channels.select(selector)) {
      const socket = channel.socket;
      if (!socket) continue;
      this.detach(channel);
      socket.terminate();
      dropped++;
    }
    return dropped;
  }

  /** Stops heartbeats and pongs (and, by default, events) for a while: a socket that is open but dead. */
  silence(selector: ChannelSelector, durationMs: number, dropEvents = true): number {
    const until = this.now() + durationMs;
    const channels = this.channels.select(selector);
    for (const channel of channels) {
      channel.silentUntil = until;
      channel.silentDropsEvents = dropEvents;
    }
    return channels.length;
  }

  /** Sends `v2.system.socket_closing`, then closes the socket after `delayMs`. */
  socketClosing(selector: ChannelSelector, delayMs: number): number {
    let affected = 0;
    for (const channel of this.channels.select(selector)) {
      const socket = channel.socket;
      if (!socket) continue;
      affected++;
      this.sendSystem(channel, 'socket_closing', undefined, 'The socket will close shortly; open a new one.');
      clearTimeout(channel.closingTimer);
      channel.closingTimer = setTimeout(() => {
        if (channel.socket !== socket) return;
        this.detach(channel);
        socket.close(1001, 'Socket closing');
      }, delayMs);
      channel.closingTimer.unref();
    }
    return affected;
  }

  /** Ends channels now, as their expiry would. */
  expireChannels(selector: ChannelSelector = {}): number {
    const channels = this.channels.select(selector);
    for (const channel of channels) this.channels.remove(channel, 'expired');
    return channels.length;
  }

  /** Ends the channels created with the given tokens, telling their sockets `v2.system.token_revoked.<id>`. */
  endChannelsOfTokens(tokenIds: ReadonlySet<string>, revoked: boolean): number {
    const ended = [...this.channels.all()].filter((channel) => tokenIds.has(channel.owner.tokenId));
    for (const channel of ended) {
      if (revoked) {
        this.sendSystem(
          channel,
          'token_revoked',
          'user_tokens_revoked',
          'The token that created this channel was revoked.',
        );
      }
      this.channels.remove(channel, 'token_ended');
    }
    return ended.length;
  }

  /** Drops topics from channels (all topics when none are named) and sends `v2.system.no_longer_subscribed.<id>`. */
  noLongerSubscribed(selector: ChannelSelector, topics?: readonly string[]): number {
    let affected = 0;
    for (const channel of this.channels.select(selector)) {
      const removed = this.channels.removeTopics(channel, topics);
      if (removed.length === 0) continue;
      affected++;
      this.sendSystem(
        channel,
        'no_longer_subscribed',
        undefined,
        `This channel is no longer subscribed to: ${removed.join(', ')}`,
      );
    }
    return affected;
  }

  /** Socket counts per client id, with the peak number of simultaneously connected channels. */
  clientStats(): Record<string, ClientSocketStats> {
    const stats: Record<string, ClientSocketStats> = {};
    const entry = (clientId: string): ClientSocketStats => {
      stats[clientId] ??= { channels: 0, connected: 0, peakConnected: this.peakByClient.get(clientId) ?? 0 };
      return stats[clientId];
    };
    for (const channel of this.channels.all()) {
      const client = entry(channel.owner.clientId);
      client.channels++;
      if (channel.connected) client.connected++;
    }
    for (const clientId of this.peakByClient.keys()) entry(clientId);
    return stats;
  }

  /** Peak simultaneously connected channels of one client since start (or the last reset). */
  peakConnected(clientId: string): number {
    return this.peakByClient.get(clientId) ?? 0;
  }

  /** Starts peak counting afresh from the current number of connected channels. */
  resetPeaks(): void {
    this.peakByClient.clear();
    for (const [clientId, connected] of this.connectedByClient) this.peakByClient.set(clientId, connected);
  }

  /** Connected sockets right now. */
  connectedCount(): number {
    let connected = 0;
    for (const count of this.connectedByClient.values()) connected += count;
    return connected;
  }

  /** Ends every channel and socket (shutdown). */
  close(): void {
    this.channels.clear('fault');
  }

  private onClientFrame(
    channel: NotificationChannel,
    socket: WebSocket,
    data: unknown,
    isBinary: boolean,
  ): void {
    if (channel.socket !== socket) return;
    channel.lastUsedAt = this.now();
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      this.logger.debug({ channelId: channel.id }, 'ignored a malformed client frame');
      return;
    }
    if (message && typeof message === 'object' && (message as { message?: unknown }).message === 'ping') {
      if (!channel.isSilent(this.now())) this.write(channel, PONG_FRAME);
    }
    // Anything else (including `{"message":"subscribe",...}`, which the platform does not document) is ignored.
  }

  private heartbeat(channel: NotificationChannel): void {
    if (channel.isSilent(this.now())) return;
    this.write(channel, HEARTBEAT_FRAME);
  }

  private sendSystem(
    channel: NotificationChannel,
    type: 'socket_closing' | 'no_longer_subscribed' | 'token_revoked',
    reason: 'another_channel_subscribed' | 'user_tokens_revoked' | undefined,
    message: string,
  ): void {
    this.write(channel, channel.systemFrame(type, reason, message, this.settings.organizationId));
  }

  /** Writes a frame to a channel's open socket; returns whether it was written. */
  private write(channel: NotificationChannel, frame: string | Buffer): boolean {
    if (!channel.send(frame)) return false;
    this.counters.framesSent++;
    const socket = channel.socket;
    if (socket && socket.bufferedAmount > this.settings.maxSocketBufferBytes) {
      this.counters.slowConsumersCut++;
      this.logger.warn({ channelId: channel.id }, 'socket cut: the client does not keep up');
      this.detach(channel);
      socket.terminate();
    }
    return true;
  }

  private detach(channel: NotificationChannel): void {
    if (!channel.socket) return;
    channel.socket = undefined;
    clearInterval(channel.heartbeatTimer);
    clearTimeout(channel.closingTimer);
    channel.heartbeatTimer = undefined;
    channel.closingTimer = undefined;
    this.countConnected(channel.owner.clientId, -1);
  }

  private onChannelRemoved(channel: NotificationChannel, reason: ChannelEndReason): void {
    const socket = channel.socket;
    this.detach(channel);
    if (socket) socket.close(1000, reason === 'evicted' ? 'Channel removed' : 'Channel expired');
  }

  private countConnected(clientId: string, delta: number): void {
    const connected = (this.connectedByClient.get(clientId) ?? 0) + delta;
    this.connectedByClient.set(clientId, connected);
    if (connected > (this.peakByClient.get(clientId) ?? 0)) this.peakByClient.set(clientId, connected);
  }
}
