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
  /** Settles once the last store operation on this lease has (see {@link exclusive}); undefined when idle. */
  private queue: Promise<void> | undefined;
  private queued = 0;

  constructor(
    readonly key: string,
    readonly epoch: number,
    private currentRevision: number,
    private confirmedAt: number,
    private readonly ttlMs: number,
    private readonly safetyMs: number,
    private readonly clock: () => number = monotonicNow,
  ) {}

  get revision(): number {
    return this.currentRevision;
  }

  /** Time since the store last confirmed the lease. */
  ageMs(now = this.clock()): number {
    return now - this.confirmedAt;
  }

  /** Whether the holder may act on the lease now: not lost, and surely not yet expired in the store. */
  isValid(now = this.clock()): boolean {
    return !this.lost && now < this.confirmedAt + this.ttlMs - this.safetyMs;
  }

  confirm(revision: number, sentAt: number): void {
    this.currentRevision = revision;
    this.confirmedAt = sentAt;
  }

  /** The time on this lease's clock (renewals note when they were sent). */
  now(): number {
    return this.clock();
  }

  /**
   * Runs a store operation once the previous one on this lease has settled. Renewals and the release run on
   * different timers; overlapping, a release would delete at a revision a renewal in flight is about to replace,
   * and the lease would linger in the store for a whole TTL after it was given up.
   */
  exclusive<T>(operation: () => Promise<T>): Promise<T> {
    // Idle, the operation starts at once: a renewal's sending time is the moment it was asked for.
    const result = this.queue ? this.queue.then(operation) : operation();
    this.queued++;
    this.queue = result.then(
      () => this.settle(),
      () => this.settle(),
    );
    return result;
  }

  private settle(): void {
    this.queued--;
    if (this.queued === 0) this.queue = undefined;
  }
}

/** Timing of leases: how long one lives unrenewed, and how much sooner the holder stops trusting it. */
export interface LeaseTiming {
  ttlMs: number;
  safetyMs: number;
  /** The monotonic clock validity is judged on ({@link monotonicNow} by default; tests pass one they move). */
  now?: () => number;
}

/** Creates the lease if the key is absent; undefined when someone holds it. */
export async function acquireLease<T>(
  kv: CoordinationKv,
  key: string,
  value: T,
  timing: LeaseTiming,
): Promise<Lease | undefined> {
  const clock = timing.now ?? monotonicNow;
  const sentAt = clock();
  const revision = await kv.create(key, value);
  if (revision === undefined) return undefined;
  return new Lease(key, revision, revision, sentAt, timing.ttlMs, timing.safetyMs, clock);
}

/**
 * Renews at the last seen revision. `lost` when the key moved on (expired, or taken by another holder); a store
 * that cannot be reached throws, and the lease simply ages until it is no longer valid.
 */
export function renewLease<T>(kv: CoordinationKv, lease: Lease, value: T): Promise<'renewed' | 'lost'> {
  return lease.exclusive(async () => {
    if (lease.lost) return 'lost';
    const sentAt = lease.now();
    const revision = await kv.update(lease.key, value, lease.revision);
    if (revision === undefined) {
      lease.lost = true;
      return 'lost';
    }
    lease.confirm(revision, sentAt);
    return 'renewed';
  });
}

/** Gives the lease up (only if still ours), after any renewal already under way. */
export function releaseLease(kv: CoordinationKv, lease: Lease): Promise<void> {
  if (lease.lost) return Promise.resolve();
  // Marked at once, so nothing acts on the lease while the delete waits its turn.
  lease.lost = true;
  return lease.exclusive(async () => {
    await kv.delete(lease.key, lease.revision);
  });
}
