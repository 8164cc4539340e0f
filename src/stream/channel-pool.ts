/**
 * The set of channel connections that covers a topic set: it packs the topics with a {@link TopicPlan}, runs one
 * {@link ChannelConnection} per planned channel within the channel budget, applies topic changes without
 * reshuffling, and reports health, rejected topics, gaps and a stream of typed status events.
 */

import { forEachLimited } from '../concurrency.js';
import { FanOut } from '../fan-out.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import { type ChannelAllowance, ChannelBudget } from './channel-budget.js';
import { ChannelConnection, type ChannelHealth } from './channel-connection.js';
import { realTimers, type Timers } from './clock.js';
import type { Notification } from './frames.js';
import type { ChannelInfo, NotificationsPort, TopicSubscriptionResult } from './port.js';
import { asError } from './retry.js';
import type { CloseCause, Gap, GapReason, StreamStatus, StreamStatusInput } from './status.js';
import { stamp } from './status.js';
import type { ConnectionTimingOptions } from './timing.js';
import { type PlanChange, TopicPlan, type TopicPlanOptions } from './topic-plan.js';

export interface ChannelPoolOptions {
  port: NotificationsPort;
  /** The topics to cover: from selectors, or a shard assignment handed in from outside. */
  topics?: Iterable<string>;
  plan?: TopicPlanOptions;
  /** Where channels come from (default: an in-process budget of the plan's size). */
  budget?: ChannelAllowance;
  /** Existing channels to take over, by plan slot (a shard's channel after its owner died). */
  adopt?: ReadonlyMap<number, ChannelInfo>;
  /** Asked before every connection attempt (see `ChannelConnectionOptions.mayConnect`). */
  mayConnect?: () => boolean;
  timing?: ConnectionTimingOptions;
  /** The clock every connection's watchdog, backoff and rotation run on (default: the system's). */
  timers?: Timers;
  onNotification?: (notification: Notification) => void;
  /** Every raw frame with its channel, e.g. for a recorder. */
  onFrame?: (text: string, channelId: string, receivedAt: number) => void;
  /** Every closed gap, e.g. for a backfiller. */
  onGap?: (gap: Gap) => void;
  /**
   * The last moment a previous run of this process was known to cover the topics (a checkpoint). The interval
   * from it to this start is recorded as a `restart` gap.
   */
  resumeFrom?: Date | string | number;
  /** Channels set up at once on start (default 4), so a big plan does not burst the rate limit. */
  startConcurrency?: number;
  /** Gaps kept for {@link ChannelPool.recentGaps} (default 100). */
  gapHistory?: number;
  logger?: Logger;
}

/** The pool's health as a whole. */
export interface PoolHealth {
  state: 'idle' | 'starting' | 'running' | 'stopped';
  topics: number;
  channels: ChannelHealth[];
  budget: { limit: number; inUse: number; reserved: number };
  rejected: TopicSubscriptionResult[];
  /** Every channel connected. */
  connected: boolean;
}

/** Runs the channel connections for a topic plan. */
export class ChannelPool {
  /** Status events: `pool.status.on('stale', s => …)` or `for await (const s of pool.status)`. */
  readonly status = new FanOut<StreamStatus>();
  private readonly plan: TopicPlan;
  private readonly budget: ChannelAllowance;
  private readonly connections = new Map<number, ChannelConnection>();
  private readonly log: Logger;
  private readonly gaps: Gap[] = [];
  private notificationHandler: ((notification: Notification) => void) | undefined;
  private state: PoolHealth['state'] = 'idle';
  private planned = false;
  private started: Promise<void> | undefined;
  private changes: Promise<unknown> = Promise.resolve();
  private resolveClosed!: (cause: CloseCause) => void;
  private readonly closedPromise = new Promise<CloseCause>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(private readonly options: ChannelPoolOptions) {
    this.plan = new TopicPlan(options.plan);
    this.budget = options.budget ?? new ChannelBudget(this.plan.channelBudget);
    this.log = (options.logger ?? silentLogger()).child({ component: 'channel-pool' });
    this.notificationHandler = options.onNotification;
  }

