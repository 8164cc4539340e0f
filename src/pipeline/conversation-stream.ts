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
import type { DeriverCheckpoint, LifecycleDeriverOptions } from '../conversations/index.js';
import type { LifecycleEvent, LifecycleEventMap, LifecycleEventType } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import type { PlatformClient } from '../platform/index.js';
import type { EventDispatcher, SinkHealth } from '../sinks/index.js';
import type { CheckpointStore } from '../store/index.js';
import type { ChannelPoolOptions, PoolHealth } from '../stream/channel-pool.js';
import { createNotificationsPort } from '../stream/platform-port.js';
import type { NotificationsPort } from '../stream/port.js';
import type { FrameRecorder } from '../stream/recording.js';
import type { NotificationSource } from '../stream/source.js';
import type { Gap } from '../stream/status.js';
import type { TopicSelection } from '../stream/topic-selector.js';
import { WebSocketSource } from '../stream/websocket-source.js';
import type { EventHandler } from './event-hub.js';
import { EventPipeline, type PipelineStats } from './event-pipeline.js';

/** What is checkpointed: the deriver's state and the last moment the stream was known to be covered. */
export interface StreamCheckpoint {
  version: 1;
  deriver: DeriverCheckpoint;
  /** Epoch ms of the last frame of any kind (heartbeats included): coverage is known up to here. */
  coveredUntil: number | undefined;
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
  timing?: ChannelPoolOptions['timing'];
  plan?: ChannelPoolOptions['plan'];
  rediscoverEveryMs?: number;
  logger?: Logger;
}

/** Everything an operator wants to see about the stream. */
export interface StreamHealth {
  pipeline: PipelineStats;
  pool: PoolHealth | undefined;
  sinks: SinkHealth[];
  gaps: { total: number; backfilledEvents: number; last: Gap | undefined };
  lookups: ReturnType<EventPipeline['processor']['stats']>;
  checkpoint: { key: string; lastWrittenAt: string | undefined };
}

/** Builds a stream; nothing connects before {@link ConversationStream.start}. */
export function createConversationStream(options: ConversationStreamOptions): ConversationStream {
  return new ConversationStream(options);
}

/** The durable conversation event stream. */
export class ConversationStream implements AsyncIterable<LifecycleEvent> {
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

