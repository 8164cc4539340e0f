/**
 * The conversation stream of one replica in a replica set: the topics are discovered as usual, split into shards,
 * and the shards this replica owns (see {@link ShardCoordinator}) each run their own stream. Events go to the
 * shared sinks (the bus sink first: it publishes with the event id as message id, so the replica set's overlaps
 * are removed by the bus) and, deduplicated, to in-process listeners (dashboard, metrics).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '../errors.js';
import type { LifecycleEvent } from '../events.js';
import { FanOut } from '../fan-out.js';
import { type Logger, silentLogger } from '../logging.js';
import type {
  ConversationStreamOptions,
  IntakeHealth,
  LifecycleStream,
  StreamHealth,
} from '../pipeline/conversation-stream.js';
import { LIFECYCLE_ITERATOR_BUFFER } from '../pipeline/event-pipeline.js';
import { RecentIds } from '../pipeline/recent-ids.js';
import type { PublishStampHook } from '../sinks/nats-transport.js';
import type { BackfillProgress } from '../stream/backfiller.js';
import type { PoolHealth } from '../stream/channel-pool.js';
import { createNotificationsPort } from '../stream/platform-port.js';
import type { NotificationsPort } from '../stream/port.js';
import { PLATFORM_CHANNEL_LIMIT } from '../stream/topic-plan.js';
import { TopicDiscovery, type TopicSelection, TopicSelector } from '../stream/topic-selector.js';
import { ShardChannelAllowance, SparePermits } from './channel-permits.js';
import { type CoordinationKv, kvSafe, NatsCoordinationKv } from './coordination-kv.js';
import { type CoordinatorHealth, type CoordinatorTiming, ShardCoordinator } from './coordinator.js';
import { type OriginRegistry, ShardRunner } from './shard-runner.js';
import { splitTopics } from './shards.js';

export interface ClusterSettings {
  /** This replica's id (unique in the set; default hostname-pid). */
  replicaId: string;
  /** Shards the topics are split into; each is one channel (default 4). */
  shards: number;
  /** Channels kept free across the set for hand-overs and rotations (default 2). */
  spareChannels: number;
  /** A lease not renewed for this long expires (default 15 s). */
  leaseTtlMs: number;
  /** Name prefix of the coordination buckets (default `switchboard`). */
  bucket: string;
  timing?: Partial<CoordinatorTiming>;
}

export interface ClusterStreamOptions {
  settings: ClusterSettings;
  /** The NATS connection the coordination buckets live on. */
  connection?: NatsConnection;
  /** Or ready stores (tests). */
  kv?: { leases: CoordinationKv; channels: CoordinationKv };
  /** What every shard's stream shares: the platform (or port), store, sinks, timing, backfill. */
  stream: Omit<
    ConversationStreamOptions,
    | 'topics'
    | 'selection'
    | 'hold'
    | 'checkpointKey'
    | 'channels'
    | 'onDeliver'
    | 'onFenced'
    | 'source'
    | 'recorder'
  >;
  selection: TopicSelection;
  rediscoverEveryMs?: number;
  logger?: Logger;
}

/** Stream health plus the replica set as this replica sees it. */
export type ClusterStreamHealth = StreamHealth & { cluster: CoordinatorHealth };

/** Checks that shards and spare channels fit the platform's channel limit. */
export function checkClusterSettings(settings: ClusterSettings): void {
  if (!Number.isInteger(settings.shards) || settings.shards < 1) {
    throw new ConfigError(`cluster.shards must be a positive whole number, got ${settings.shards}.`);
  }
  if (!Number.isInteger(settings.spareChannels) || settings.spareChannels < 1) {
    throw new ConfigError(`cluster.spareChannels must be at least 1, got ${settings.spareChannels}.`, {
      hint: 'Without a spare channel no shard can move make-before-break, and no channel can rotate.',
    });
  }
  if (settings.shards + settings.spareChannels > PLATFORM_CHANNEL_LIMIT) {
    throw new ConfigError(
      `cluster.shards (${settings.shards}) + cluster.spareChannels (${settings.spareChannels}) exceeds the platform's ${PLATFORM_CHANNEL_LIMIT} channels per OAuth client.`,
      {
        hint: 'All replicas of one OAuth client share its 20 channels: lower the shards or the spare channels.',
      },
    );
  }
}