  /** Sets the single receiver of notifications (replacing the one given in the options). */
  onNotification(handler: (notification: Notification) => void): void {
    this.notificationHandler = handler;
  }

  /** Listens to one type of status event (or `'*'` for all); returns the unsubscribe function. */
  on<T extends StreamStatus['type']>(
    type: T,
    handler: (event: Extract<StreamStatus, { type: T }>) => void,
  ): () => void;
  on(type: '*', handler: (event: StreamStatus) => void): () => void;
  on(type: string, handler: (event: never) => void): () => void {
    return this.status.on(type as '*', handler as (event: StreamStatus) => void);
  }

  /** Resolves when the pool has stopped, with the cause. */
  closed(): Promise<CloseCause> {
    return this.closedPromise;
  }

  /**
   * Plans the topics and connects every channel. Rejected topics are reported (status `subscribed`, and
   * {@link rejectedTopics}), not fatal; a lasting failure to create or subscribe channels is.
   */
  start(): Promise<void> {
    if (this.state !== 'idle')
      return Promise.reject(new Error(`ChannelPool.start() called when ${this.state}`));
    this.state = 'starting';
    this.started = this.connectAll();
    return this.started;
  }

  private async connectAll(): Promise<void> {
    const startedAt = (this.options.timers ?? realTimers).now();
    try {
      if (!this.planned) this.reportInvalid(this.plan.assign(this.options.topics ?? []));
      const created = this.plan.channels().map((c) => this.createConnection(c.slot, c.topics));
      await forEachLimited(created, this.options.startConcurrency ?? 4, (connection) => connection.start());
    } catch (error) {
      await this.shutdown({ reason: 'failed', error: asError(error) });
      throw error;
    }
    if (this.state !== 'starting') return; // stopped while connecting
    this.state = 'running';
    this.log.info(
      { channels: this.connections.size, topics: this.plan.topics().length },
      'channel pool running',
    );
    if (this.options.resumeFrom !== undefined) {
      const since = new Date(this.options.resumeFrom).getTime();
      if (Number.isFinite(since) && since < startedAt) {
        for (const connection of this.connections.values()) connection.noteGap(since, 'restart');
      }
    }
  }

  /**
   * Makes `topics` the covered set: only the channels whose topics changed are touched, and those a previous change
   * left unsubscribed. Resolves once every channel is subscribed to its share (new channels retry until they are);
   * rejects when a channel could not be, after the other channels were done — that share stays wanted, and
   * calling again (with the same topics or others) tries it again. Changes apply in call order.
   */
  setTopics(topics: Iterable<string>): Promise<PlanChange> {
    const run = this.changes.then(() => this.applyTopics([...topics]));
    this.changes = run.catch(() => {});
    return run;
  }

  /** Closes every connection. */
  async stop(): Promise<void> {
    await this.shutdown({ reason: 'stopped' });
  }

  /** Marks the interval since `since` as uncovered on every channel (so it is backfilled). */
  noteGap(since: number, reason: GapReason): void {
    for (const connection of this.connections.values()) connection.noteGap(since, reason);
  }

  /** The current channel of each slot. */
  channels(): Map<number, ChannelInfo> {
    const channels = new Map<number, ChannelInfo>();
    for (const [slot, connection] of this.connections) {
      if (connection.channel) channels.set(slot, connection.channel);
    }
    return channels;
  }

  /** Topics the platform refused, with the permissions missing for each. */
  rejectedTopics(): TopicSubscriptionResult[] {
    return [...this.connections.values()].flatMap((c) => [...c.rejectedTopics]);
  }

  /** The most recent gaps, oldest first. */
  recentGaps(): Gap[] {
    return [...this.gaps];
  }

  /** The topics the pool covers now. */
  topicList(): string[] {
    return this.plan.topics();
  }