  constructor(private readonly options: ConversationStreamOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'stream' });
    this.key = options.checkpointKey ?? 'stream';
    this.port = options.port ?? (options.platform ? createNotificationsPort(options.platform) : undefined);
    const port = this.port;
    this.pipeline = new EventPipeline({
      fetchConversation: (id) =>
        port
          ? port.getConversation(id)
          : Promise.reject(new Error('no platform client to read wrap-up codes')),
      deliver: (event) => {
        if (event.source.kind === 'backfill') this.backfilledEvents++;
        options.sinks?.publish(event);
      },
      ...(options.deriver ? { deriver: options.deriver } : {}),
      logger: this.log,
    });
  }

  /** The source in use: the one given, or the live pool built at start. */
  get source(): NotificationSource | undefined {
    return this.sourceInUse;
  }

  /** Listens to one event type; returns a function that removes the listener. */
  on<T extends LifecycleEventType>(type: T, handler: EventHandler<LifecycleEventMap[T]>): () => void {
    return this.pipeline.hub.on(type, handler);
  }

  /** Listens to every event. */
  onAny(handler: EventHandler<LifecycleEvent>): () => void {
    return this.pipeline.hub.onAny(handler);
  }

  [Symbol.asyncIterator](): AsyncIterator<LifecycleEvent> {
    return this.pipeline.hub[Symbol.asyncIterator]();
  }

  /** Feeds one raw frame (replay, tests): the same path live frames take. */
  receiveFrame(text: string, channelId?: string): void {
    this.pipeline.receiveFrame(text, channelId);
  }

  /** The live pool, when this stream runs one. */
  get pool(): WebSocketSource['pool'] | undefined {
    return this.source instanceof WebSocketSource ? this.source.pool : undefined;
  }

  /** Restores the checkpoint, then starts the source; resolves once every channel is subscribed. */
  async start(): Promise<void> {
    if (this.started) throw new Error('ConversationStream.start() called twice');
    this.started = true;
    await this.restore();
    // Built after the restore: the checkpoint's coverage time becomes the pool's restart gap.
    this.sourceInUse = this.options.source ?? this.liveSource();
    this.sourceInUse?.onNotification((notification) => {
      this.coveredUntil = notification.receivedAt ?? Date.now();
      this.pipeline.receive(notification);
    });
    await this.sourceInUse?.start();
    if (this.options.store) {
      this.checkpointTimer = setInterval(() => {
        void this.checkpoint().catch((error: unknown) => this.log.error({ err: error }, 'checkpoint failed'));
      }, this.options.checkpointEveryMs ?? 5000);
      this.checkpointTimer.unref();
    }
  }

  /** Stops the source, waits briefly for wrap-up lookups, writes a last checkpoint and flushes the sinks. */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    await this.source?.stop();
    const drainMs = options.drainMs ?? 5000;
    await Promise.race([
      this.pipeline.idle(),
      new Promise((resolve) => setTimeout(resolve, drainMs).unref()),
    ]);
    this.pipeline.close();
    if (this.options.store) await this.checkpoint();
    await this.options.sinks?.flush({ timeoutMs: drainMs });
  }

  /** Writes the deriver's state and coverage time through the store. */
  async checkpoint(): Promise<void> {
    if (!this.options.store) return;
    // With every channel connected and subscribed, nothing up to now can have been missed.
    if (this.pool?.health().connected) this.coveredUntil = Date.now();
    const value: StreamCheckpoint = {
      version: 1,
      deriver: this.pipeline.processor.deriver.exportState(),
      coveredUntil: this.coveredUntil,
    };
    await this.options.store.putCheckpoint(this.key, value);
    this.lastCheckpointAt = new Date().toISOString();
  }

  health(): StreamHealth {
    return {
      pipeline: this.pipeline.stats(),
      pool: this.pool?.health(),
      sinks: this.options.sinks?.health() ?? [],
      gaps: { total: this.gapCount, backfilledEvents: this.backfilledEvents, last: this.lastGap },
      lookups: this.pipeline.processor.stats(),
      checkpoint: { key: this.key, lastWrittenAt: this.lastCheckpointAt },
    };
  }

  private resumeFrom: number | undefined;

  private async restore(): Promise<void> {
    const stored = await this.options.store?.getCheckpoint<StreamCheckpoint>(this.key);
    if (!stored) return;
    if (stored.value.version !== 1) {
      this.log.warn({ key: this.key }, 'checkpoint of an unknown version ignored');
      return;
    }
    this.pipeline.processor.deriver.importState(stored.value.deriver);
    this.pipeline.processor.resumePendingLookups();
    this.resumeFrom = stored.value.coveredUntil;
    this.coveredUntil = stored.value.coveredUntil;
    this.log.info(
      {
        conversations: stored.value.deriver.conversations.length,
        coveredUntil: stored.value.coveredUntil
          ? new Date(stored.value.coveredUntil).toISOString()
          : undefined,
      },
      'restored checkpoint',
    );
  }

  private liveSource(): WebSocketSource | undefined {
    const port = this.port;
    if (!port || (!this.options.selection && !this.options.topics)) return undefined;
    return new WebSocketSource({
      port,
      ...(this.options.selection ? { selection: this.options.selection } : {}),
      ...(this.options.topics ? { topics: this.options.topics } : {}),
      ...(this.options.timing ? { timing: this.options.timing } : {}),
      ...(this.options.plan ? { plan: this.options.plan } : {}),
      ...(this.options.rediscoverEveryMs === undefined
        ? {}
        : { rediscoverEveryMs: this.options.rediscoverEveryMs }),
      ...(this.options.recorder ? { recorder: this.options.recorder } : {}),
      ...(this.resumeFrom === undefined ? {} : { resumeFrom: this.resumeFrom }),
      ...(this.options.backfill === false
        ? {}
        : {
            backfill: {
              trackedConversations: () => this.pipeline.liveConversationIds(),
              onRecovered: (recovered) => {
                if (recovered.conversation)
                  this.pipeline.receiveRecovered(recovered.conversation, recovered.source);
              },
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
  }
}
