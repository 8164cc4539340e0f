/**
 * The stream, as a component: the last to start (the sinks and the engine it feeds are up first) and the first to
 * stop (it writes its last checkpoint and flushes the sinks while they still run). One process runs a
 * {@link ConversationStream} over the live channel pool, or over another notification source; a replica runs the
 * shards it owns of the set's ({@link ClusterStream}). Which one is chosen once, in `topology.ts`.
 */
import { ClusterStream } from '../../cluster/cluster-stream.js';
import { DEFAULT_RETENTION } from '../../conversations/index.js';
import type { LifecycleEvent } from '../../events.js';
import type { Logger } from '../../logging.js';
import {
  type ConversationStream,
  type ConversationStreamOptions,
  createConversationStream,
} from '../../pipeline/conversation-stream.js';
import { type ComponentReadiness, type ReadinessBounds, streamReadiness } from '../../server/readiness.js';
import type { ServedStream } from '../../server/served-stream.js';
import type { EventDispatcher } from '../../sinks/index.js';
import type { PublishStampHook } from '../../sinks/nats-transport.js';
import type { ServiceComponent } from '../component.js';
import type { ClusterConfig, ServiceConfig } from '../config.js';
import type { StreamSources } from '../eventbridge-source.js';
import type { StopContext } from '../shutdown.js';
import type { ServiceStatusStream } from '../status.js';
import type { BusComponent } from './bus.js';
import type { PlatformComponent } from './platform.js';
import type { StoreComponent } from './store.js';

/** The stream of the service, whichever it is. */
export interface StreamComponent extends ServiceComponent {
  /** The stream, once it is built (as it starts). */
  readonly stream: ServedStream | undefined;
  /** Listens to every event the stream delivers, from its start on; returns the function that stops listening. */
  onEvent(handler: (event: LifecycleEvent) => void): () => void;
  /** Events the stream's in-process async iterators dropped because their reader fell behind. */
  iteratorDrops(): number;
  /** Channels whose subscriptions the stop removed, of how many there were (none for a replica: they pass on). */
  readonly subscriptions: { channels: number; removed: number };
}

/** What every stream of the service is built from. */
export interface StreamParts {
  config: ServiceConfig;
  platform: PlatformComponent;
  store: StoreComponent;
  /** The sinks, opened before the stream starts. */
  sinks: () => EventDispatcher | undefined;
  bounds: ReadinessBounds;
  status: ServiceStatusStream;
  logger: Logger;
}

/** The settings one process's stream and every shard of a replica share. */
function sharedOptions(parts: StreamParts) {
  const { config, status } = parts;
  const sinks = parts.sinks();
  return {
    platform: parts.platform.client,
    store: parts.store.store,
    ...(sinks ? { sinks } : {}),
    backfill: config.stream.backfill,
    timing: config.stream.timing,
    ...(config.stream.dedupeHorizonMs === undefined ? {} : dedupeRetention(config.stream.dedupeHorizonMs)),
    ...(config.stream.rediscoverEveryMs === undefined
      ? {}
      : { rediscoverEveryMs: config.stream.rediscoverEveryMs }),
    // Every gap recovered (or left open to be tried again), for every stream of this process.
    onBackfill: (report, complete) => status.emit({ type: 'backfill', report, complete }),
    logger: parts.logger,
  } satisfies Partial<ConversationStreamOptions>;
}

/** How long the detail-event assembler remembers an ended conversation's records by default (60 min). */
const DETAIL_RETAIN_MS = 60 * 60_000;

/**
 * The retention for a dedupe horizon: the deriver remembers an ended conversation that long after its last
 * notification, and one still waiting for its wrap-up at least as long; the detail-event assembler keeps an ended
 * conversation's records at least as long too.
 */
export function dedupeRetention(horizonMs: number): {
  deriver: { graceMs: number; wrapupGraceMs: number };
  detailEvents: { retainMs: number };
} {
  return {
    deriver: { graceMs: horizonMs, wrapupGraceMs: Math.max(horizonMs, DEFAULT_RETENTION.wrapupGraceMs) },
    detailEvents: { retainMs: Math.max(horizonMs, DETAIL_RETAIN_MS) },
  };
}

/** Handlers of the stream's events, held until the stream exists. */
class EventListeners {
  private readonly handlers = new Set<(event: LifecycleEvent) => void>();
  private readonly detach = new Map<(event: LifecycleEvent) => void, () => void>();
  private stream: ServedStream | undefined;

  add(handler: (event: LifecycleEvent) => void): () => void {
    this.handlers.add(handler);
    if (this.stream) this.detach.set(handler, this.stream.onAny(handler));
    return () => {
      this.handlers.delete(handler);
      this.detach.get(handler)?.();
      this.detach.delete(handler);
    };
  }

  attach(stream: ServedStream): void {
    this.stream = stream;
    for (const handler of this.handlers) this.detach.set(handler, stream.onAny(handler));
  }
}

/** One process's stream: the live channel pool, or another source of notifications. */
export class ProcessStreamComponent implements StreamComponent {
  readonly name = 'stream';
  subscriptions = { channels: 0, removed: 0 };
  private current: ConversationStream | undefined;
  private started = false;
  private readonly listeners = new EventListeners();