  /** The whole pool at a glance. */
  health(): PoolHealth {
    const channels = [...this.connections.values()].map((c) => c.health()).sort((a, b) => a.slot - b.slot);
    return {
      state: this.state,
      topics: this.plan.topics().length,
      channels,
      budget: { limit: this.budget.limit, inUse: this.budget.inUse, reserved: this.plan.reservedChannels },
      rejected: this.rejectedTopics(),
      connected: channels.length > 0 && channels.every((c) => c.state === 'connected'),
    };
  }

  private async applyTopics(topics: string[]): Promise<PlanChange> {
    // A change that lands while channels are being set up waits for them, then applies as a diff.
    if (this.state === 'starting') await this.started?.catch(() => {});
    const change = this.plan.assign(topics);
    this.planned = true;
    this.reportInvalid(change);
    // Before start, this only sets the plan start() will connect.
    if (this.state !== 'running') return change;
    // Removed channels first, so their places in the budget are free for new ones.
    for (const slot of change.removedSlots) {
      const connection = this.connections.get(slot);
      this.connections.delete(slot);
      await connection?.stop();
    }
    const bySlot = new Map(change.channels.map((c) => [c.slot, c.topics]));
    const created = new Set(change.createdSlots);
    const work: Array<Promise<void>> = [];
    for (const [slot, topics] of bySlot) {
      const connection = this.connections.get(slot);
      // A slot a failed change left behind is subscribed again even when its share did not change this time.
      if (
        connection &&
        !created.has(slot) &&
        (change.changedSlots.includes(slot) || !connection.subscribed)
      ) {
        work.push(connection.setTopics(topics));
      }
    }
    // Once running, a new channel that cannot be set up yet is retried like any other, not given up.
    for (const slot of change.createdSlots) {
      work.push(this.createConnection(slot, bySlot.get(slot)!).start({ failFast: false }));
    }
    // Each connection has reported its own failure; the caller learns that the change is not applied yet.
    const failures = (await Promise.allSettled(work)).flatMap((r) =>
      r.status === 'rejected' ? [r.reason] : [],
    );
    this.emit({
      type: 'topics-changed',
      added: change.addedTopics.length,
      removed: change.removedTopics.length,
      channels: this.connections.size,
    });
    if (failures.length > 0) {
      throw new Error(
        `topic change not applied on ${failures.length} channel(s): ${failures.map((f) => asError(f).message).join('; ')}`,
      );
    }
    return change;
  }

  private createConnection(slot: number, topics: readonly string[]): ChannelConnection {
    const connection = new ChannelConnection({
      slot,
      port: this.options.port,
      topics,
      budget: this.budget,
      ...(this.options.adopt?.has(slot) ? { adopt: this.options.adopt.get(slot)! } : {}),
      ...(this.options.mayConnect ? { mayConnect: this.options.mayConnect } : {}),
      ...(this.options.timing ? { timing: this.options.timing } : {}),
      ...(this.options.timers ? { timers: this.options.timers } : {}),
      onNotification: (notification) => this.notificationHandler?.(notification),
      onStatus: (event) => this.emit(event),
      onGap: (gap) => this.recordGap(gap),
      ...(this.options.onFrame ? { onFrame: this.options.onFrame } : {}),
      logger: this.log,
    });
    this.connections.set(slot, connection);
    return connection;
  }

  private recordGap(gap: Gap): void {
    this.gaps.push(gap);
    if (this.gaps.length > (this.options.gapHistory ?? 100)) this.gaps.shift();
    try {
      this.options.onGap?.(gap);
    } catch (error) {
      this.emit({ type: 'error', error: asError(error) });
    }
  }

  private reportInvalid(change: PlanChange): void {
    for (const { topic, problem } of change.invalid) {
      this.log.warn({ topic, problem }, 'topic left out');
      this.emit({ type: 'error', error: new Error(`topic ${topic} left out: ${problem}`) });
    }
  }

  private async shutdown(cause: CloseCause): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await Promise.all([...this.connections.values()].map((c) => c.stop()));
    this.emit({ type: 'closed', cause });
    this.status.close();
    this.resolveClosed(cause);
  }

  private emit(event: StreamStatusInput): void {
    this.status.emit(stamp(event));
  }
}
