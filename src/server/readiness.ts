/**
 * Whether the service is ready, and every reason it is not. Ready means nothing is being lost or left behind
 * quietly: the channels are connected, no sink has failed or kept an event waiting past the bound, no gap has stayed
 * unrecovered past the bound, the proactive engine runs, and a replica can still trust every lease it holds.
 * `/readyz` answers 503 with these reasons, and `switchboard_not_ready{condition}` says the same.
 */
import type { StreamHealth } from '../pipeline/conversation-stream.js';
import type { Readiness } from './http-server.js';

/** Each thing that can make the service not ready (a metric label, stable). */
export const READINESS_CONDITIONS = [
  'stopping',
  'starting',
  'coordination_store',
  'channels',
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

/** What readiness is judged from. */
export interface ReadinessInput {
  /** Set while shutting down (or any other reason the caller has). */
  stopping: string | undefined;
  health: StreamHealth | undefined;
  engine: EngineHealth | undefined;
  bounds: ReadinessBounds;
  /** A replica's lease TTL: a lease not confirmed for nearly this long may no longer be acted on. */
  leaseTtlMs: number | undefined;
  now: number;
}

/** A readiness answer, with the conditions that hold (empty when ready). */
export interface ReadinessReport extends Readiness {
  conditions: ReadinessCondition[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Judges readiness; every condition that holds is listed, the reason joins their descriptions. */
export function assessReadiness(input: ReadinessInput): ReadinessReport {
  const { health, bounds, now } = input;
  if (input.stopping) return { ready: false, reason: input.stopping, conditions: ['stopping'] };
  const pool = health?.pool;
  if (!health || !pool) {
    return { ready: false, reason: 'starting: the channels are not set up yet', conditions: ['starting'] };
  }
  const found: Array<{ condition: ReadinessCondition; reason: string }> = [];
  const not = (condition: ReadinessCondition, reason: string) => found.push({ condition, reason });
  const cluster = health.cluster;
  const channels = pool.channels.map((c) => ({ slot: c.slot, state: c.state, topics: c.topics }));
  const extra: Record<string, unknown> = { channels };
  let okReason = 'ok';

  if (cluster && (cluster.storeAgeMs === undefined || cluster.storeAgeMs > 30_000)) {
    not('coordination_store', 'the coordination store (NATS) has not answered for a while');
  }
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
      extra.topics = pool.topics;
      extra.rejectedTopics = pool.rejected.length;
    }
  }

  for (const sink of health.sinks) {
    if (sink.status === 'failed') {
      not('sink_failed', `sink ${sink.name} failed: ${sink.failedBecause ?? 'no reason given'}`);
    }
    if (sink.oldestPendingAgeMs > bounds.maxBacklogAgeMs) {
      not(
        'sink_backlog',
        `sink ${sink.name}: its oldest undelivered event has waited ${seconds(sink.oldestPendingAgeMs)} (bound ${seconds(bounds.maxBacklogAgeMs)})`,
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

  const engine = input.engine;
  if (engine && engine.state !== 'running') {
    const error = engine.lastError ? ` after ${engine.lastError.code}: ${engine.lastError.message}` : '';
    if (engine.state === 'down') {
      const next = engine.nextStartAt
        ? `; started again in ${seconds(Math.max(0, Date.parse(engine.nextStartAt) - now))}`
        : '';
      not('engine_down', `proactive engine down since ${engine.since}${error}${next}`);
    } else if (engine.state === 'starting') {
      not(
        'engine_down',
        engine.restarts > 0
          ? `proactive engine restarting (restart ${engine.restarts}, down since ${engine.lastError?.at ?? engine.since}${error})`
          : 'proactive engine starting (settling sends left in doubt)',
      );
    } else {
      not('engine_down', `proactive engine stopped since ${engine.since}`);
    }
  }

  if (cluster && input.leaseTtlMs !== undefined) {
    // The holder stops trusting a lease this long after its last confirmation (see src/cluster/lease.ts).
    const trustMs = input.leaseTtlMs - Math.max(500, Math.floor(input.leaseTtlMs / 5));
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

  if (found.length === 0) return { ready: true, reason: okReason, conditions: [], ...extra };
  return {
    ready: false,
    reason: found.map((f) => f.reason).join('; '),
    conditions: [...new Set(found.map((f) => f.condition))],
    ...extra,
  };
}
