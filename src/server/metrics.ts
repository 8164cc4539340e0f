/**
 * Prometheus metrics (prom-client), every name prefixed `switchboard_`. Counters that the stream keeps per channel
 * slot are summed into process totals that never go backwards, even when a slot is removed; gauges are read from
 * the live objects at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CoordinatorHealth, ShardView } from '../cluster/coordinator.js';
import type { LifecycleEvent } from '../events.js';
import type { StreamHealth } from '../pipeline/conversation-stream.js';
import { BUDGET_PURPOSES, type BudgetPurpose, type PlatformClientStats } from '../platform/index.js';
import type { StreamStatus } from '../stream/index.js';
import type { InProgressView } from './in-progress.js';
import { type EngineHealth, READINESS_CONDITIONS, type ReadinessReport } from './readiness.js';
import type { ServedStreamHealth } from './served-stream.js';

/** What the metrics read at scrape time. */
export interface MetricsSource {
  stream(): ServedStreamHealth | undefined;
  platform(): PlatformClientStats | undefined;
  inProgress(): InProgressView;
  ready(): boolean;
  /** Readiness with the conditions that hold (`switchboard_not_ready{condition}`). */
  readiness?(): ReadinessReport;
  /** The proactive engine, when there is one. */
  engine?(): EngineHealth | undefined;
  /** Events dropped by in-process async iterators whose reader fell behind. */
  iteratorDrops?(): number | undefined;
}

/** Sums per-slot counters into a total that only grows (a removed or reset slot keeps what it counted). */
export class MonotonicTotal {
  private readonly last = new Map<number, number>();
  private total = 0;

  /** Takes the current per-slot values and returns the running total. */
  update(values: Iterable<[slot: number, value: number]>): number {
    for (const [slot, value] of values) {
      const previous = this.last.get(slot) ?? 0;
      this.total += value >= previous ? value - previous : value;
      this.last.set(slot, value);
    }
    return this.total;
  }
}

type Channels = NonNullable<StreamHealth['pool']>['channels'];

