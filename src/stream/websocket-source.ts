/**
 * The live source: resolves the topic selection (or takes a fixed topic set, such as a shard), runs the channel
 * pool, re-discovers queues and users periodically, optionally records every frame, and backfills every gap.
 */
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import { Backfiller, type BackfillerOptions } from './backfiller.js';
import { ChannelPool, type ChannelPoolOptions } from './channel-pool.js';
import type { FrameRecorder } from './recording.js';
import { asError } from './retry.js';
import type { NotificationHandler, NotificationSource } from './source.js';
import { type Gap, stamp } from './status.js';
import { TopicDiscovery, type TopicSelection, TopicSelector } from './topic-selector.js';

export interface WebSocketSourceOptions
  extends Omit<ChannelPoolOptions, 'topics' | 'onNotification' | 'onFrame' | 'onGap'> {
  /** What to subscribe to, resolved through the platform and re-discovered periodically. */
  selection?: TopicSelection;
  /** A fixed topic set instead of a selection (e.g. this replica's shard of the topics). */
  topics?: Iterable<string>;
  /** Time between re-discoveries of a selection (default 10 min; 0: never). */
  rediscoverEveryMs?: number;
  /** Records every received frame; closed when the source stops. */
  recorder?: FrameRecorder;
  /** Backfills every gap when given. */
  backfill?: Omit<BackfillerOptions, 'port' | 'logger' | 'currentTopics'>;
  /** Every closed gap (also handed to the backfiller). */
  onGap?: (gap: Gap) => void;
  logger?: Logger;
}

/** Notifications from live notification channels. */
export class WebSocketSource implements NotificationSource {
  readonly pool: ChannelPool;
  readonly backfiller: Backfiller | undefined;
  private readonly discovery: TopicDiscovery | undefined;

  constructor(private readonly options: WebSocketSourceOptions) {
    if (options.selection && options.topics) {
      throw new Error('WebSocketSource takes either a selection or a fixed topic set, not both');
    }
    const logger = options.logger ?? silentLogger();
    this.backfiller = options.backfill
      ? new Backfiller({
          ...options.backfill,
          port: options.port,
          logger,
          currentTopics: () => this.pool.topicList(),
        })
      : undefined;
    const recorder = options.recorder;
    this.pool = new ChannelPool({
      ...options,
      logger,
      ...(options.topics ? { topics: options.topics } : {}),
      ...(recorder ? { onFrame: recorder.record } : {}),
      onGap: (gap) => {
        this.backfiller?.enqueue(gap);
        options.onGap?.(gap);
      },
    });
    if (options.selection) {
      this.discovery = new TopicDiscovery({
        selector: new TopicSelector(options.selection, options.port),
        intervalMs: options.rediscoverEveryMs ?? 10 * 60_000,
        ...(options.timers ? { timers: options.timers } : {}),
        onTopics: async (topics) => {
          await this.pool.setTopics(topics);
        },
        onError: (error) => this.pool.status.emit(stamp({ type: 'error', error: asError(error) })),
        logger,
      });
    }
  }

  onNotification(handler: NotificationHandler): void {
    this.pool.onNotification(handler);
  }

  /** Resolves the selection, connects every channel, and resolves once all are subscribed. */
  async start(): Promise<void> {
    await this.discovery?.start();
    await this.pool.start();
  }

  async stop(): Promise<void> {
    this.discovery?.stop();
    this.backfiller?.stop();
    await this.pool.stop();
    await this.options.recorder?.close();
  }
}
