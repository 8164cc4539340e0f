/**
 * A lease in the coordination store. Its epoch is the revision at which it was created: it stays the same while
 * the holder renews, and a later holder's epoch is always higher, so the epoch fences everything the holder
 * publishes or writes. Validity is judged on the monotonic clock from the moment a renewal was *sent*, minus a
 * safety margin, so a holder that was paused (SIGSTOP, a long GC) sees at once that it may no longer act.
 */
import { performance } from 'node:perf_hooks';
import type { CoordinationKv } from './coordination-kv.js';

/** Milliseconds on a clock that never goes back (and keeps counting while the process is stopped). */
export const monotonicNow = (): number => performance.now();

export class Lease {
  /** Set once a renewal found that someone else holds the key (or it expired). */
  lost = false;

  constructor(
    readonly key: string,
    readonly epoch: number,
    private currentRevision: number,
    private confirmedAt: number,
    private readonly ttlMs: number,
    private readonly safetyMs: number,
  ) {}

  get revision(): number {
    return this.currentRevision;
  }

  /** Time since the store last confirmed the lease. */
  ageMs(now = monotonicNow()): number {
    return now - this.confirmedAt;
  }

  /** Whether the holder may act on the lease now: not lost, and surely not yet expired in the store. */
  isValid(now = monotonicNow()): boolean {
    return !this.lost && now < this.confirmedAt + this.ttlMs - this.safetyMs;
  }

  confirm(revision: number, sentAt: number): void {
    this.currentRevision = revision;
    this.confirmedAt = sentAt;
  }
}

/** Timing of leases: how long one lives unrenewed, and how much sooner the holder stops trusting it. */
export interface LeaseTiming {
  ttlMs: number;
  safetyMs: number;
}

/** Creates the lease if the key is absent; undefined when someone holds it. */
export async function acquireLease<T>(
  kv: CoordinationKv,
  key: string,
  value: T,
  timing: LeaseTiming,
): Promise<Lease | undefined> {
  const sentAt = monotonicNow();
  const revision = await kv.create(key, value);
  if (revision === undefined) return undefined;
  return new Lease(key, revision, revision, sentAt, timing.ttlMs, timing.safetyMs);
}

/**
 * Renews at the last seen revision. `lost` when the key moved on (expired, or taken by another holder); a store
 * that cannot be reached throws, and the lease simply ages until it is no longer valid.
 */
export async function renewLease<T>(kv: CoordinationKv, lease: Lease, value: T): Promise<'renewed' | 'lost'> {
  if (lease.lost) return 'lost';
  const sentAt = monotonicNow();
  const revision = await kv.update(lease.key, value, lease.revision);
  if (revision === undefined) {
    lease.lost = true;
    return 'lost';
  }
  lease.confirm(revision, sentAt);
  return 'renewed';
}

/** Gives the lease up (only if still ours). */
export async function releaseLease(kv: CoordinationKv, lease: Lease): Promise<void> {
  if (lease.lost) return;
  lease.lost = true;
  await kv.delete(lease.key, lease.revision);
}
