/**
 * The live picture behind the dashboard and the JSON API: the latest events, conversations in progress, events
 * per minute, channel health and the proactive ledger, assembled from the stream, the platform client and the
 * ledger, and pushed to dashboards over server-sent events (events in small batches, the overview every second).
 */
import type { LifecycleEvent } from '../events.js';
import type { PlatformClient } from '../platform/index.js';
import type { LedgerEntry, LedgerQuery, LedgerStatus } from '../store/index.js';
import type { StreamStatus } from '../stream/index.js';
import type { ApiBackend } from './http-server.js';
import { InProgressBoard } from './in-progress.js';
import { ServiceMetrics } from './metrics.js';
import { RateSeries } from './rate-series.js';
import type { EngineHealth, ReadinessReport } from './readiness.js';
import { type EventFilter, RecentEvents } from './recent-events.js';
import type { ServedStream } from './served-stream.js';
import { SseHub, sseMessage } from './sse.js';
import {
  type EventView,
  gapView,
  type LedgerView,
  ledgerView,
  poolView,
  redactEvent,
  sourceView,
  statusView,
} from './views.js';

/** What the ledger panel reads. */
export interface LedgerReader {
  list(query?: LedgerQuery): Promise<LedgerEntry[]>;
}

/** The proactive engine as the dashboard describes it. */
export interface ProactiveSummary {
  enabled: boolean;
  dryRun: boolean;
  rules: number;
  rulesFile?: string;
  /** Rules stopped for a missing permission, with why. */
  stoppedRules: Array<{ ruleId: string; reason: string }>;
}

/** A proactive decision, as far as the dashboard needs it. */
export interface DecisionNote {
  ruleId: string;
  customerId: string;
  status: string;
  channel?: string;
  reasonCode?: string;
  reason?: string;
  entryId?: number;
  dryRun?: boolean;
}

export interface ServiceApiBackendOptions {
  mode: 'run' | 'demo';
  showCustomerData: boolean;
  recentEvents: number;
  /** The stream, once built. */
  stream: () => ServedStream | undefined;
  platform: () => PlatformClient | undefined;
  ledger?: () => LedgerReader | undefined;
  proactive?: () => ProactiveSummary | undefined;
  /** Whether the service is ready, and every reason it is not (see `readiness.ts`). */
  readiness: () => ReadinessReport;
  /** The proactive engine's supervisor view (health and metrics). */
  engine?: () => EngineHealth | undefined;
  /** Events the stream's in-process async iterators dropped because their reader fell behind (since start). */
  iteratorDrops?: () => number;
  injectFault?: (command: unknown) => Promise<unknown>;
  /** Overview push interval (default 1 s); events are pushed in batches every `eventFlushMs` (default 250 ms). */
  overviewEveryMs?: number;
  eventFlushMs?: number;
  metrics?: { defaultMetrics?: boolean };
}

const MAX_EVENTS_PER_PUSH = 200;
const ACTIVITY_KEPT = 50;

export type { EngineHealth } from './readiness.js';

