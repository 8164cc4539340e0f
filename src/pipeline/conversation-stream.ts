/**
 * ConversationStream: the durable conversation event stream as one object. It runs a notification source (the live
 * channel pool, or anything implementing `NotificationSource`), feeds the pipeline, backfills every gap from REST,
 * checkpoints the deriver's state through the store so a restart neither repeats nor misses, and delivers events to
 * listeners, async iterators and sinks.
 *
 * ```ts
 * const stream = createConversationStream({ platform, selection: { queues: 'all' } });
 * stream.on('conversation.wrapup', (e) => console.log(e.code));
 * await stream.start();
 * ```
 */
import {
  type DeriverCheckpoint,
  type DetailAssemblerCheckpoint,
  type LifecycleDeriverOptions,
  refuseUnusableTopics,
} from '../conversations/index.js';
import type { LifecycleEvent, LifecycleEventMap, LifecycleEventType } from '../events.js';
import type { EventHandler } from '../fan-out.js';
import { type Logger, silentLogger } from '../logging.js';
import type { PlatformClient } from '../platform/index.js';
import type { EventDispatcher, SinkHealth } from '../sinks/index.js';
import type { CheckpointStore } from '../store/index.js';
import type {
  Backfiller,
  BackfillerOptions,
  BackfillProgress,
  BackfillReport,
  BackfillState,
} from '../stream/backfiller.js';
import type { ChannelPoolOptions, PoolHealth } from '../stream/channel-pool.js';
import { CombinedSource } from '../stream/combined-source.js';
import { createNotificationsPort } from '../stream/platform-port.js';
import type { NotificationsPort } from '../stream/port.js';
import type { FrameRecorder } from '../stream/recording.js';
import type { NotificationSource, SourceStats } from '../stream/source.js';
import type { Gap, StreamStatus } from '../stream/status.js';
import type { TopicSelection } from '../stream/topic-selector.js';
import { WebSocketSource } from '../stream/websocket-source.js';
import { EventPipeline, type EventPipelineOptions, type PipelineStats } from './event-pipeline.js';

/**
 * What is checkpointed: the deriver's state, the last moment the stream was known to be covered, and the recovery
 * still to do (gaps not recovered yet, conversations analytics did not show yet), so a restart — or the next owner
 * of a shard — resumes it. Version 1 (before recovery was kept) is read as having none open.
 */
export interface StreamCheckpoint {
  version: 2;
  deriver: DeriverCheckpoint;
  /** Epoch ms of the last frame of any kind (heartbeats included): coverage is known up to here. */
  coveredUntil: number | undefined;
  recovery: BackfillState;
  /** What detail events (EventBridge) said of the conversations not settled yet; absent when none came. */
  detail?: DetailAssemblerCheckpoint;
}

/** A checkpoint as any version wrote it. */
type StoredCheckpoint = StreamCheckpoint | (Omit<StreamCheckpoint, 'version' | 'recovery'> & { version: 1 });

/** Reads a checkpoint of any known version as the current one; undefined for an unknown version. */
export function upgradeCheckpoint(stored: { version?: unknown }): StreamCheckpoint | undefined {
  const value = stored as StoredCheckpoint;
  if (value.version === 2) return value;
  if (value.version === 1) return { ...value, version: 2, recovery: { gaps: [], conversations: [] } };
  return undefined;
}