  constructor(private readonly parts: StreamParts & StreamSources) {}

  get stream(): ServedStream | undefined {
    return this.current;
  }

  onEvent(handler: (event: LifecycleEvent) => void): () => void {
    return this.listeners.add(handler);
  }

  iteratorDrops(): number {
    return this.current?.pipeline.hub.droppedByIterators ?? 0;
  }

  async start(): Promise<void> {
    const { config, status, source, extraSources } = this.parts;
    const stream = createConversationStream({
      ...sharedOptions(this.parts),
      ...(source ? { source } : { selection: config.stream.selection }),
      ...(extraSources?.length ? { extraSources } : {}),
      onStatus: (channel) => status.emit({ type: 'channel', status: channel }),
    });
    this.current = stream;
    this.listeners.attach(stream);
    status.emit({ type: 'connecting', ...(source ? {} : { selection: config.stream.selection }) });
    try {
      await stream.start();
    } catch (error) {
      await stream.stop({ drainMs: 0 }).catch(() => undefined);
      throw error;
    }
    this.started = true;
    status.emit({ type: 'stream-started', pool: stream.health().pool });
  }

  async stop(context: StopContext): Promise<void> {
    const stream = this.current;
    if (!stream) return;
    const channelIds = (stream.health().pool?.channels ?? [])
      .map((channel) => channel.channelId)
      .filter((id): id is string => id !== undefined);
    // It stops reading, waits briefly for wrap-up lookups, writes its checkpoint and flushes the sinks. The wait for
    // lookups takes at most half of the step's share: the rest is for the checkpoint, which keeps what is still open.
    await context.step(
      'stream',
      () => stream.stop({ drainMs: Math.min(5000, context.remainingMs() / 4) }),
      0.5,
    );
    if (!stream.pool) return;
    // The platform has no channel delete: an emptied channel simply expires.
    const notifications = this.parts.platform.client.notifications;
    let removed = 0;
    await context.step(
      'subscriptions',
      async () => {
        const results = await Promise.allSettled(
          channelIds.map((id) => notifications.deleteNotificationsChannelSubscriptions(id)),
        );
        removed = results.filter((r) => r.status === 'fulfilled').length;
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      },
      0.7,
    );
    this.subscriptions = { channels: channelIds.length, removed };
  }

  readiness(now: number): ComponentReadiness {
    const health = this.current?.health();
    if (!health || (!this.started && !health.pool)) {
      const reason = this.parts.source
        ? 'starting: the notification source is not started yet'
        : 'starting: the channels are not set up yet';
      return { findings: [{ condition: 'starting', reason }] };
    }
    return streamReadiness(health, { bounds: this.parts.bounds, leaseTtlMs: undefined, now });
  }
}

/** A replica's stream: the shards it owns of the set's, coordinated over the bus. */
export class ReplicaStreamComponent implements StreamComponent {
  readonly name = 'stream';
  readonly subscriptions = { channels: 0, removed: 0 };
  private current: ClusterStream | undefined;
  private started = false;
  private readonly listeners = new EventListeners();

  constructor(private readonly parts: StreamParts & { cluster: ClusterConfig; bus: BusComponent }) {}

  /**
   * The bus sink's fence: an event is published only while the lease of the shard that derived it holds (see
   * {@link ClusterStream.stamp}).
   */
  readonly stamp: PublishStampHook = (event) => this.current?.stamp(event) ?? { allowed: true };

  get stream(): ServedStream | undefined {
    return this.current;
  }

  onEvent(handler: (event: LifecycleEvent) => void): () => void {
    return this.listeners.add(handler);
  }

  iteratorDrops(): number {
    return this.current?.hub.droppedByIterators ?? 0;
  }

  async start(): Promise<void> {
    const { config, cluster, status, logger } = this.parts;
    const stream = new ClusterStream({
      settings: cluster,
      connection: this.parts.bus.bus.connection,
      stream: sharedOptions(this.parts),
      selection: config.stream.selection,
      ...(config.stream.rediscoverEveryMs === undefined
        ? {}
        : { rediscoverEveryMs: config.stream.rediscoverEveryMs }),
      logger,
    });
    this.current = stream;
    this.listeners.attach(stream);
    status.emit({ type: 'connecting', selection: config.stream.selection });
    try {
      await stream.start();
    } catch (error) {
      await stream.stop().catch(() => undefined);
      throw error;
    }
    this.started = true;
    status.emit({
      type: 'replica-joined',
      replicaId: cluster.replicaId,
      shards: cluster.shards,
      spareChannels: cluster.spareChannels,
      leaseTtlMs: cluster.leaseTtlMs,
    });
  }

  /** Hands every shard it owns back (each writes its last checkpoint); its channels pass to the next owners. */
  async stop(context: StopContext): Promise<void> {
    const stream = this.current;
    if (stream) await context.step('stream', () => stream.stop(), 0.5);
  }

  readiness(now: number): ComponentReadiness {
    const stream = this.current;
    if (!stream || !this.started) {
      return { findings: [{ condition: 'starting', reason: 'starting: joining the replica set' }] };
    }
    return streamReadiness(stream.health(), {
      bounds: this.parts.bounds,
      leaseTtlMs: this.parts.cluster.leaseTtlMs,
      now,
    });
  }
}