/** The service's HTTP backend: the JSON API, the dashboard's event stream, readiness and metrics (implements `ApiBackend`). */
export class ServiceApiBackend implements ApiBackend {
  readonly sse = new SseHub();
  readonly metrics: ServiceMetrics;
  readonly recent: RecentEvents;
  readonly board = new InProgressBoard();
  readonly rates = new RateSeries();
  readonly injectFault: ((command: unknown) => Promise<unknown>) | undefined;
  private readonly queueNames = new Map<string, string>();
  private readonly activity: Array<Record<string, unknown>> = [];
  private readonly decisionCounts: Record<string, number> = {};
  private pendingEvents: EventView[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt = Date.now();
  private readonly stopBudgetWaits: (() => void) | undefined;

  constructor(private readonly options: ServiceApiBackendOptions) {
    this.recent = new RecentEvents(options.recentEvents);
    this.injectFault = options.injectFault;
    this.metrics = new ServiceMetrics(
      {
        stream: () => options.stream()?.health(),
        platform: () => options.platform()?.stats(),
        inProgress: () => this.board.view(),
        ready: () => this.readiness().ready,
        readiness: () => this.readiness(),
        engine: () => options.engine?.(),
        iteratorDrops: () => options.iteratorDrops?.(),
      },
      options.metrics ?? {},
    );
    this.stopBudgetWaits = options
      .platform()
      ?.onBudgetGrant((purpose, waitedMs) => this.metrics.observeBudgetWait(purpose, waitedMs));
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(task, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(options.eventFlushMs ?? 250, () => this.flushEvents());
    every(options.overviewEveryMs ?? 1000, () => {
      if (this.sse.size > 0) this.sse.broadcast('overview', this.overview());
    });
    every(30_000, () => {
      const stream = options.stream();
      if (stream) this.board.prune(stream.liveConversationIds());
    });
  }

  /** Stops the timers and ends every dashboard connection. */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.stopBudgetWaits?.();
    this.flushEvents();
    this.sse.close();
  }

  /** Names to show for queue ids. */
  setQueueNames(entries: Iterable<{ id: string; name?: string }>): void {
    for (const { id, name } of entries) if (name) this.queueNames.set(id.toLowerCase(), name);
  }

  /** Takes one delivered event. */
  observeEvent(event: LifecycleEvent): void {
    this.metrics.countEvent(event);
    const observed = Date.parse(event.observedAt);
    this.rates.record(event.type, Number.isFinite(observed) ? observed : Date.now());
    const queueId = this.board.observe(event);
    const view = this.recent.push({
      ...(queueId ? { queueId } : {}),
      event: redactEvent(event, this.options),
    });
    this.pendingEvents.push(view);
    if (this.pendingEvents.length > MAX_EVENTS_PER_PUSH) this.pendingEvents.shift();
  }

  /** Takes one status event of the channel pool. */
  observeStatus(status: StreamStatus): void {
    this.metrics.countStatus(status);
    // Heartbeat-level chatter stays out of the activity log; the channel table shows it.
    if (status.type === 'topics-changed' && status.added === 0 && status.removed === 0) return;
    const view = statusView(status);
    this.activity.push(view);
    if (this.activity.length > ACTIVITY_KEPT) this.activity.shift();
    this.sse.broadcast('status', view);
  }

  /** Takes one proactive decision. */
  observeDecision(decision: DecisionNote): void {
    this.metrics.countDecision(decision.status);
    this.decisionCounts[decision.status] = (this.decisionCounts[decision.status] ?? 0) + 1;
    this.sse.broadcast('decision', {
      ruleId: decision.ruleId,
      customerId: decision.customerId,
      outcome: decision.status,
      ...(decision.channel ? { channel: decision.channel } : {}),
      ...(decision.reasonCode ? { reasonCode: decision.reasonCode } : {}),
      ...(decision.reason ? { reason: decision.reason } : {}),
      ...(decision.entryId !== undefined ? { id: decision.entryId } : {}),
      ...(decision.dryRun ? { dryRun: true } : {}),
      at: new Date().toISOString(),
    });
  }

  /** Ready, or every reason not (see `readiness.ts`). */
  readiness(): ReadinessReport {
    return this.options.readiness();
  }

  metricsText(): Promise<{ body: string; contentType: string }> {
    return this.metrics.render();
  }

  health(): unknown {
    const stream = this.options.stream();
    const health = stream?.health();
    const platform = this.options.platform();
    return {
      mode: this.options.mode,
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      readiness: this.readiness(),
      stream: health
        ? {
            pipeline: health.pipeline,
            pool: poolView(health.pool),
            sinks: health.sinks,
            gaps: { ...health.gaps, last: gapView(health.gaps.last) },
            lookups: health.lookups,
            checkpoint: health.checkpoint,
            ...(health.source ? { source: health.source } : {}),
            ...(health.cluster ? { cluster: health.cluster } : {}),
          }
        : undefined,
      platform: platform ? { region: platform.region.name, ...platform.stats() } : undefined,
      proactive: this.options.proactive?.(),
      engine: this.options.engine?.(),
      iterators: { dropped: this.options.iteratorDrops?.() ?? 0 },
      dashboard: { clients: this.sse.size, recentEvents: this.recent.capacity },
    };
  }

  channels(): unknown {
    const health = this.options.stream()?.health();
    const pool = poolView(health?.pool);
    return {
      ...pool,
      gaps: { total: health?.gaps.total ?? 0, last: gapView(health?.gaps.last) },
      activity: [...this.activity].reverse(),
    };
  }

  events(filter: EventFilter): unknown {
    return {
      lastSeq: this.recent.lastSeq,
      events: this.recent.query(filter).map((view) => this.labelled(view)),
    };
  }

  async ledger(query: { status?: string[]; ruleId?: string; limit?: number }): Promise<unknown> {
    const reader = this.options.ledger?.();
    const proactive = this.options.proactive?.();
    if (!reader) return { enabled: false, proactive, entries: [] };
    const entries = await reader.list({
      ...(query.status ? { status: query.status as LedgerStatus[] } : {}),
      ...(query.ruleId ? { ruleId: query.ruleId } : {}),
      limit: Math.min(query.limit ?? 50, 500),
    });
    return {
      enabled: true,
      proactive,
      decisions: { ...this.decisionCounts },
      entries: entries.map((entry): LedgerView => ledgerView(entry, this.options)),
    };
  }

  /** The dashboard's whole picture (pushed every second). */
  overview(): Record<string, unknown> {
    const stream = this.options.stream();
    const health = stream?.health();
    const platform = this.options.platform()?.stats();
    const inProgress = this.board.view();
    return {
      now: new Date().toISOString(),
      startedAt: new Date(this.startedAt).toISOString(),
      mode: this.options.mode,
      readiness: this.readiness(),
      totals: health
        ? {
            events: health.pipeline.events,
            eventsTotal: health.pipeline.eventsTotal,
            notifications: health.pipeline.notifications,
            malformed: health.pipeline.malformed,
            duplicatesDropped: health.pipeline.duplicatesDropped,
            gaps: health.gaps.total,
            backfilledEvents: health.gaps.backfilledEvents,
            recovery: health.gaps.recovery
              ? {
                  openGaps: health.gaps.recovery.openGaps,
                  conversationsPending: health.gaps.recovery.conversationsPending,
                  oldestUnrecovered: health.gaps.recovery.oldestUnrecovered,
                  etaSeconds: health.gaps.recovery.etaSeconds,
                }
              : undefined,
          }
        : undefined,
      rates: this.rates.view(),
      inProgress: {
        ...inProgress,
        rows: inProgress.rows.map((row) => ({ ...row, queueName: this.queueName(row.queueId) })),
      },
      channels: poolView(health?.pool),
      source: sourceView(health),
      replica: health?.cluster
        ? {
            replicaId: health.cluster.replicaId,
            members: health.cluster.members,
            owned: health.cluster.owned,
            shards: health.cluster.shards.length,
            handoversIn: health.cluster.counters.handoversIn,
            handoversOut: health.cluster.counters.handoversOut,
            takeovers: health.cluster.counters.takeovers,
            standDowns: health.cluster.counters.standDowns,
          }
        : undefined,
      lastGap: gapView(health?.gaps.last),
      sinks: (health?.sinks ?? []).map((s) => ({
        name: s.name,
        kind: s.kind,
        status: s.status,
        ...(s.failedBecause ? { failedBecause: s.failedBecause } : {}),
        depth: s.depth + s.inFlight,
        pending: s.pending,
        durable: s.durable,
        delivered: s.delivered,
        failed: s.failed,
        dropped: s.dropped,
      })),
      api: platform
        ? {
            requests: platform.requests,
            rateLimited: platform.rateLimited,
            retries: platform.retries,
            failed: platform.failed,
            budgetAvailable: platform.budget.available,
            budgetLimit: platform.budget.limit,
            budgetReserved: platform.budget.reserved,
            pausedForMs: platform.budget.pausedForMs,
            purposes: Object.fromEntries(
              Object.entries(platform.budget.purposes).map(([purpose, p]) => [
                purpose,
                { queued: p.queued, granted: p.granted, waitP99Ms: p.recentWait.p99 },
              ]),
            ),
          }
        : undefined,
      proactive: this.options.proactive?.(),
      engine: this.options.engine?.(),
      decisions: { ...this.decisionCounts },
      faults: this.injectFault !== undefined,
    };
  }

  sseHello(): string {
    const latest = this.recent.query({ limit: 100 }).map((view) => this.labelled(view));
    return (
      sseMessage('overview', this.overview()) +
      sseMessage('events', latest.reverse()) +
      sseMessage('activity', [...this.activity])
    );
  }

  private flushEvents(): void {
    if (this.pendingEvents.length === 0) return;
    const batch = this.pendingEvents.map((view) => this.labelled(view));
    this.pendingEvents = [];
    this.sse.broadcast('events', batch);
  }

  private labelled(view: EventView): EventView & { queueName?: string } {
    const name = this.queueName(view.queueId);
    return name ? { ...view, queueName: name } : view;
  }

  private queueName(queueId: string | undefined): string | undefined {
    return queueId ? this.queueNames.get(queueId.toLowerCase()) : undefined;
  }
}