export interface ConversationStreamOptions {
  /** The platform client; REST reads (wrap-up codes, backfill) and, without `source`, the live channel pool. */
  platform?: PlatformClient;
  /** Alternatively a ready port (tests, custom transports). */
  port?: NotificationsPort;
  /** What to subscribe to: `{ queues: 'all' | ids-or-names, users: 'all' | ids, topics: [...] }`. */
  selection?: TopicSelection;
  /** A fixed topic set instead (e.g. one replica's shard). */
  topics?: Iterable<string>;
  /** A source of notifications other than the live pool (e.g. a replay). */
  source?: NotificationSource;
  /**
   * Sources read beside the source (the live pool, or `source`), into the same pipeline: the EventBridge queue beside
   * the WebSocket. One deriver and one checkpoint, so each fact is delivered once whichever source saw it first.
   */
  extraSources?: NotificationSource[];
  /** Checkpoints go here; without a store a restart starts from nothing. */
  store?: CheckpointStore;
  /** Checkpoint key (default `stream`; one per shard when sharded). */
  checkpointKey?: string;
  /** Time between checkpoints (default 5 s). */
  checkpointEveryMs?: number;
  /** Where events go besides in-process listeners. */
  sinks?: EventDispatcher;
  /** Records every received frame. */
  recorder?: FrameRecorder;
  /** Backfill after gaps (default on when live). */
  backfill?: boolean;
  deriver?: LifecycleDeriverOptions;
  /** How detail events (EventBridge) are held and settled: hold window, settle interval, retention, timers. */
  detailEvents?: EventPipelineOptions['detailEvents'];
  /** How wrap-up codes are looked for in analytics (first look, batch size, horizon): see `ConversationProcessor`. */
  lookups?: EventPipelineOptions['lookups'];
  timing?: ChannelPoolOptions['timing'];
  plan?: ChannelPoolOptions['plan'];
  /**
   * Where the live pool's channels come from, channels it takes over, and whether it may connect now (a shard of
   * a replica set).
   */
  channels?: Pick<ChannelPoolOptions, 'budget' | 'adopt' | 'mayConnect'>;
  /**
   * Start connected but held: notifications (and backfilled conversations) are kept, not processed, until
   * {@link ConversationStream.activate} restores the checkpoint and replays them. A replica taking a shard over
   * from a live owner connects this way before the owner lets go, so nothing falls between the two.
   */
  hold?: boolean;
  /**
   * The writer's epoch, stored with each checkpoint: a write with an older epoch than the stored one is refused.
   * When given and it returns undefined, no checkpoint is written (the writer may not act now).
   */
  checkpointEpoch?: () => number | undefined;
  /**
   * A checkpoint is written only once every event derived before it is safe: by default, durable in each sink's
   * outbox (a sink whose outbox is in memory must have delivered it), so a crash right after the write loses
   * nothing — the next run delivers what the outboxes hold. With `true`, only once every sink delivered it: for a
   * replica, whose successor on another machine cannot read this one's disk.
   */
  checkpointAfterDelivery?: boolean;
  /** Called when the store refused a checkpoint because a newer epoch wrote one: this writer lost its shard. */
  onFenced?: () => void;
  /** Called with each event just before it goes to the sinks. */
  onDeliver?: (event: LifecycleEvent) => void;
  /** Told of every status event of the live channel pool, from the moment the pool exists (before it connects). */
  onStatus?: (status: StreamStatus) => void;
  /** Told of every gap recovery: recovered (`complete`), or left open to be tried again. */
  onBackfill?: (report: BackfillReport, complete: boolean) => void;
  /** How gaps are recovered (settle time, margins, horizon, batch size): see `Backfiller`. */
  backfillSettings?: Omit<
    BackfillerOptions,
    'port' | 'logger' | 'trackedConversations' | 'onRecovered' | 'currentTopics' | 'onReport'
  >;
  rediscoverEveryMs?: number;
  logger?: Logger;
}

/**
 * Whether the stream reads notifications: it stops while a sink is past its bound (policy `stop`), and backfills
 * the time it did not read once the sinks have room again.
 */
export interface IntakeHealth {
  paused: boolean;
  /** ISO-8601: since when it has not read, while paused. */
  pausedSince: string | undefined;
  /** Notifications not read while paused (their time is backfilled). */
  skippedNotifications: number;
  pauses: number;
}