export class ClusterStream implements LifecycleStream<ClusterStreamHealth> {
  readonly hub = new FanOut<LifecycleEvent>({
    iteratorBuffer: LIFECYCLE_ITERATOR_BUFFER,
    listenersAfterClose: true,
  });
  /** Which shard and epoch delivered each event still on its way to the sinks. */
  readonly origins: OriginRegistry = new WeakMap();
  private readonly recent = new RecentIds(50_000);
  private readonly log: Logger;
  private readonly port: NotificationsPort;
  private coordinator: ShardCoordinator<ShardRunner> | undefined;
  private discovery: TopicDiscovery | undefined;
  private shardTopics = new Map<string, string[]>();
  private duplicatesDropped = 0;

  constructor(private readonly options: ClusterStreamOptions) {
    checkClusterSettings(options.settings);
    this.log = (options.logger ?? options.stream.logger ?? silentLogger()).child({ component: 'cluster' });
    const port =
      options.stream.port ??
      (options.stream.platform ? createNotificationsPort(options.stream.platform) : undefined);
    if (!port) throw new Error('ClusterStream needs a platform client or a port');
    this.port = port;
  }

  onAny(handler: (event: LifecycleEvent) => void): () => void {
    return this.hub.onAny(handler);
  }

  [Symbol.asyncIterator](): AsyncIterator<LifecycleEvent> {
    return this.hub[Symbol.asyncIterator]();
  }

  /**
   * The bus sink's hook: an event may be published only while the lease of the shard that derived it is surely
   * valid; it goes out stamped with shard, epoch and replica. While the lease is unconfirmed the event waits; once
   * the lease is lost it is refused, and its runner stands down without writing a checkpoint, so the next owner
   * derives the event again. An event with no recorded origin is refused too: no lease vouches for it, so
   * publishing it could let a replica that lost its shard publish as owner. Every event a shard runner delivers has
   * one (live, replayed after a hand-over, backfilled, or completed by a wrap-up lookup).
   */
  stamp: PublishStampHook = (event) => {
    const origin = this.origins.get(event);
    if (!origin) return { allowed: false, reason: 'no recorded origin' };
    const headers = {
      'Switchboard-Shard': origin.shard,
      'Switchboard-Epoch': String(origin.lease.epoch),
      'Switchboard-Replica': origin.replicaId,
    };
    if (origin.lease.isValid()) return { allowed: true, headers };
    // Not surely ours right now (the store has not confirmed the lease lately): hold the event until it is.
    if (!origin.lease.lost) return { allowed: false, wait: true, headers };
    origin.runner.fencedEvents++;
    return { allowed: false, headers, reason: 'lease lost' };
  };

  /** Discovers the topics, opens the coordination buckets and starts coordinating. */
  async start(): Promise<void> {
    const { settings } = this.options;
    const kv = this.options.kv ?? (await this.openBuckets());
    this.discovery = new TopicDiscovery({
      selector: new TopicSelector(this.options.selection, this.port),
      intervalMs: this.options.rediscoverEveryMs ?? 10 * 60_000,
      onTopics: async (topics) => {
        this.shardTopics = splitTopics(topics, settings.shards);
        for (const runner of this.coordinator?.runners() ?? []) {
          await runner.setTopics(this.shardTopics.get(runner.shard) ?? []);
        }
      },
      logger: this.log,
    });
    await this.discovery.start();
    const spares = new SparePermits(
      kv.leases,
      settings.spareChannels,
      settings.replicaId,
      this.leaseTiming(),
      this.log,
    );
    this.coordinator = new ShardCoordinator<ShardRunner>({
      kv: kv.leases,
      channels: kv.channels,
      replicaId: settings.replicaId,
      shardCount: settings.shards,
      spares,
      lease: this.leaseTiming(),
      timing: {
        tickMs: Math.max(200, Math.floor(settings.leaseTtlMs / 3)),
        handoverTimeoutMs: Math.max(30_000, settings.leaseTtlMs * 2),
        freeShardGraceMs: settings.leaseTtlMs,
        ...settings.timing,
      },
      createRunner: (shard, runnerOptions) =>
        new ShardRunner({
          shard,
          replicaId: kvSafe(settings.replicaId),
          topics: this.shardTopics.get(shard) ?? [],
          base: { ...this.options.stream, port: this.port },
          allowance: new ShardChannelAllowance(spares, shard),
          origins: this.origins,
          hold: runnerOptions.hold,
          ...(runnerOptions.adopt ? { adopt: runnerOptions.adopt } : {}),
          onEvent: (event) => this.receive(event),
          logger: this.log,
        }),
      logger: this.log,
    });
    this.coordinator.start();
    this.log.info(
      { replicaId: settings.replicaId, shards: settings.shards, spareChannels: settings.spareChannels },
      'joined the replica set',
    );
  }

