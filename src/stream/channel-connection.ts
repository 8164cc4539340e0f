/**
 * One notification channel kept alive for as long as the process runs: connect, subscribe, watch the heartbeat,
 * reconnect (re-using the channel while `HEAD` says it lives, creating one only when it is gone), hand over to a
 * fresh channel on `socket_closing`, `token_revoked` and before the channel or its token expires, and record every
 * interval in which the channel's topics were not covered.
 *
 * Operations that change the channel (connect, recover, hand over, re-subscribe) run one at a time in a queue, so
 * they never race each other; socket events only enqueue work.
 */
import { Backoff } from '../backoff.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import type { ChannelAllowance, ChannelClaim } from './channel-budget.js';
import { ChannelSocket, type SocketCloseInfo } from './channel-socket.js';
import { backgroundTimeout, pause, realTimers, type Timers } from './clock.js';
import { type Notification, parseFrame, type SystemMessage } from './frames.js';
import { GapTracker } from './gap-tracker.js';
import {
  type ChannelInfo,
  type NotificationsPort,
  partitionSubscriptions,
  type TopicSubscriptionResult,
} from './port.js';
import { asError, ChannelBudgetError, describeError, isTransient } from './retry.js';
import type { Gap, GapReason, ReplaceReason, StreamStatusInput } from './status.js';
import {
  type ConnectionTiming,
  type ConnectionTimingOptions,
  planRotation,
  resolveTiming,
  staleAfterMs,
} from './timing.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ChannelConnectionOptions {
  /** The plan slot this connection serves (stable across channel replacements). */
  slot: number;
  port: NotificationsPort;
  topics: readonly string[];
  budget: ChannelAllowance;
  /**
   * An existing channel to take over instead of creating one (a shard whose previous owner died): it is used
   * while `HEAD` says it lives. Connecting to it closes the previous owner's socket, if one is still open.
   */
  adopt?: ChannelInfo;
  /**
   * Asked before every connection attempt and hand-over; while it says no, the connection waits instead. A replica
   * whose shard lease is not surely valid must not connect: on a channel the next owner has taken over, every
   * connection would close the other's socket.
   */
  mayConnect?: () => boolean;
  timing?: ConnectionTimingOptions;
  /** The clock the watchdog, backoff and rotation run on (default: the system's). */
  timers?: Timers;
  onNotification: (notification: Notification) => void;
  onStatus?: (status: StreamStatusInput) => void;
  onGap?: (gap: Gap) => void;
  /** Every raw frame received, e.g. for a recorder. */
  onFrame?: (text: string, channelId: string, receivedAt: number) => void;
  logger?: Logger;
}

/** What a channel connection looks like from outside. */
export interface ChannelHealth {
  slot: number;
  state: ConnectionState;
  channelId: string | undefined;
  topics: number;
  permitted: number;
  rejected: number;
  /** Age of the current channel. */
  channelAgeMs: number | undefined;
  /** Time until the channel expires. */
  expiresInMs: number | undefined;
  /** Time until the token that created the channel expires (the channel dies with it). */
  tokenExpiresInMs: number | undefined;
  /** Time since the last heartbeat or pong. */
  heartbeatAgeMs: number | undefined;
  /** Time since the last frame of any kind. */
  lastFrameAgeMs: number | undefined;
  reconnects: number;
  handovers: number;
  rotations: number;
  channelsCreated: number;
  frames: number;
  malformed: number;
  /** Exceptions thrown by the notification receiver (or the frame tap). */
  handlerErrors: number;
}

/** A channel with what this side knows about it. */
interface Link {
  channel: ChannelInfo;
  claim: ChannelClaim;
  createdAt: number;
  expiresAt: number;
  tokenExpiresAt: number | undefined;
  socket: ChannelSocket | undefined;
  /** The topic list last PUT on the channel, joined; undefined before the first subscription. */
  subscribedKey: string | undefined;
  permitted: string[];
  rejected: TopicSubscriptionResult[];
  rotationTimer: unknown;
  retired: boolean;
}

const NO_CLAIM: ChannelClaim = { release() {} };

const short = (id: string | undefined): string => (id ? id.slice(0, 8) : '-');