/** Everything an operator wants to see about the stream. */
export interface StreamHealth {
  pipeline: PipelineStats;
  pool: PoolHealth | undefined;
  sinks: SinkHealth[];
  /** Whether notifications are being read (absent where a stream does not say, e.g. a replica set's summary). */
  intake?: IntakeHealth;
  gaps: {
    total: number;
    backfilledEvents: number;
    last: Gap | undefined;
    backfilling: boolean;
    /** Recovery: open gaps, conversations looked for again, the oldest moment not recovered, an estimate. */
    recovery: BackfillProgress | undefined;
  };
  lookups: ReturnType<EventPipeline['processor']['stats']>;
  checkpoint: { key: string; lastWrittenAt: string | undefined };
  /** The source's own account, when it gives one (the EventBridge queue: receives, deletes, redeliveries, lag). */
  source?: SourceStats;
}

/**
 * A stream of lifecycle events as the service, dashboard and shutdown use it: one process's ({@link ConversationStream})
 * or one replica's of a set (`ClusterStream`, whose health adds its coordinator's: `Health` is the health it gives).
 */
export interface LifecycleStream<Health extends StreamHealth = StreamHealth>
  extends AsyncIterable<LifecycleEvent> {
  onAny(handler: EventHandler<LifecycleEvent>): () => void;
  health(): Health;
  liveConversationIds(): Iterable<string>;
  stop(options?: { drainMs?: number }): Promise<void>;
}

/** Builds a stream; nothing connects before {@link ConversationStream.start}. */
export function createConversationStream(options: ConversationStreamOptions): ConversationStream {
  return new ConversationStream(options);
}

/** The durable conversation event stream. */
export class ConversationStream implements LifecycleStream {
  readonly pipeline: EventPipeline;
  private sourceInUse: NotificationSource | undefined;
  private readonly port: NotificationsPort | undefined;
  private readonly log: Logger;
  private readonly key: string;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private coveredUntil: number | undefined;
  private lastCheckpointAt: string | undefined;
  private gapCount = 0;
  private lastGap: Gap | undefined;
  private backfilledEvents = 0;
  private started = false;
  private heldSince: number | undefined;
  /** Work kept while held, replayed in order by activate(). */
  private held: Array<() => void> | undefined;
  /** Set while a sink past its bound asked the stream to stop reading (see {@link pauseIntake}). */
  private paused: { since: number; skipped: number; abort: AbortController } | undefined;
  private pauses = 0;
  private skippedNotifications = 0;
  /** When the last checkpoint written was taken: what was acknowledged before it is safe. */
  private checkpointTakenAt: number | undefined;
  private safeWaiters: Array<{ at: number; resolve: (safe: boolean) => void }> = [];

