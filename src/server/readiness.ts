/**
 * Whether the service is ready, and every reason it is not. Ready means nothing is being lost or left behind
 * quietly: the channels are connected, no sink has failed or kept an event waiting past the bound, no gap has stayed
 * unrecovered past the bound, the proactive engine runs, and a replica can still trust every lease it holds. Each
 * part of the service judges its own (the stream its channels, gaps and leases; the sinks theirs; the engine its
 * own), and the service's readiness is theirs composed ({@link composeReadiness}). `/readyz` answers 503 with these
 * reasons, and `switchboard_not_ready{condition}` says the same.
 */
import type { SinkHealth } from '../sinks/types.js';
import type { Readiness } from './http-server.js';
import type { ServedStreamHealth } from './served-stream.js';

/** Each thing that can make the service not ready (a metric label, stable). */
export const READINESS_CONDITIONS = [
  'stopping',
  'starting',
  'coordination_store',
  'channels',
  'source',
  'sink_failed',
  'sink_backlog',
  'gap_unrecovered',
  'engine_down',
  'lease_unconfirmed',
] as const;
export type ReadinessCondition = (typeof READINESS_CONDITIONS)[number];

/** Bounds past which waiting counts as not ready. */
export interface ReadinessBounds {
  /** A sink's oldest undelivered event may wait this long. */
  maxBacklogAgeMs: number;
  /** The oldest moment a gap recovery has not recovered yet may be this old. */
  maxGapAgeMs: number;
}

export const DEFAULT_READINESS_BOUNDS: ReadinessBounds = {
  maxBacklogAgeMs: 5 * 60_000,
  maxGapAgeMs: 15 * 60_000,
};

/** The proactive engine as its supervisor sees it. */
export interface EngineHealth {
  /** `starting`: settling what an earlier run left in doubt, not reading yet; `down`: waiting to be restarted. */
  state: 'starting' | 'running' | 'down' | 'stopped';
  /** When it entered this state. */
  since: string;
  /** Times it was started again after dying. */
  restarts: number;
  /** Why it last died: the error's code and a short message, never a payload. */
  lastError: { code: string; message: string; at: string } | null;
  /** While down: when it is started again. */
  nextStartAt?: string;
}

/** A readiness answer, with the conditions that hold (empty when ready). */
export interface ReadinessReport extends Readiness {
  conditions: ReadinessCondition[];
}

/** One thing that keeps the service from being ready, and why in words. */
export interface ReadinessFinding {
  condition: ReadinessCondition;
  reason: string;
}

/** What one part of the service says of its own readiness. */
export interface ComponentReadiness {
  /** Every condition that holds now (empty: this part is ready). */
  findings: ReadinessFinding[];
  /** The reason given when the whole service is ready, if this part has more to say than `ok`. */
  okReason?: string;
  /** Fields this part adds to the answer (the channels, their topics). */
  details?: Record<string, unknown>;
}

/** How long every receive from the queue may fail (retried with a growing pause, up to 30 s) before it counts. */
const SOURCE_FAILING_BOUND_MS = 60_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * The service's readiness from its parts': while stopping, only that; otherwise every finding of every part, in the
 * parts' order, their reasons joined.
 */
export function composeReadiness(
  parts: readonly ComponentReadiness[],
  options: { stopping?: string | undefined } = {},
): ReadinessReport {
  if (options.stopping) return { ready: false, reason: options.stopping, conditions: ['stopping'] };
  const findings = parts.flatMap((part) => part.findings);
  const details: Record<string, unknown> = Object.assign({}, ...parts.map((part) => part.details ?? {}));
  if (findings.length === 0) {
    const reason = parts.find((part) => part.okReason !== undefined)?.okReason ?? 'ok';
    return { ready: true, reason, conditions: [], ...details };
  }
  return {
    ready: false,
    reason: findings.map((f) => f.reason).join('; '),
    conditions: [...new Set(findings.map((f) => f.condition))],
    ...details,
  };
}

/** The sinks: none failed, and none has kept an event waiting past the bound. */
export function sinkReadiness(sinks: readonly SinkHealth[], bounds: ReadinessBounds): ComponentReadiness {
  const findings: ReadinessFinding[] = [];
  for (const sink of sinks) {
    if (sink.status === 'failed') {
      findings.push({
        condition: 'sink_failed',
        reason: `sink ${sink.name} failed: ${sink.failedBecause ?? 'no reason given'}`,
      });
    }
    if (sink.oldestPendingAgeMs > bounds.maxBacklogAgeMs) {
      findings.push({
        condition: 'sink_backlog',
        reason: `sink ${sink.name}: its oldest undelivered event has waited ${seconds(sink.oldestPendingAgeMs)} (bound ${seconds(bounds.maxBacklogAgeMs)})`,
      });
    }
  }
  return { findings };
}