  /** Hands every shard back and stops. */
  async stop(): Promise<void> {
    this.discovery?.stop();
    await this.coordinator?.stop();
    await this.options.stream.sinks?.flush({ timeoutMs: 5000 });
    this.hub.close();
  }

  /** Conversations the owned shards are following. */
  liveConversationIds(): Set<string> {
    const ids = new Set<string>();
    for (const runner of this.coordinator?.runners() ?? []) {
      for (const id of runner.stream.pipeline.liveConversationIds()) ids.add(id);
    }
    return ids;
  }

  health(): ClusterStreamHealth {
    const runners = this.coordinator?.runners() ?? [];
    const healths = runners.map((runner) => ({ shard: Number(runner.shard), health: runner.health() }));
    const first = healths[0]?.health;
    const sum = (read: (h: StreamHealth) => number) =>
      healths.reduce((total, { health }) => total + read(health), 0);
    const events = { ...(first?.pipeline.events ?? {}) } as StreamHealth['pipeline']['events'];
    for (const key of Object.keys(events) as (keyof typeof events)[])
      events[key] = sum((h) => h.pipeline.events[key]);
    const channels = healths.flatMap(({ shard, health }) =>
      (health.pool?.channels ?? []).map((channel) => ({ ...channel, slot: shard })),
    );
    const pool: PoolHealth = {
      state: runners.length > 0 ? 'running' : 'idle',
      topics: sum((h) => h.pool?.topics ?? 0),
      channels,
      budget: {
        limit: this.options.settings.shards + this.options.settings.spareChannels,
        inUse: channels.length,
        reserved: this.options.settings.spareChannels,
      },
      rejected: healths.flatMap(({ health }) => health.pool?.rejected ?? []),
      connected: channels.length > 0 && channels.every((c) => c.state === 'connected'),
    };
    const lastEventAt = healths
      .map(({ health }) => health.pipeline.lastEventAt)
      .filter((at): at is string => at !== undefined)
      .sort()
      .at(-1);
    return {
      pipeline: {
        notifications: sum((h) => h.pipeline.notifications),
        conversationSnapshots: sum((h) => h.pipeline.conversationSnapshots),
        mediaSnapshots: sum((h) => h.pipeline.mediaSnapshots),
        detailEvents: sum((h) => h.pipeline.detailEvents),
        ignoredTopics: mergeCounts(healths.map(({ health }) => health.pipeline.ignoredTopics)),
        otherTopics: sum((h) => h.pipeline.otherTopics),
        malformed: sum((h) => h.pipeline.malformed),
        recovered: sum((h) => h.pipeline.recovered),
        duplicatesDropped: sum((h) => h.pipeline.duplicatesDropped) + this.duplicatesDropped,
        events,
        eventsTotal: sum((h) => h.pipeline.eventsTotal),
        lastEventAt,
      },
      pool,
      sinks: this.options.stream.sinks?.health() ?? [],
      intake: mergeIntake(healths.map(({ health }) => health.intake)),
      gaps: {
        total: sum((h) => h.gaps.total),
        backfilledEvents: sum((h) => h.gaps.backfilledEvents),
        last: healths
          .map(({ health }) => health.gaps.last)
          .filter((gap) => gap !== undefined)
          .at(-1),
        backfilling: healths.some(({ health }) => health.gaps.backfilling),
        recovery: mergeRecovery(healths.map(({ health }) => health.gaps.recovery)),
      },
      lookups: mergeLookups(healths.map(({ health }) => health.lookups)),
      checkpoint: { key: 'stream:shard-*', lastWrittenAt: undefined },
      cluster: this.coordinator?.health() ?? emptyCoordinatorHealth(this.options.settings.replicaId),
    };
  }

  private receive(event: LifecycleEvent): void {
    // Two shards can both see a conversation (it moved between queues): in-process listeners get it once.
    if (!this.recent.add(event.id)) {
      this.duplicatesDropped++;
      return;
    }
    this.hub.emit(event);
  }