/** Keeps one channel's topics covered. */
export class ChannelConnection {
  readonly slot: number;
  private readonly port: NotificationsPort;
  private readonly budget: ChannelAllowance;
  private readonly timing: ConnectionTiming;
  private readonly timers: Timers;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly sockets = new Set<ChannelSocket>();
  private topics: string[];
  private link: Link | undefined;
  private state: ConnectionState = 'idle';
  private queue: Promise<void> = Promise.resolve();
  private readonly gap = new GapTracker();
  private lastHeartbeatAt: number | undefined;
  private lastFrameAt: number | undefined;
  /**
   * A socket that reconnected during a gap but has not yet shown a sign of life. A connected, subscribed socket is
   * not proof of coverage (a server can accept the socket and stay mute), so the gap closes at the first frame the
   * new socket receives — a ping right after connecting asks for one.
   */
  private proofPending: ChannelSocket | undefined;
  /** Sockets asked for a pong, with what to call when it comes (true) or cannot come (false). */
  private readonly pongWaiters = new Map<ChannelSocket, (answered: boolean) => void>();
  private readonly counters = {
    reconnects: 0,
    handovers: 0,
    rotations: 0,
    channelsCreated: 0,
    frames: 0,
    malformed: 0,
    handlerErrors: 0,
  };

  constructor(private readonly options: ChannelConnectionOptions) {
    this.slot = options.slot;
    this.port = options.port;
    this.budget = options.budget;
    this.timing = resolveTiming(options.timing);
    this.timers = options.timers ?? realTimers;
    this.backoff = new Backoff(this.timing.backoff, this.timing.backoff.random);
    this.topics = [...options.topics];
    this.log = (options.logger ?? silentLogger()).child({ slot: options.slot });
  }

  /** The current channel's id. */
  get channelId(): string | undefined {
    return this.link?.channel.id;
  }

  /** The current channel (id, connect URI, expiry): what a successor needs to take it over. */
  get channel(): ChannelInfo | undefined {
    return this.link?.channel;
  }

  /** Topics this connection is meant to cover. */
  get desiredTopics(): readonly string[] {
    return this.topics;
  }

  /** Topics the platform refused on the current channel, with the permissions missing. */
  get rejectedTopics(): readonly TopicSubscriptionResult[] {
    return this.link?.rejected ?? [];
  }

  /**
   * Creates the channel, connects and subscribes. Resolves once covered; rejects on a lasting failure (bad
   * credentials, missing permission to create channels) or after `startAttempts` passing ones, so that a wrong
   * region or a platform that is down is reported at start instead of retried in silence. Once started, every
   * failure is retried; with `failFast: false`, the start too retries until it succeeds.
   */
  start(options: { failFast?: boolean } = {}): Promise<void> {
    return this.enqueue(() => this.establish(undefined, options.failFast ?? true, this.options.adopt), true);
  }

  /**
   * Replaces the topic list (PUT of the whole list on the current channel). Resolves once the channel is subscribed
   * to the list; rejects after `subscribeAttempts` failed attempts, or when the socket went away first. The list
   * stays wanted either way: a reconnection or hand-over subscribes it, and so does calling this again.
   */
  setTopics(topics: readonly string[]): Promise<void> {
    this.topics = [...topics];
    return this.enqueue(async () => {
      const lastError = await this.syncSubscriptions(this.timing.subscribeAttempts);
      if (this.closed || this.subscribed) return;
      throw new Error(
        lastError === undefined
          ? `channel ${this.slot} is reconnecting; it subscribes its new topics when it reconnects`
          : `channel ${this.slot} could not be subscribed to its new topics: ${describeError(lastError)}`,
      );
    }, true);
  }

  /** Whether the current channel is subscribed to exactly the topic list (the platform may have refused some). */
  get subscribed(): boolean {
    return this.link?.subscribedKey === this.topics.join('\n');
  }

  /** Marks the interval since `since` (epoch ms) as uncovered, e.g. the downtime before a restart. */
  noteGap(since: number, reason: GapReason): void {
    this.openGap(since, reason);
    if (this.state === 'connected' && !this.proofPending) this.closeGap();
  }