  constructor(private readonly options: ConversationStreamOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'stream' });
    this.key = options.checkpointKey ?? 'stream';
    this.port = options.port ?? (options.platform ? createNotificationsPort(options.platform) : undefined);
    const port = this.port;
    const offline = () => Promise.reject(new Error('no platform client to read wrap-up codes'));
    this.pipeline = new EventPipeline({
      reader: {
        readAnalytics: (ids) => (port ? port.getConversationDetails(ids, 'enrichment') : offline()),
        readConversation: (id) => (port ? port.getConversation(id, 'enrichment') : offline()),
      },
      ...(options.lookups ? { lookups: options.lookups } : {}),
      deliver: (event) => {
        if (event.source.kind === 'backfill') this.backfilledEvents++;
        options.onDeliver?.(event);
        if (options.sinks && !options.sinks.publish(event)) this.pauseIntake();
      },
      ...(options.deriver ? { deriver: options.deriver } : {}),
      ...(options.detailEvents ? { detailEvents: options.detailEvents } : {}),
      logger: this.log,
    });
  }

  /** The source in use: the one given, or the live pool built at start. */
  get source(): NotificationSource | undefined {
    return this.sourceInUse;
  }

  /** Listens to one event type; returns a function that removes the listener. */
  on<T extends LifecycleEventType>(type: T, handler: EventHandler<LifecycleEventMap[T]>): () => void {
    // Each event type's shape in the map is the union member of that type.
    return this.pipeline.hub.on(
      type,
      handler as unknown as EventHandler<Extract<LifecycleEvent, { type: T }>>,
    );
  }

  /** Listens to every event. */
  onAny(handler: EventHandler<LifecycleEvent>): () => void {
    return this.pipeline.hub.onAny(handler);
  }

  [Symbol.asyncIterator](): AsyncIterator<LifecycleEvent> {
    return this.pipeline.hub[Symbol.asyncIterator]();
  }

  /** Conversations the deriver is following. */
  liveConversationIds(): Iterable<string> {
    return this.pipeline.liveConversationIds();
  }

  /** Feeds one raw frame (replay, tests): the same path live frames take. */
  receiveFrame(text: string, channelId?: string): void {
    this.pipeline.receiveFrame(text, channelId);
  }

  /** The live source, alone or first among several. */
  private webSocketSource(): WebSocketSource | undefined {
    const source = this.source instanceof CombinedSource ? this.source.sources[0] : this.source;
    return source instanceof WebSocketSource ? source : undefined;
  }

  /** The live pool, when this stream runs one. */
  get pool(): WebSocketSource['pool'] | undefined {
    return this.webSocketSource()?.pool;
  }

  /** Restores the checkpoint, then starts the source; resolves once every channel is subscribed. */
  async start(): Promise<void> {
    if (this.started) throw new Error('ConversationStream.start() called twice');
    // Before anything connects: a topic the deriver cannot use (detail events, ...) is a configuration error. A
    // one-shot iterator of topics is left for the pool to read (looking at it here would use it up).
    const topics = this.options.topics;
    const reusable = topics !== undefined && (topics[Symbol.iterator]() as unknown) !== topics;
    refuseUnusableTopics([...(reusable ? topics : []), ...(this.options.selection?.topics ?? [])]);
    this.started = true;
    if (this.options.hold) this.held = [];
    else await this.restore();
    // Built after the restore: the checkpoint's coverage time becomes the pool's restart gap.
    const main = this.options.source ?? this.liveSource();
    const extra = this.options.extraSources ?? [];
    this.sourceInUse =
      extra.length === 0 ? main : new CombinedSource(main === undefined ? extra : [main, ...extra]);
    if (this.restoredRecovery && this.backfiller) {
      this.backfiller.importState(this.restoredRecovery);
      this.restoredRecovery = undefined;
    }
    this.sourceInUse?.onNotification((notification) => {
      if (this.paused) {
        // Not read: the time from the pause on is backfilled once the sinks have room again.
        this.paused.skipped += 1;
        this.skippedNotifications += 1;
        return;
      }
      this.coveredUntil = notification.receivedAt ?? Date.now();
      if (this.held) this.held.push(() => this.pipeline.receive(notification));
      else this.pipeline.receive(notification);
    });
    this.sourceInUse?.useSafetyCheck?.((at) => this.whenSafe(at));
    await this.sourceInUse?.start();
    // Covered from here on (every channel subscribed): earlier moments are the previous owner's to cover.
    if (this.held) this.heldSince = Date.now();
    else this.startCheckpoints();
  }

  /** Whether the stream is connected but held (see `hold`). */
  get isHeld(): boolean {
    return this.held !== undefined;
  }

  /**
   * Ends the hold: restores the checkpoint (written by the previous owner as it let go), then processes what
   * arrived meanwhile. Frames the previous owner already saw derive nothing new; the rest derive as usual.
   */
  async activate(): Promise<void> {
    const held = this.held;
    if (!held) return;
    const heardUntil = this.coveredUntil;
    await this.restore();
    // The restored coverage is the previous owner's; what this stream heard while held is newer still.
    if (heardUntil !== undefined) this.coveredUntil = Math.max(this.coveredUntil ?? 0, heardUntil);
    this.held = undefined;
    for (const work of held) work();
    // Whatever the previous owner did not cover before this stream connected is backfilled.
    if (this.resumeFrom !== undefined && this.heldSince !== undefined && this.resumeFrom < this.heldSince) {
      this.pool?.noteGap(this.resumeFrom, 'restart');
    }
    this.startCheckpoints();
  }

  private startCheckpoints(): void {
    if (this.options.store && !this.checkpointTimer) {
      let busy = false; // a checkpoint waiting for delivery is not overtaken by the next one
      const tick = () => {
        if (busy) return;
        busy = true;
        void this.checkpoint()
          .catch((error: unknown) => this.log.error({ err: error }, 'checkpoint failed'))
          .finally(() => {
            busy = false;
          });
      };
      this.checkpointTimer = setInterval(tick, this.options.checkpointEveryMs ?? 5000);
      this.checkpointTimer.unref();
      // One right away: from now on the topics are covered, and a successor (or restart) should know it.
      tick();
    }
  }

  /**
   * A sink is past its bound and asks the stream to take no more events (policy `stop`): the stream stops reading
   * notifications — events already derived still go out (lookups, a recovery under way), and nothing is dropped —
   * and once every sink has room again, the time it did not read becomes a gap, which the backfill recovers. A
   * stream without a live pool has no way to recover skipped time, so it keeps reading (the sinks keep everything).
   */
  private pauseIntake(): void {
    const sinks = this.options.sinks;
    if (this.paused || !sinks || !this.pool) return;
    const paused = { since: Date.now(), skipped: 0, abort: new AbortController() };
    this.paused = paused;
    this.pauses += 1;
    const full = sinks.health().filter((sink) => sink.status === 'failed');
    this.log.error(
      { key: this.key, sinks: full.map((sink) => sink.name) },
      'a sink is past its bound: the stream stops reading notifications until it has room, then backfills that time',
    );
    void sinks.whenWritable({ signal: paused.abort.signal }).then((writable) => {
      if (writable && this.paused === paused) this.resumeIntake();
    });
  }

  private resumeIntake(): void {
    const paused = this.paused;
    if (!paused) return;
    this.paused = undefined;
    this.log.info(
      { key: this.key, skipped: paused.skipped, pausedMs: Date.now() - paused.since },
      'the sinks have room again: reading notifications, backfilling the time not read',
    );
    this.pool?.noteGap(paused.since, 'sinks-full');
  }

  /**
   * Stops the source, waits briefly for wrap-up lookups, writes a last checkpoint and flushes the sinks. With
   * `checkpoint: false` (a replica that lost its shard) nothing is written: the new owner's state stands.
   */
  async stop(options: { drainMs?: number; checkpoint?: boolean } = {}): Promise<void> {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    // What a source still waits to let go of is not let go of now: it is delivered again after the restart.
    for (const waiter of this.safeWaiters.splice(0)) waiter.resolve(false);
    this.paused?.abort.abort();
    // Coverage as it stood before the channels close: the last checkpoint says the topics were covered until here
    // (a quiet shard receives no notification, so this is often the only proof of coverage it has). Not while the
    // stream is not reading: the time since the pause is for the next run to backfill.
    const coveredAt = this.pool?.health().connected && !this.paused ? Date.now() : undefined;
    // What recovery is still open goes into the last checkpoint before the source (and its backfiller) stops.
    const recovery = this.recoveryState();
    await this.source?.stop();
    const drainMs = options.drainMs ?? 5000;
    // A bounded wait that holds the process: wrap-up lookups still open after it stay in the checkpoint.
    let drained: NodeJS.Timeout | undefined;
    await Promise.race([
      this.pipeline.idle(),
      new Promise((resolve) => {
        drained = setTimeout(resolve, drainMs);
      }),
    ]);
    clearTimeout(drained);
    this.pipeline.close();
    if (this.options.store && options.checkpoint !== false && !this.held) {
      await this.checkpoint({ ...(coveredAt === undefined ? {} : { coveredAt }), recovery });
    }
    await this.options.sinks?.flush({ timeoutMs: drainMs });
  }

  private get backfiller(): Backfiller | undefined {
    return this.webSocketSource()?.backfiller;
  }

  /** Whether a gap is waiting for (or in) its recovery. */
  private backfilling(): boolean {
    return this.backfiller?.busy ?? false;
  }

  /** The recovery still open: the backfiller's, plus gaps closed but not handed to it yet. */
  private recoveryState(): BackfillState {
    return this.backfiller?.exportState() ?? this.restoredRecovery ?? { gaps: [], conversations: [] };
  }

  /**
   * Writes the deriver's state, the coverage time and the recovery still open through the store: a successor (or a
   * restart) resuming from this checkpoint backfills from the coverage time and takes up the open gaps.
   */
  async checkpoint(at: { coveredAt?: number; recovery?: BackfillState } = {}): Promise<void> {
    if (!this.options.store) return;
    const takenAt = Date.now();
    // With every channel connected and subscribed (and read), nothing up to now can have been missed.
    if (at.coveredAt !== undefined) this.coveredUntil = Math.max(this.coveredUntil ?? 0, at.coveredAt);
    else if (this.pool?.health().connected && !this.paused) this.coveredUntil = takenAt;
    const value: StreamCheckpoint = {
      version: 2,
      deriver: this.pipeline.processor.deriver.exportState(),
      coveredUntil: this.coveredUntil,
      recovery: at.recovery ?? this.recoveryState(),
    };
    const detail = this.pipeline.detail.exportState();
    if (detail.conversations.length > 0) value.detail = detail;
    if (this.options.sinks) {
      // Every event derived from the state just taken must be safe before the state is written: durable in every
      // outbox (memory outboxes: delivered), or for a replica delivered everywhere.
      const until = this.options.checkpointAfterDelivery ? 'delivered' : 'durable';
      const safe = await this.options.sinks.flush({
        timeoutMs: this.options.checkpointEveryMs ?? 5000,
        acceptedUpTo: takenAt,
        until,
      });
      if (!safe) {
        this.log.warn(
          { key: this.key, until },
          `checkpoint postponed: the sinks have not ${until === 'durable' ? 'made every event safe' : 'delivered every event'} yet`,
        );
        return;
      }
    }
    const epoch = this.options.checkpointEpoch?.();
    if (this.options.checkpointEpoch && epoch === undefined) {
      this.log.debug({ key: this.key }, 'checkpoint skipped: this writer may not write now');
      return;
    }
    const written = await this.options.store.putCheckpoint(
      this.key,
      value,
      epoch === undefined ? undefined : { epoch },
    );
    if (!written) {
      this.log.warn({ key: this.key, epoch }, 'checkpoint refused: a newer owner wrote this shard');
      this.options.onFenced?.();
      return;
    }
    this.lastCheckpointAt = new Date().toISOString();
    this.checkpointTakenAt = takenAt;
    this.safeWaiters = this.safeWaiters.filter((waiter) => {
      if (waiter.at > takenAt) return true;
      waiter.resolve(true);
      return false;
    });
  }

  /**
   * Whether what the pipeline acknowledged at `at` is safe for its source to let go of (an SQS delete): with a store,
   * once a checkpoint taken after it was written (a checkpoint waits for the sinks, and holds what detail events said
   * of conversations still going); without, once the sinks hold its events.
   */
  private whenSafe(at: number): Promise<boolean> {
    if (this.options.store) {
      if (this.checkpointTakenAt !== undefined && this.checkpointTakenAt >= at) return Promise.resolve(true);
      return new Promise((resolve) => this.safeWaiters.push({ at, resolve }));
    }
    const sinks = this.options.sinks;
    if (!sinks) return Promise.resolve(true);
    return sinks.flush({
      timeoutMs: this.options.checkpointEveryMs ?? 5000,
      acceptedUpTo: at,
      until: this.options.checkpointAfterDelivery ? 'delivered' : 'durable',
    });
  }

  health(): StreamHealth {
    return {
      pipeline: this.pipeline.stats(),
      pool: this.pool?.health(),
      sinks: this.options.sinks?.health() ?? [],
      intake: {
        paused: this.paused !== undefined,
        pausedSince: this.paused ? new Date(this.paused.since).toISOString() : undefined,
        skippedNotifications: this.skippedNotifications,
        pauses: this.pauses,
      },
      gaps: {
        total: this.gapCount,
        backfilledEvents: this.backfilledEvents,
        last: this.lastGap,
        backfilling: this.backfilling(),
        recovery: this.backfiller?.progress(),
      },
      lookups: this.pipeline.processor.stats(),
      checkpoint: { key: this.key, lastWrittenAt: this.lastCheckpointAt },
      ...(this.source?.stats ? { source: this.source.stats() } : {}),
    };
  }

  private resumeFrom: number | undefined;
  /** Recovery a checkpoint left open, until the backfiller takes it (or when there is none to take it). */
  private restoredRecovery: BackfillState | undefined;

  private async restore(): Promise<void> {
    const stored = await this.options.store?.getCheckpoint<{ version?: unknown }>(this.key);
    if (!stored) return;
    const checkpoint = upgradeCheckpoint(stored.value);
    if (!checkpoint) {
      this.log.warn(
        { key: this.key, version: stored.value.version },
        'checkpoint of an unknown version ignored',
      );
      return;
    }
    this.pipeline.processor.deriver.importState(checkpoint.deriver);
    this.pipeline.processor.resumePendingLookups();
    if (checkpoint.detail) this.pipeline.detail.importState(checkpoint.detail);
    this.resumeFrom = checkpoint.coveredUntil;
    this.coveredUntil = checkpoint.coveredUntil;
    this.restoredRecovery = checkpoint.recovery;
    const backfiller = this.backfiller;
    if (backfiller) {
      backfiller.importState(checkpoint.recovery);
      this.restoredRecovery = undefined;
    }
    this.log.info(
      {
        conversations: checkpoint.deriver.conversations.length,
        coveredUntil: checkpoint.coveredUntil ? new Date(checkpoint.coveredUntil).toISOString() : undefined,
        openGaps: checkpoint.recovery.gaps.length,
        conversationsToRecover: checkpoint.recovery.conversations.length,
      },
      'restored checkpoint',
    );
  }

  private liveSource(): WebSocketSource | undefined {
    const port = this.port;
    if (!port || (!this.options.selection && !this.options.topics)) return undefined;
    const source = new WebSocketSource({
      port,
      ...(this.options.selection ? { selection: this.options.selection } : {}),
      ...(this.options.topics ? { topics: this.options.topics } : {}),
      ...(this.options.timing ? { timing: this.options.timing } : {}),
      ...(this.options.plan ? { plan: this.options.plan } : {}),
      ...(this.options.channels?.budget ? { budget: this.options.channels.budget } : {}),
      ...(this.options.channels?.adopt ? { adopt: this.options.channels.adopt } : {}),
      ...(this.options.channels?.mayConnect ? { mayConnect: this.options.channels.mayConnect } : {}),
      ...(this.options.rediscoverEveryMs === undefined
        ? {}
        : { rediscoverEveryMs: this.options.rediscoverEveryMs }),
      ...(this.options.recorder ? { recorder: this.options.recorder } : {}),
      ...(this.resumeFrom === undefined ? {} : { resumeFrom: this.resumeFrom }),
      ...(this.options.backfill === false
        ? {}
        : {
            backfill: {
              ...this.options.backfillSettings,
              trackedConversations: (since) => this.pipeline.followedConversationIds(since),
              onRecovered: (recovered) => {
                const { analytics, conversation, source } = recovered;
                const work = analytics
                  ? () => this.pipeline.receiveAnalytics(analytics, source)
                  : conversation
                    ? () => this.pipeline.receiveRecovered(conversation, source)
                    : undefined;
                if (!work) return;
                if (this.held) this.held.push(work);
                else work();
              },
              ...(this.options.onBackfill ? { onReport: this.options.onBackfill } : {}),
            },
          }),
      onGap: (gap) => {
        this.gapCount++;
        this.lastGap = gap;
        this.log.info(
          { reason: gap.reason, start: gap.start, end: gap.end, topics: gap.topics.length },
          'gap closed; backfilling',
        );
      },
      logger: this.log,
    });
    if (this.options.onStatus) source.pool.status.on('*', this.options.onStatus);
    return source;
  }
}