/** The service's metrics registry. */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'type'>;
  private readonly watchdogTrips: Counter;
  private readonly rotations: Counter<'reason'>;
  private readonly handovers: Counter<'reason'>;
  private readonly decisions: Counter<'outcome'>;
  private readonly budgetWaits: Histogram<'purpose'>;
  private readonly frames = new MonotonicTotal();
  private readonly malformedFrames = new MonotonicTotal();
  private readonly reconnects = new MonotonicTotal();

  constructor(source: MetricsSource, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
    const channels = (): Channels => source.stream()?.pool?.channels ?? [];
    const slotValues = (pick: (c: Channels[number]) => number) =>
      channels().map((c): [number, number] => [c.slot, pick(c)]);

    this.events = new Counter({
      name: 'switchboard_events_total',
      help: 'Lifecycle events delivered, by type',
      labelNames: ['type'],
      registers,
    });
    this.watchdogTrips = new Counter({
      name: 'switchboard_watchdog_trips_total',
      help: 'Sockets declared stale by the heartbeat watchdog',
      registers,
    });
    this.rotations = new Counter({
      name: 'switchboard_channel_rotations_total',
      help: 'Channels replaced by a fresh one (rotation before expiry, socket_closing, token expiry or revocation)',
      labelNames: ['reason'],
      registers,
    });
    this.handovers = new Counter({
      name: 'switchboard_channel_handovers_total',
      help: 'Hand-overs to a fresh channel that failed or were skipped, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.decisions = new Counter({
      name: 'switchboard_proactive_decisions_total',
      help: 'Proactive decisions, by outcome (planned, deferred, sent, skipped, failed, unknown, duplicate)',
      labelNames: ['outcome'],
      registers,
    });

    const totalCounter = (name: string, help: string, read: () => number | undefined) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const value = read();
          this.reset();
          if (value !== undefined) this.inc(value);
        },
      });
    totalCounter('switchboard_frames_total', 'WebSocket frames received (heartbeats included)', () =>
      this.frames.update(slotValues((c) => c.frames)),
    );
    totalCounter(
      'switchboard_malformed_frames_total',
      'Frames or snapshots that could not be understood',
      () => {
        const onSockets = this.malformedFrames.update(slotValues((c) => c.malformed));
        return onSockets + (source.stream()?.pipeline.malformed ?? 0);
      },
    );
    totalCounter('switchboard_reconnects_total', 'Socket reconnections', () =>
      this.reconnects.update(slotValues((c) => c.reconnects)),
    );
    totalCounter(
      'switchboard_notifications_total',
      'Notifications received',
      () => source.stream()?.pipeline.notifications,
    );
    new Counter({
      name: 'switchboard_notifications_ignored_total',
      help: 'Notifications on topics the stream does not derive from (presence, ...), by topic family',
      labelNames: ['family'],
      registers,
      collect() {
        this.reset();
        for (const [family, count] of Object.entries(source.stream()?.pipeline.ignoredTopics ?? {}))
          this.inc({ family }, count);
      },
    });
    new Counter({
      name: 'switchboard_conversation_snapshots_total',
      help: 'Conversation notifications derived from: whole conversations, or one media of one',
      labelNames: ['shape'],
      registers,
      collect() {
        const pipeline = source.stream()?.pipeline;
        this.reset();
        if (!pipeline) return;
        this.inc({ shape: 'whole' }, pipeline.conversationSnapshots);
        this.inc({ shape: 'media' }, pipeline.mediaSnapshots);
      },
    });
    totalCounter(
      'switchboard_duplicates_dropped_total',
      'Events seen again and dropped',
      () => source.stream()?.pipeline.duplicatesDropped,
    );
    totalCounter(
      'switchboard_gaps_total',
      'Intervals in which topics were not covered',
      () => source.stream()?.gaps.total,
    );
    totalCounter(
      'switchboard_backfilled_events_total',
      'Events recovered from REST after a gap',
      () => source.stream()?.gaps.backfilledEvents,
    );
    totalCounter(
      'switchboard_api_requests_total',
      'REST calls to the platform',
      () => source.platform()?.requests,
    );
    totalCounter(
      'switchboard_api_rate_limited_total',
      'Responses 429 (rate limited) from the platform',
      () => source.platform()?.rateLimited,
    );
    totalCounter(
      'switchboard_api_retries_total',
      'REST calls repeated after a 429, 5xx or network failure',
      () => source.platform()?.retries,
    );
    totalCounter(
      'switchboard_api_failures_total',
      'REST calls that failed after every attempt',
      () => source.platform()?.failed,
    );

    const gauge = (name: string, help: string, read: () => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const value = read();
          this.set(value ?? 0);
        },
      });
    // The EventBridge source (SQS): what it received, deleted and saw again, and how far behind it reads.
    const eventBridge = (key: string): number | undefined => {
      const stats = source.stream()?.source;
      const value = stats?.kind === 'eventbridge' ? stats[key] : undefined;
      return typeof value === 'number' ? value : undefined;
    };
    totalCounter(
      'switchboard_eventbridge_received_total',
      'SQS messages received (each receive counted)',
      () => eventBridge('received'),
    );
    totalCounter(
      'switchboard_eventbridge_redeliveries_total',
      'SQS messages received again (not deleted within their visibility timeout)',
      () => eventBridge('redeliveries'),
    );
    totalCounter(
      'switchboard_eventbridge_deleted_total',
      'SQS messages deleted once their events were safe',
      () => eventBridge('deleted'),
    );
    totalCounter(
      'switchboard_eventbridge_poison_total',
      'SQS messages that are no notification, left for the dead-letter queue',
      () => eventBridge('poison'),
    );
    gauge('switchboard_eventbridge_in_flight', 'SQS messages held (received, not deleted)', () =>
      eventBridge('inFlight'),
    );
    gauge(
      'switchboard_eventbridge_lag_seconds',
      'Now minus when the fact of the latest SQS message happened',
      () => {
        const ms = eventBridge('lagMs');
        return ms === undefined ? undefined : ms / 1000;
      },
    );
    gauge(
      'switchboard_ready',
      '1 when ready (as /readyz): channels connected, no sink failed or behind, no old gap, the engine running, leases trusted',
      () => (source.ready() ? 1 : 0),
    );
    new Gauge({
      name: 'switchboard_not_ready',
      help: 'Why the service is not ready: 1 for each condition that holds (stopping, starting, coordination_store, channels, sink_failed, sink_backlog, gap_unrecovered, engine_down, lease_unconfirmed)',
      labelNames: ['condition'],
      registers,
      collect() {
        const report = source.readiness?.();
        if (!report) return;
        const holding = new Set<string>(report.conditions);
        for (const condition of READINESS_CONDITIONS) this.set({ condition }, holding.has(condition) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'switchboard_proactive_engine_up',
      help: '1 while the proactive engine runs (reads events), 0 while it starts, is down or restarting',
      registers,
      collect() {
        this.reset();
        const engine = source.engine?.();
        if (engine) this.set(engine.state === 'running' ? 1 : 0);
      },
    });
    new Counter({
      name: 'switchboard_proactive_engine_restarts_total',
      help: 'Times the proactive engine was started again after it died',
      registers,
      collect() {
        this.reset();
        const engine = source.engine?.();
        if (engine) this.inc(engine.restarts);
      },
    });
    gauge(
      'switchboard_proactive_engine_down_seconds',
      'Time the proactive engine has been down (0 while it runs)',
      () => {
        const engine = source.engine?.();
        return engine && engine.state !== 'running' && engine.state !== 'stopped' && engine.lastError
          ? Math.max(0, (Date.now() - Date.parse(engine.lastError.at)) / 1000)
          : 0;
      },
    );
    totalCounter(
      'switchboard_event_iterator_dropped_total',
      "Events in-process async iterators of the stream dropped because their reader fell behind (the service's own consumers use sinks and drop nothing)",
      () => source.iteratorDrops?.(),
    );
    gauge(
      'switchboard_stream_intake_paused',
      '1 while the stream does not read notifications because a sink is past its bound (the time is backfilled)',
      () => {
        const intake = source.stream()?.intake;
        return intake === undefined ? undefined : intake.paused ? 1 : 0;
      },
    );
    gauge(
      'switchboard_channels_used',
      'Notification channels in use',
      () => source.stream()?.pool?.budget.inUse,
    );
    gauge(
      'switchboard_channels_budget',
      'Notification channels allowed for this OAuth client',
      () => source.stream()?.pool?.budget.limit,
    );
    gauge('switchboard_topics', 'Topics to cover', () => source.stream()?.pool?.topics);
    gauge(
      'switchboard_topics_rejected',
      'Topics the platform refused (missing permissions)',
      () => source.stream()?.pool?.rejected.length,
    );
    gauge(
      'switchboard_rate_budget_available',
      'REST calls that may start now within the rate budget',
      () => source.platform()?.budget.available,
    );
    gauge(
      'switchboard_rate_budget_limit',
      'REST calls allowed per rate window',
      () => source.platform()?.budget.limit,
    );
    gauge(
      'switchboard_rate_budget_queued',
      'REST calls waiting for the rate budget',
      () => source.platform()?.budget.queued,
    );
    this.budgetWaits = new Histogram({
      name: 'switchboard_rate_budget_wait_seconds',
      help: 'Time REST calls waited for a slot of the rate budget, by purpose (channel, enrichment, backfill, proactive, other)',
      labelNames: ['purpose'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    const perPurpose = (
      name: string,
      help: string,
      read: (stats: PlatformClientStats, p: BudgetPurpose) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['purpose'],
        registers,
        collect() {
          this.reset();
          const stats = source.platform();
          if (!stats) return;
          for (const purpose of BUDGET_PURPOSES) this.set({ purpose }, read(stats, purpose));
        },
      });
    perPurpose(
      'switchboard_rate_budget_queued_by_purpose',
      'REST calls waiting for the rate budget, by purpose',
      (s, p) => s.budget.purposes[p].queued,
    );
    perPurpose(
      'switchboard_rate_budget_wait_p99_seconds',
      '99th percentile of the last few hundred waits for the rate budget, by purpose',
      (s, p) => s.budget.purposes[p].recentWait.p99 / 1000,
    );
    new Counter({
      name: 'switchboard_rate_budget_grants_total',
      help: 'REST calls granted a slot of the rate budget, by purpose',
      labelNames: ['purpose'],
      registers,
      collect() {
        this.reset();
        const stats = source.platform();
        if (!stats) return;
        for (const purpose of BUDGET_PURPOSES) this.inc({ purpose }, stats.budget.purposes[purpose].granted);
      },
    });
    gauge('switchboard_rate_paused_seconds', 'Time left of a pause the platform asked for (429)', () => {
      const ms = source.platform()?.budget.pausedForMs;
      return ms === undefined ? undefined : ms / 1000;
    });
    const recovery = () => source.stream()?.gaps.recovery;
    gauge('switchboard_recovery_open_gaps', 'Gaps not recovered yet', () => recovery()?.openGaps);
    gauge(
      'switchboard_recovery_conversations_pending',
      'Conversations a recovery looks for again (analytics did not show them yet)',
      () => recovery()?.conversationsPending,
    );
    gauge('switchboard_recovery_behind_seconds', 'Age of the oldest moment not known recovered', () => {
      const oldest = recovery()?.oldestUnrecovered;
      return oldest === undefined ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000);
    });
    gauge(
      'switchboard_recovery_eta_seconds',
      'Estimated time until every open gap is recovered',
      () => recovery()?.etaSeconds,
    );
    gauge(
      'switchboard_wrapup_lookups_pending',
      'Wrap-up codes being looked for in analytics (waiting for a batch, in a read, or looked for again)',
      () => {
        // Every open lookup, whether waiting for its batch, in a read, or looked for again.
        return source.stream()?.lookups.queued;
      },
    );

    // A replica of a set: its view of shard ownership, leases and hand-overs.
    const cluster = () => source.stream()?.cluster;
    gauge('switchboard_cluster_members', 'Live replicas this replica sees', () => cluster()?.members.length);
    gauge('switchboard_cluster_shards_owned', 'Shards this replica runs', () => cluster()?.owned);
    gauge(
      'switchboard_cluster_spare_permits_held',
      'Spare channel permits this replica holds',
      () => cluster()?.sparePermitsHeld,
    );
    gauge('switchboard_cluster_store_age_seconds', 'Time since the coordination store last answered', () => {
      const ms = cluster()?.storeAgeMs;
      return ms === undefined ? undefined : ms / 1000;
    });
    const perShard = (name: string, help: string, read: (shard: ShardView) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['shard', 'owner'],
        registers,
        collect() {
          this.reset();
          for (const shard of cluster()?.shards ?? []) {
            const value = read(shard);
            if (value !== undefined) this.set({ shard: shard.shard, owner: shard.owner ?? '' }, value);
          }
        },
      });
    perShard(
      'switchboard_cluster_shard_epoch',
      "Epoch (lease revision) of each shard's owner",
      (s) => s.epoch,
    );
    perShard(
      'switchboard_cluster_lease_age_seconds',
      "Time since this replica's lease of a shard was renewed",
      (s) => (s.leaseAgeMs === undefined ? undefined : s.leaseAgeMs / 1000),
    );
    const clusterCounter = (name: string, help: string, read: (c: CoordinatorHealth['counters']) => number) =>
      totalCounter(name, help, () => {
        const counters = cluster()?.counters;
        return counters ? read(counters) : undefined;
      });
    clusterCounter(
      'switchboard_cluster_handovers_in_total',
      'Shards moved here from a live owner',
      (c) => c.handoversIn,
    );
    clusterCounter(
      'switchboard_cluster_handovers_out_total',
      'Shards handed to another replica',
      (c) => c.handoversOut,
    );
    clusterCounter(
      'switchboard_cluster_takeovers_total',
      "Free shards taken (a dead owner's, or never owned)",
      (c) => c.takeovers,
    );
    clusterCounter(
      'switchboard_cluster_standdowns_total',
      'Shards given up because the lease was lost',
      (c) => c.standDowns,
    );

    const perChannel = (name: string, help: string, read: (c: Channels[number]) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['slot'],
        registers,
        collect() {
          this.reset();
          for (const c of channels()) {
            const value = read(c);
            if (value !== undefined) this.set({ slot: String(c.slot) }, value);
          }
        },
      });
    perChannel('switchboard_channel_topics', 'Topics on each channel', (c) => c.topics);
    perChannel('switchboard_channel_connected', '1 while the channel is connected', (c) =>
      c.state === 'connected' ? 1 : 0,
    );
    perChannel('switchboard_channel_heartbeat_age_seconds', 'Time since the last heartbeat or pong', (c) =>
      c.heartbeatAgeMs === undefined ? undefined : c.heartbeatAgeMs / 1000,
    );
    perChannel('switchboard_channel_last_frame_age_seconds', 'Time since the last frame of any kind', (c) =>
      c.lastFrameAgeMs === undefined ? undefined : c.lastFrameAgeMs / 1000,
    );
    perChannel('switchboard_channel_expires_in_seconds', 'Time until the channel expires', (c) =>
      c.expiresInMs === undefined ? undefined : c.expiresInMs / 1000,
    );

    const perSink = (name: string, help: string, read: (s: StreamHealth['sinks'][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['sink'],
        registers,
        collect() {
          this.reset();
          for (const sink of source.stream()?.sinks ?? []) this.set({ sink: sink.name }, read(sink));
        },
      });
    perSink(
      'switchboard_sink_queue_depth',
      'Events accepted by a sink and not yet delivered',
      (s) => s.depth + s.inFlight,
    );
    perSink('switchboard_sink_delivered', 'Events a sink delivered (since start)', (s) => s.delivered);
    perSink('switchboard_sink_failed', 'Events a sink gave up on (since start)', (s) => s.failed);
    perSink(
      'switchboard_sink_dropped',
      'Events a sink dropped by its overflow policy (since start)',
      (s) => s.dropped,
    );
    perSink(
      'switchboard_sink_oldest_pending_seconds',
      "Age of a sink's oldest event not delivered yet (0 when nothing waits)",
      (s) => s.oldestPendingAgeMs / 1000,
    );
    perSink('switchboard_sink_failed_status', "1 while a sink's status is failed", (s) =>
      s.status === 'failed' ? 1 : 0,
    );
    perSink(
      'switchboard_sink_outbox_pending',
      "Events in a sink's outbox not acknowledged yet (waiting or in flight)",
      (s) => s.pending,
    );
    perSink(
      'switchboard_sink_outbox_pending_bytes',
      "Stored size of a sink's outbox (a durable outbox's JSON; 0 for memory)",
      (s) => s.pendingBytes,
    );
    perSink(
      'switchboard_sink_outbox_full_seconds_total',
      "Time a sink's outbox has spent past its bound (since start)",
      (s) => s.fullMsTotal / 1000,
    );

    new Gauge({
      name: 'switchboard_conversations_in_progress',
      help: 'Conversations started and not yet ended, by media',
      labelNames: ['media'],
      registers,
      collect() {
        this.reset();
        for (const [media, count] of Object.entries(source.inProgress().byMedia))
          this.set({ media }, count ?? 0);
      },
    });
  }

  /** Counts one delivered event. */
  /** One grant of the rate budget: how long it waited, by purpose. */
  observeBudgetWait(purpose: BudgetPurpose, waitedMs: number): void {
    this.budgetWaits.observe({ purpose }, waitedMs / 1000);
  }

  countEvent(event: LifecycleEvent): void {
    this.events.inc({ type: event.type });
  }

  /** Counts the status events that have counters of their own. */
  countStatus(status: StreamStatus): void {
    if (status.type === 'stale') this.watchdogTrips.inc();
    else if (status.type === 'rotated') this.rotations.inc({ reason: status.reason });
    else if (status.type === 'handover' && (status.phase === 'failed' || status.phase === 'skipped')) {
      this.handovers.inc({ reason: status.reason });
    }
  }

  /** Counts one proactive decision. */
  countDecision(outcome: string): void {
    this.decisions.inc({ outcome });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