  /** Closes every socket and stops all timers. Channels are left to expire (the platform has no delete). */
  async stop(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    this.abort.abort();
    if (this.link) this.retire(this.link);
    for (const socket of this.sockets) socket.close(1000, 'switchboard: stopping');
    this.sockets.clear();
    // An operation waiting on the platform notices the stop when its call returns; don't wait for it long. This bound
    // is on real time whatever the clock: it keeps a stop from hanging on a call that never answers.
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
      timer.unref();
    });
    await Promise.race([this.queue.catch(() => {}), cap]);
    clearTimeout(timer);
  }

  /** A snapshot of this connection's health. */
  health(): ChannelHealth {
    const now = this.timers.now();
    const link = this.link;
    const since = (t: number | undefined): number | undefined => (t === undefined ? undefined : now - t);
    const until = (t: number | undefined): number | undefined => (t === undefined ? undefined : t - now);
    return {
      slot: this.slot,
      state: this.state,
      channelId: link?.channel.id,
      topics: this.topics.length,
      permitted: link?.permitted.length ?? 0,
      rejected: link?.rejected.length ?? 0,
      channelAgeMs: since(link?.createdAt),
      expiresInMs: until(link?.expiresAt),
      tokenExpiresInMs: until(link?.tokenExpiresAt),
      heartbeatAgeMs: since(this.lastHeartbeatAt),
      lastFrameAgeMs: since(this.lastFrameAt),
      ...this.counters,
    };
  }

  // ── the operation queue ────────────────────────────────────────────────────────────────────────────────

  private enqueue(operation: () => Promise<void>, rethrow = false): Promise<void> {
    const run = this.queue.then(() => (this.closed ? undefined : operation()));
    this.queue = run.catch((error) => {
      if (!this.closed) this.status({ type: 'error', slot: this.slot, error: asError(error) });
    });
    return rethrow ? run : this.queue;
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  // ── connecting and recovering ──────────────────────────────────────────────────────────────────────────

  /**
   * Gets a covered channel: re-uses `previous` while HEAD says it lives, creates one otherwise, and retries
   * with backoff until it works (or, on the first start, until a lasting failure).
   */
  private async establish(
    previous: Link | undefined,
    failFast: boolean,
    adopted?: ChannelInfo,
  ): Promise<void> {
    let claim = previous?.claim ?? (adopted ? this.budget.tryAcquire() : undefined);
    if (adopted && !claim)
      throw new ChannelBudgetError(`no channel left in the budget of ${this.budget.limit}`);
    let link = previous ?? (adopted && claim ? this.adoptedLink(adopted, claim) : undefined);
    let attempt = 0;
    let lastError: unknown;
    this.setState(previous ? 'reconnecting' : 'connecting');
    while (!this.closed) {
      if (previous || attempt > 0) {
        const delayMs = this.backoff.next();
        this.status({
          type: 'reconnecting',
          slot: this.slot,
          attempt: attempt + 1,
          delayMs,
          ...(lastError === undefined ? {} : { error: describeError(lastError) }),
        });
        await pause(this.timers, delayMs, this.abort.signal); // a stop ends the wait early
        if (this.closed) return;
      }
      if (this.options.mayConnect && !this.options.mayConnect()) {
        lastError = new Error('not allowed to connect now (the shard lease is not confirmed)');
        if (!previous && attempt === 0) attempt++; // the next round waits its backoff
        continue;
      }
      attempt++;
      let socket: ChannelSocket | undefined;
      try {
        let reused = false;
        if (link) {
          reused = await this.port.channelExists(link.channel.id);
          if (this.closed) return;
          if (!reused) {
            this.status({ type: 'channel-lost', slot: this.slot, channelId: link.channel.id });
            this.gap.relabel('channel-lost');
            // The lost channel's claim on the budget passes to its replacement.
            this.cancelRotation(link);
            link.claim = NO_CLAIM;
            link = undefined;
          }
        }
        if (!link) {
          claim ??= this.budget.tryAcquire();
          if (!claim) throw new ChannelBudgetError(`no channel left in the budget of ${this.budget.limit}`);
          link = await this.createLink(claim);
          if (this.closed) return;
        }
        this.status({ type: 'connecting', slot: this.slot, channelId: link.channel.id });
        socket = await this.openSocket(link);
        if (link.subscribedKey !== this.topics.join('\n')) await this.subscribe(link);
        if (this.closed) return;
        if (!socket.isOpen) throw new Error('the socket closed while subscribing');
        if (previous) this.counters.reconnects++;
        this.adopt(link, socket, reused);
        return;
      } catch (error) {
        socket?.terminate();
        if (this.closed) return;
        lastError = error;
        this.log.warn({ err: describeError(error), attempt }, 'channel connection attempt failed');
        if (failFast && (!isTransient(error) || attempt >= this.timing.startAttempts)) {
          claim?.release();
          this.setState('idle');
          throw error;
        }
      }
    }
  }

  /** A link for a channel someone else created; its age is unknown, so it rotates by its `expires`. */
  private adoptedLink(channel: ChannelInfo, claim: ChannelClaim): Link {
    const now = this.timers.now();
    const parsedExpiry = channel.expires ? Date.parse(channel.expires) : Number.NaN;
    return {
      channel,
      claim,
      createdAt: now,
      expiresAt: Number.isFinite(parsedExpiry) ? parsedExpiry : now + this.timing.channelLifetimeMs,
      tokenExpiresAt: this.port.tokenExpiresAt(),
      socket: undefined,
      subscribedKey: undefined,
      permitted: [],
      rejected: [],
      rotationTimer: undefined,
      retired: false,
    };
  }

  private async createLink(claim: ChannelClaim): Promise<Link> {
    const channel = await this.port.createChannel();
    const createdAt = this.timers.now();
    this.counters.channelsCreated++;
    const parsedExpiry = channel.expires ? Date.parse(channel.expires) : Number.NaN;
    const link: Link = {
      channel,
      claim,
      createdAt,
      expiresAt: Number.isFinite(parsedExpiry) ? parsedExpiry : createdAt + this.timing.channelLifetimeMs,
      tokenExpiresAt: this.port.tokenExpiresAt(),
      socket: undefined,
      subscribedKey: undefined,
      permitted: [],
      rejected: [],
      rotationTimer: undefined,
      retired: false,
    };
    this.log.info({ channel: short(channel.id), expires: channel.expires }, 'channel created');
    this.status({
      type: 'channel-created',
      slot: this.slot,
      channelId: channel.id,
      expires: channel.expires,
    });
    return link;
  }

  private async openSocket(link: Link): Promise<ChannelSocket> {
    const channelId = link.channel.id;
    let socket: ChannelSocket | undefined;
    socket = await ChannelSocket.open({
      connectUri: link.channel.connectUri,
      pingAfterMs: this.timing.pingAfterMs,
      staleAfterMs: staleAfterMs(this.timing),
      connectTimeoutMs: this.timing.connectTimeoutMs,
      timers: this.timers,
      onFrame: (text, receivedAt) => this.handleFrame(link, socket, channelId, text, receivedAt),
      onClose: (info) => {
        if (socket) this.handleClose(link, socket, info);
      },
    });
    this.sockets.add(socket);
    if (this.closed) socket.close(1000, 'switchboard: stopping');
    return socket;
  }

  /** PUTs the whole topic list on the link's channel and records what the platform permitted. */
  private async subscribe(link: Link): Promise<void> {
    const topics = [...this.topics];
    const results = await this.port.replaceSubscriptions(link.channel.id, topics);
    const { permitted, rejected } = partitionSubscriptions(topics, results);
    link.subscribedKey = topics.join('\n');
    link.permitted = permitted;
    link.rejected = rejected;
    if (rejected.length > 0) {
      this.log.warn(
        { rejected: rejected.map((r) => ({ topic: r.topic, missing: r.missingPermissions })) },
        'topics rejected',
      );
    }
    this.status({
      type: 'subscribed',
      slot: this.slot,
      channelId: link.channel.id,
      topics: topics.length,
      permitted: permitted.length,
      rejected,
    });
  }

  /** Makes a connected, subscribed link the current one. */
  private adopt(link: Link, socket: ChannelSocket, reused: boolean): void {
    const previous = this.link;
    if (previous && previous !== link) this.retire(previous);
    link.socket = socket;
    this.link = link;
    this.setState('connected');
    this.log.info({ channel: short(link.channel.id), reused }, 'channel connected');
    this.status({ type: 'connected', slot: this.slot, channelId: link.channel.id, reusedChannel: reused });
    if (this.gap.isOpen) {
      this.proofPending = socket;
      socket.ping();
    }
    if (!link.rotationTimer) this.scheduleRotation(link);
  }

  /** Drops a link that is no longer current: its socket, its rotation timer and its claim on the budget. */
  private retire(link: Link): void {
    link.retired = true;
    this.cancelRotation(link);
    if (link.socket) {
      link.socket.close(1000, 'switchboard: channel replaced');
      this.sockets.delete(link.socket);
    }
    link.claim.release();
  }

  // ── frames and socket events ───────────────────────────────────────────────────────────────────────────

  private handleFrame(
    link: Link,
    socket: ChannelSocket | undefined,
    channelId: string,
    text: string,
    receivedAt: number,
  ): void {
    // Once stopping, frames still arriving during the closing handshakes are neither recorded nor delivered:
    // the checkpoint says coverage ended here, so a restart backfills them instead of half-seeing them.
    if (this.state === 'closed') return;
    this.counters.frames++;
    this.lastFrameAt = receivedAt;
    if (socket !== undefined && this.proofPending === socket) {
      this.proofPending = undefined;
      this.closeGap(receivedAt);
    }
    // A receiver's exception must not escape into the socket's event handler (it would end the process).
    if (this.options.onFrame) {
      try {
        this.options.onFrame(text, channelId, receivedAt);
      } catch (error) {
        this.receiverFailed(error);
      }
    }
    const frame = parseFrame(text);
    switch (frame.kind) {
      case 'notification':
        frame.channelId = channelId;
        frame.receivedAt = receivedAt;
        try {
          this.options.onNotification(frame);
        } catch (error) {
          this.receiverFailed(error);
        }
        return;
      case 'heartbeat':
        this.lastHeartbeatAt = receivedAt;
        return;
      case 'pong':
        this.lastHeartbeatAt = receivedAt;
        if (socket) this.pongWaiters.get(socket)?.(true);
        return;
      case 'malformed':
        this.counters.malformed++;
        this.log.warn({ channel: short(channelId), reason: frame.reason }, 'malformed frame');
        this.status({ type: 'malformed', slot: this.slot, channelId, reason: frame.reason });
        return;
      case 'system':
        // Only the current socket speaks for the channel; a retired or not-yet-adopted one is about to go.
        if (this.link === link && link.socket === socket && !link.retired) this.handleSystem(link, frame);
        return;
    }
  }

  private receiverFailed(error: unknown): void {
    this.counters.handlerErrors++;
    this.log.error({ err: describeError(error) }, 'notification receiver failed');
    this.status({ type: 'error', slot: this.slot, error: asError(error) });
  }

  private handleSystem(link: Link, message: SystemMessage): void {
    const channelId = link.channel.id;
    this.log.info(
      { channel: short(channelId), message: message.type, reason: message.reason },
      'system message',
    );
    this.status({
      type: 'system',
      slot: this.slot,
      channelId,
      message: message.type,
      ...(message.reason ? { reason: message.reason } : {}),
    });
    switch (message.type) {
      case 'socket_closing':
        this.enqueue(() => this.replace(link, 'socket-closing'));
        return;
      case 'token_revoked':
        // The channel dies with its token: from here on nothing on it can be trusted to arrive, so the window
        // until the replacement shows life is a gap to backfill, not a seamless hand-over.
        this.openGap(this.timers.now(), 'token-revoked');
        this.enqueue(() => this.replace(link, 'token-revoked'));
        return;
      case 'no_longer_subscribed':
        this.openGap(this.timers.now(), 'no-longer-subscribed');
        link.subscribedKey = undefined;
        this.enqueue(async () => {
          await this.syncSubscriptions();
        });
        return;
      default:
        return;
    }
  }

  private handleClose(link: Link, socket: ChannelSocket, info: SocketCloseInfo): void {
    this.sockets.delete(socket);
    this.pongWaiters.get(socket)?.(false);
    if (this.proofPending === socket) this.proofPending = undefined;
    if (this.closed || link.retired || this.link !== link || link.socket !== socket) return;
    if (info.closedAt - info.openedAt >= this.timing.stableAfterMs) this.backoff.reset();
    const channelId = link.channel.id;
    if (info.stale) {
      const silentMs = info.closedAt - info.lastFrameAt;
      this.log.warn({ channel: short(channelId), silentMs }, 'no heartbeat: socket stale, reconnecting');
      this.status({ type: 'stale', slot: this.slot, channelId, silentMs });
      this.openGap(info.lastFrameAt, 'stale');
    } else {
      this.log.warn({ channel: short(channelId), code: info.code }, 'socket closed, reconnecting');
      this.status({ type: 'disconnected', slot: this.slot, channelId, code: info.code, reason: info.reason });
      this.openGap(info.closedAt, 'disconnected');
    }
    link.socket = undefined;
    this.setState('reconnecting');
    this.enqueue(() =>
      this.link === link && !link.socket ? this.establish(link, false) : Promise.resolve(),
    );
  }

  // ── subscriptions ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Brings the current channel's subscriptions in line with the topic list, retrying while it stays current, at most
   * `maxAttempts` times; returns the last failure, if any. A socket that went away leaves the subscribing to the
   * reconnection.
   */
  private async syncSubscriptions(maxAttempts = Number.POSITIVE_INFINITY): Promise<unknown> {
    const link = this.link;
    const retry = new Backoff(this.timing.backoff, this.timing.backoff.random);
    let lastError: unknown;
    for (let attempt = 1; !this.closed && link && this.link === link && link.socket; attempt++) {
      if (link.subscribedKey === this.topics.join('\n')) {
        if (!this.proofPending) this.closeGap();
        return undefined;
      }
      if (attempt > maxAttempts) break;
      try {
        await this.subscribe(link);
      } catch (error) {
        lastError = error;
        this.log.warn({ err: describeError(error), attempt }, 'subscription failed');
        this.status({ type: 'error', slot: this.slot, error: asError(error) });
        if (attempt < maxAttempts) await pause(this.timers, retry.next(), this.abort.signal);
      }
    }
    return lastError;
  }

  // ── hand-over and rotation ─────────────────────────────────────────────────────────────────────────────

  /**
   * Moves to a fresh channel while the old one still works: create, connect, subscribe, and only then drop the
   * old socket (one socket per channel, so the new socket must be on a new channel). Frames arriving on both in
   * the overlap are all delivered; downstream dedupes them by event id.
   */
  private async replace(old: Link, reason: ReplaceReason): Promise<void> {
    if (this.closed || this.link !== old || old.retired) return;
    if (this.options.mayConnect && !this.options.mayConnect()) {
      this.retryRotationLater(old, reason);
      return;
    }
    const fromChannelId = old.channel.id;
    this.status({ type: 'handover', slot: this.slot, reason, phase: 'started', fromChannelId });
    await this.freshToken(old, reason);
    const claim = await this.budget.acquire(this.timing.handoverBudgetWaitMs);
    if (this.closed) {
      claim?.release();
      return;
    }
    if (!claim) {
      // Without headroom the old socket keeps serving until it closes; recovery then re-uses or replaces it.
      this.log.warn({ budget: this.budget.limit }, 'no free channel for a hand-over');
      this.status({
        type: 'handover',
        slot: this.slot,
        reason,
        phase: 'skipped',
        fromChannelId,
        error: 'channel budget exhausted',
      });
      this.retryRotationLater(old, reason);
      return;
    }
    let socket: ChannelSocket | undefined;
    let link: Link | undefined;
    try {
      link = await this.createLink(claim);
      if (this.closed) throw new Error('stopped');
      socket = await this.openSocket(link);
      await this.subscribe(link);
      if (this.closed) throw new Error('stopped');
      if (!socket.isOpen) throw new Error('the new socket closed while subscribing');
      await this.checkOverlap(old);
      if (this.closed) throw new Error('stopped');
      if (!socket.isOpen) throw new Error('the new socket closed during the hand-over');
    } catch (error) {
      socket?.terminate();
      if (link) this.cancelRotation(link);
      claim.release();
      if (this.closed) return;
      this.log.warn({ err: describeError(error) }, 'hand-over failed');
      this.status({
        type: 'handover',
        slot: this.slot,
        reason,
        phase: 'failed',
        fromChannelId,
        error: describeError(error),
      });
      this.retryRotationLater(old, reason);
      return;
    }
    // If the old socket dropped while the new one was prepared, this also closes that gap.
    if (this.link === old && !old.socket) this.gap.relabel('handover');
    this.adopt(link, socket, false);
    this.counters.handovers++;
    this.status({
      type: 'handover',
      slot: this.slot,
      reason,
      phase: 'completed',
      fromChannelId,
      toChannelId: link.channel.id,
    });
    if (reason === 'rotation' || reason === 'token-expiry') {
      this.counters.rotations++;
      this.status({ type: 'rotated', slot: this.slot, reason, fromChannelId, toChannelId: link.channel.id });
    }
  }

  /**
   * The new channel covers the topics from its subscription on; the old one must be shown to have covered them until
   * then. A server ending the old socket (the close `socket_closing` announces) may stop sending on it before this
   * side notices, and what it sent nowhere in between would be lost without a trace. So the old socket is pinged
   * once the new channel is subscribed: unless it answers, its coverage ended at its last frame, and the hand-over is
   * a gap to backfill (closed by the new socket's first frame).
   */
  private async checkOverlap(old: Link): Promise<void> {
    const socket = old.socket;
    if (!socket || (await this.answersPing(socket))) return;
    this.log.warn({ channel: short(old.channel.id) }, 'old socket silent during the hand-over; backfilling');
    this.openGap(socket.lastFrameAt, 'handover');
  }

  /** Pings a socket and resolves whether it answers before `connectTimeoutMs` (false at once if it closes). */
  private answersPing(socket: ChannelSocket): Promise<boolean> {
    if (!socket.isOpen) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (answered: boolean): void => {
        this.timers.clearTimeout(timer);
        this.pongWaiters.delete(socket);
        resolve(answered);
      };
      const timer = backgroundTimeout(this.timers, () => settle(false), this.timing.connectTimeoutMs);
      this.pongWaiters.set(socket, settle);
      socket.ping();
    });
  }

  /**
   * A channel dies with the token that created it, so its replacement must not be created with the same token:
   * after `token_revoked` always, before the token expires when the token has not been renewed yet. A failed
   * refresh is only logged: creating the channel fetches a token anyway.
   */
  private async freshToken(old: Link, reason: ReplaceReason): Promise<void> {
    const current = this.port.tokenExpiresAt();
    const sameToken =
      current !== undefined && old.tokenExpiresAt !== undefined && current <= old.tokenExpiresAt;
    if (reason !== 'token-revoked' && !(reason === 'token-expiry' && sameToken)) return;
    try {
      await this.port.refreshToken?.();
    } catch (error) {
      this.log.warn({ err: describeError(error) }, 'token refresh failed');
    }
  }

  /** Plans the rotation of a channel ahead of its own expiry and of its token's. */
  private scheduleRotation(link: Link, delayOverrideMs?: number): void {
    const { delayMs, reason } = planRotation(link, this.timing, this.timers.now());
    link.rotationTimer = backgroundTimeout(
      this.timers,
      () => {
        link.rotationTimer = undefined;
        this.enqueue(() => this.replace(link, reason));
      },
      delayOverrideMs ?? delayMs,
    );
  }

  private retryRotationLater(link: Link, reason: ReplaceReason): void {
    if (reason === 'socket-closing' || this.closed || link.retired || this.link !== link) return;
    this.cancelRotation(link);
    this.scheduleRotation(link, this.timing.rotationRetryMs);
  }

  private cancelRotation(link: Link): void {
    if (link.rotationTimer) this.timers.clearTimeout(link.rotationTimer);
    link.rotationTimer = undefined;
  }

  // ── gaps and status ────────────────────────────────────────────────────────────────────────────────────

  /** Coverage of this channel's topics is lost from `start` on. */
  private openGap(start: number, reason: GapReason): void {
    const link = this.link;
    const topics = link && link.subscribedKey !== undefined ? link.permitted : this.topics;
    this.gap.begin(start, reason, topics, link?.channel.id);
  }

  /** Coverage is back (at `at`, epoch ms): reports the gap, if one was open. */
  private closeGap(at = this.timers.now()): void {
    const gap = this.gap.end(this.slot, at);
    if (!gap) return;
    this.log.info(
      { start: gap.start, end: gap.end, reason: gap.reason, topics: gap.topics.length },
      'gap closed',
    );
    this.status({ type: 'gap-closed', gap });
    this.options.onGap?.(gap);
  }

  private setState(state: ConnectionState): void {
    if (this.state !== 'closed') this.state = state;
  }

  private status(event: StreamStatusInput): void {
    this.options.onStatus?.(event);
  }
}
