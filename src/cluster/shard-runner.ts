/**
 * One shard as its owner runs it: a {@link ConversationStream} over the shard's topics on one channel, its
 * checkpoint under the shard's key, written with the owner's epoch and only after the sinks delivered what it
 * covers. Every event it delivers is tagged with the shard and epoch, so the bus sink can refuse to publish it
 * once the lease is no longer valid. A shard taken from a live owner starts held (connected, not processing)
 * and is activated once the old owner has let go.
 */
import type { LifecycleEvent } from '../events.js';
import type { Logger } from '../logging.js';
import {
  type ConversationStream,
  type ConversationStreamOptions,
  createConversationStream,
  type StreamHealth,
} from '../pipeline/conversation-stream.js';
import type { ChannelAllowance } from '../stream/channel-budget.js';
import type { ChannelInfo } from '../stream/port.js';
import type { Lease } from './lease.js';

/** What the bus sink needs to know about an event's origin. */
export interface EventOrigin {
  shard: string;
  lease: Lease;
  replicaId: string;
  /** The runner, whose `fencedEvents` the sink counts up when it refuses one of its events. */
  runner: ShardRunner;
}

/** Origins of delivered events, looked up by the bus sink just before it publishes; no origin, no publish. */
export type OriginRegistry = WeakMap<LifecycleEvent, EventOrigin>;

export interface ShardRunnerOptions {
  shard: string;
  replicaId: string;
  topics: readonly string[];
  /** The stream options every shard shares (platform or port, store, sinks, timing, backfill, logger). */
  base: Omit<
    ConversationStreamOptions,
    'topics' | 'selection' | 'hold' | 'checkpointKey' | 'channels' | 'onDeliver' | 'onFenced'
  >;
  allowance: ChannelAllowance;
  origins: OriginRegistry;
  /** The previous owner's channel, taken over instead of creating one. */
  adopt?: ChannelInfo;
  /** Start connected but held (a hand-over from a live owner). */
  hold?: boolean;
  /** Every event of this shard, for in-process listeners. */
  onEvent: (event: LifecycleEvent) => void;
  logger: Logger;
}

export type ShardRunnerState = 'starting' | 'held' | 'active' | 'stopping' | 'stopped';

/** The checkpoint key of a shard. */
export const shardCheckpointKey = (shard: string): string => `stream:shard-${shard}`;

export class ShardRunner {
  readonly shard: string;
  readonly stream: ConversationStream;
  private lease: Lease | undefined;
  private currentState: ShardRunnerState = 'starting';
  /** Events the bus sink refused to publish: this epoch must never write another checkpoint. */
  fencedEvents = 0;
  /** The store refused a checkpoint: a newer owner wrote this shard. */
  checkpointRefused = false;

  constructor(private readonly options: ShardRunnerOptions) {
    this.shard = options.shard;
    this.stream = createConversationStream({
      ...options.base,
      topics: options.topics,
      hold: options.hold ?? false,
      checkpointKey: shardCheckpointKey(options.shard),
      checkpointAfterDelivery: true,
      checkpointEpoch: () => this.writableEpoch(),
      channels: {
        budget: options.allowance,
        // Held (moving in), the channel is a fresh one of our own; otherwise only under a surely valid lease.
        mayConnect: () => (this.lease ? this.lease.isValid() : this.options.hold === true),
        ...(options.adopt ? { adopt: new Map([[0, options.adopt]]) } : {}),
      },
      plan: { channelBudget: 1, reservedChannels: 0 },
      // Every event this runner delivers is attributed: the bus refuses what has no origin. A held runner
      // delivers nothing (its frames and recovered conversations wait), so by the time anything is delivered —
      // live, replayed after activate, backfilled, or completed by a wrap-up lookup — the lease is set.
      onDeliver: (event) => {
        if (this.lease)
          options.origins.set(event, {
            shard: options.shard,
            lease: this.lease,
            replicaId: options.replicaId,
            runner: this,
          });
      },
      onFenced: () => {
        this.checkpointRefused = true;
      },
      logger: options.logger.child({ shard: options.shard }),
    });
    this.stream.onAny((event) => options.onEvent(event));
  }

  /** Whether this runner must stand down: it can no longer write or publish for its epoch. */
  get tainted(): boolean {
    return this.fencedEvents > 0 || this.checkpointRefused;
  }

  get state(): ShardRunnerState {
    return this.currentState;
  }

  get epoch(): number | undefined {
    return this.lease?.epoch;
  }

  /** The lease this runner acts under (undefined while held). */
  get currentLease(): Lease | undefined {
    return this.lease;
  }

  /**
   * The epoch to write a checkpoint with, or undefined when no checkpoint may be written: the lease is not
   * surely valid, or an event of this epoch was refused by the sink (its successor must re-derive it).
   */
  private writableEpoch(): number | undefined {
    if (!this.lease?.isValid() || this.fencedEvents > 0) return undefined;
    return this.lease.epoch;
  }

  /** Connects (and, unless held, restores and processes) under `lease`. */
  async start(lease: Lease | undefined): Promise<void> {
    this.lease = lease;
    await this.stream.start();
    if (this.currentState === 'starting') this.currentState = this.options.hold ? 'held' : 'active';
  }

  /** Ends the hold once the lease is ours: restores the previous owner's checkpoint and processes. */
  async activate(lease: Lease): Promise<void> {
    this.lease = lease;
    await this.stream.activate();
    if (this.currentState === 'held') this.currentState = 'active';
  }

  /** Replaces the shard's topics (after a re-discovery). */
  async setTopics(topics: readonly string[]): Promise<void> {
    await this.stream.pool?.setTopics(topics);
  }

  /** The channel serving the shard now. */
  channel(): ChannelInfo | undefined {
    return this.stream.pool?.channels().get(0);
  }

  /** Stops; with `checkpoint` (a hand-over) the final state is written for the next owner. */
  async stop(options: { checkpoint: boolean; drainMs?: number }): Promise<void> {
    if (this.currentState === 'stopped' || this.currentState === 'stopping') return;
    this.currentState = 'stopping';
    await this.stream.stop({
      checkpoint: options.checkpoint && this.writableEpoch() !== undefined,
      drainMs: options.drainMs ?? 2000,
    });
    this.currentState = 'stopped';
  }

  health(): StreamHealth {
    return this.stream.health();
  }
}