/** The proactive engine, as its supervisor sees it: ready only while it reads. */
export function engineReadiness(engine: EngineHealth | undefined, now: number): ComponentReadiness {
  if (!engine || engine.state === 'running') return { findings: [] };
  const error = engine.lastError ? ` after ${engine.lastError.code}: ${engine.lastError.message}` : '';
  let reason: string;
  if (engine.state === 'down') {
    const next = engine.nextStartAt
      ? `; started again in ${seconds(Math.max(0, Date.parse(engine.nextStartAt) - now))}`
      : '';
    reason = `proactive engine down since ${engine.since}${error}${next}`;
  } else if (engine.state === 'starting') {
    reason =
      engine.restarts > 0
        ? `proactive engine restarting (restart ${engine.restarts}, down since ${engine.lastError?.at ?? engine.since}${error})`
        : 'proactive engine starting (settling sends left in doubt)';
  } else {
    reason = `proactive engine stopped since ${engine.since}`;
  }
  return { findings: [{ condition: 'engine_down', reason }] };
}

/** What a stream is judged against besides its health. */
export interface StreamReadinessContext {
  bounds: ReadinessBounds;
  /** A replica's lease TTL: a lease not confirmed for nearly this long may no longer be acted on. */
  leaseTtlMs: number | undefined;
  now: number;
}

/**
 * A running stream: its channels connected (when it has a channel pool: a stream fed by another source has none to
 * judge), the EventBridge queue read (when it reads one, alone or beside the channels), no gap unrecovered past the bound, and for a replica the coordination store answering and every lease it
 * holds still trusted. Its sinks are judged apart ({@link sinkReadiness}).
 */
export function streamReadiness(
  health: ServedStreamHealth,
  context: StreamReadinessContext,
): ComponentReadiness {
  const { bounds, now } = context;
  const findings: ReadinessFinding[] = [];
  const not = (condition: ReadinessCondition, reason: string) => findings.push({ condition, reason });
  const cluster = health.cluster;
  const pool = health.pool;
  const details: Record<string, unknown> = {};
  let okReason: string | undefined;

  if (cluster && (cluster.storeAgeMs === undefined || cluster.storeAgeMs > 30_000)) {
    not('coordination_store', 'the coordination store (NATS) has not answered for a while');
  }
  if (pool) {
    details.channels = pool.channels.map((c) => ({ slot: c.slot, state: c.state, topics: c.topics }));
    if (cluster && pool.channels.length === 0) {
      // A replica may rightly own no shard (the others hold them all): it is ready to take one over.
      okReason = 'ok: standing by (owns no shard)';
    } else if (pool.state !== 'running') {
      not('channels', `channel pool is ${pool.state}`);
    } else if (pool.channels.length === 0) {
      not('channels', 'no channel (no topics to subscribe?)');
    } else {
      const down = pool.channels.filter((c) => c.state !== 'connected');
      if (down.length > 0) {
        not(
          'channels',
          `${down.length} of ${pool.channels.length} channel(s) not connected: ${down.map((c) => `slot ${c.slot} ${c.state}`).join(', ')}`,
        );
      } else {
        details.topics = pool.topics;
        details.rejectedTopics = pool.rejected.length;
      }
    }
  }

  const source = health.source;
  if (source?.kind === 'eventbridge') {
    details.source = { kind: pool ? 'both' : 'eventbridge', running: source.running, lagMs: source.lagMs };
    const failingSince =
      typeof source.failingSince === 'string' ? Date.parse(source.failingSince) : Number.NaN;
    if (source.running === false) not('source', 'the EventBridge queue is not being read');
    else if (Number.isFinite(failingSince) && now - failingSince > SOURCE_FAILING_BOUND_MS) {
      const error = typeof source.lastError === 'string' ? `: ${source.lastError}` : '';
      not(
        'source',
        `every receive from the EventBridge queue has failed for ${seconds(now - failingSince)}${error}`,
      );
    }
  }

  const oldest = health.gaps.recovery?.oldestUnrecovered;
  const oldestAt = oldest === undefined ? Number.NaN : Date.parse(oldest);
  if (Number.isFinite(oldestAt) && now - oldestAt > bounds.maxGapAgeMs) {
    not(
      'gap_unrecovered',
      `a gap is not recovered since ${oldest} (${seconds(now - oldestAt)} ago, bound ${seconds(bounds.maxGapAgeMs)})`,
    );
  }

  if (cluster && context.leaseTtlMs !== undefined) {
    // The holder stops trusting a lease this long after its last confirmation (see src/cluster/lease.ts).
    const trustMs = context.leaseTtlMs - Math.max(500, Math.floor(context.leaseTtlMs / 5));
    for (const shard of cluster.shards) {
      if (shard.owner !== cluster.replicaId || shard.leaseAgeMs === undefined) continue;
      if (shard.leaseAgeMs >= trustMs) {
        not(
          'lease_unconfirmed',
          `shard ${shard.shard}: lease not confirmed for ${seconds(shard.leaseAgeMs)}; it may no longer act on it (lost, or the store unreachable)`,
        );
      }
    }
  }

  return { findings, details, ...(okReason ? { okReason } : {}) };
}