  private leaseTiming() {
    const ttlMs = this.options.settings.leaseTtlMs;
    return { ttlMs, safetyMs: Math.max(500, Math.floor(ttlMs / 5)) };
  }

  private async openBuckets(): Promise<{ leases: CoordinationKv; channels: CoordinationKv }> {
    const connection = this.options.connection;
    if (!connection) throw new Error('ClusterStream needs a NATS connection or coordination stores');
    const { bucket, leaseTtlMs } = this.options.settings;
    return {
      leases: await NatsCoordinationKv.open(connection, { bucket: `${bucket}-leases`, ttlMs: leaseTtlMs }),
      channels: await NatsCoordinationKv.open(connection, { bucket: `${bucket}-channels`, ttlMs: 0 }),
    };
  }
}

/** Counters add up; the batch size is the smallest any shard learnt; the oldest lookup is the oldest of all. */
function mergeLookups(all: StreamHealth['lookups'][]): StreamHealth['lookups'] {
  const [first, ...rest] = all;
  if (!first) return {} as StreamHealth['lookups'];
  const merged = { ...first };
  for (const lookups of rest) {
    merged.queued += lookups.queued;
    merged.inFlight += lookups.inFlight;
    merged.retrying += lookups.retrying;
    merged.batches += lookups.batches;
    merged.fetched += lookups.fetched;
    merged.fetchFailures += lookups.fetchFailures;
    merged.notCaughtUp += lookups.notCaughtUp;
    merged.restReads += lookups.restReads;
    merged.fallbacks += lookups.fallbacks;
    merged.batchSize = Math.min(merged.batchSize, lookups.batchSize);
    merged.oldestSince = earliestOf(merged.oldestSince, lookups.oldestSince);
  }
  return merged;
}

/** One replica's recovery over all its shards. */
function mergeRecovery(all: Array<BackfillProgress | undefined>): BackfillProgress | undefined {
  const present = all.filter((p): p is BackfillProgress => p !== undefined);
  if (present.length === 0) return undefined;
  const oldest = present
    .map((p) => p.oldestUnrecovered)
    .filter((t): t is string => t !== undefined)
    .sort()[0];
  const etas = present.map((p) => p.etaSeconds);
  return {
    openGaps: present.reduce((n, p) => n + p.openGaps, 0),
    conversationsPending: present.reduce((n, p) => n + p.conversationsPending, 0),
    oldestUnrecovered: oldest,
    backlogCalls: present.reduce((n, p) => n + p.backlogCalls, 0),
    etaSeconds: etas.some((e) => e === undefined) ? undefined : Math.max(...(etas as number[])),
    running: present.some((p) => p.running),
    totals: {
      windows: present.reduce((n, p) => n + p.totals.windows, 0),
      calls: present.reduce((n, p) => n + p.totals.calls, 0),
      failures: present.reduce((n, p) => n + p.totals.failures, 0),
      recovered: present.reduce((n, p) => n + p.totals.recovered, 0),
    },
    last: present.map((p) => p.last).find((r) => r !== undefined),
  };
}

function earliestOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function emptyCoordinatorHealth(replicaId: string): CoordinatorHealth {
  return {
    replicaId,
    members: [],
    shards: [],
    owned: 0,
    incoming: undefined,
    counters: { takeovers: 0, handoversIn: 0, handoversOut: 0, standDowns: 0, movesAborted: 0 },
    sparePermitsHeld: 0,
    storeAgeMs: undefined,
  };
}

/** The replica's intake: paused while any of its shards is (since the earliest), counts summed. */
function mergeIntake(intakes: ReadonlyArray<IntakeHealth | undefined>): IntakeHealth {
  const known = intakes.filter((intake): intake is IntakeHealth => intake !== undefined);
  const since = known
    .map((intake) => intake.pausedSince)
    .filter((at): at is string => at !== undefined)
    .sort()[0];
  return {
    paused: known.some((intake) => intake.paused),
    pausedSince: since,
    skippedNotifications: known.reduce((total, intake) => total + intake.skippedNotifications, 0),
    pauses: known.reduce((total, intake) => total + intake.pauses, 0),
  };
}

/** Counts by key, added up. */
function mergeCounts(all: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of all)
    for (const [key, n] of Object.entries(counts)) merged[key] = (merged[key] ?? 0) + n;
  return merged;
}
