/**
 * The channel budget shared by every replica of one OAuth client. The platform keeps at most 20 channels per
 * client and silently evicts one when a 21st is created, so the replicas together must never run more. Each shard
 * owner runs one channel, covered by its shard lease; any channel beyond that (a make-before-break hand-over, a
 * rotation before expiry, a shard being taken over from a live owner) needs one of a few spare permits, which are
 * leases in the coordination store. Shards + spares ≤ 20 is checked at start, so the sum can never exceed it.
 */
import type { Logger } from '../logging.js';
import { sleep } from '../platform/sleep.js';
import type { ChannelAllowance, ChannelClaim } from '../stream/channel-budget.js';
import type { CoordinationKv } from './coordination-kv.js';
import { acquireLease, type Lease, type LeaseTiming, releaseLease, renewLease } from './lease.js';

/** The spare permits of the replica set, as one replica sees and holds them. */
export class SparePermits {
  private readonly held = new Set<Lease>();
  private readonly purposes = new WeakMap<Lease, string>();
  /**
   * A permit lost while its channel still runs (renewals failed past the TTL) is replaced by a free one, so the
   * channel stays counted; its holder still releases the permit it was given: original → current replacement.
   */
  private readonly replacedBy = new Map<Lease, Lease>();
  private readonly originalOf = new Map<Lease, Lease>();

  constructor(
    private readonly kv: CoordinationKv,
    readonly count: number,
    private readonly replicaId: string,
    private readonly timing: LeaseTiming,
    private readonly logger: Logger,
  ) {}

  /** Permits this replica holds now. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Takes a free permit, or undefined when all are held (by anyone). */
  async tryAcquire(purpose: string): Promise<Lease | undefined> {
    for (let index = 0; index < this.count; index++) {
      const lease = await acquireLease(
        this.kv,
        `spare.${index}`,
        { owner: this.replicaId, purpose },
        this.timing,
      );
      if (lease) {
        this.held.add(lease);
        this.purposes.set(lease, purpose);
        return lease;
      }
    }
    return undefined;
  }

  async release(given: Lease): Promise<void> {
    const lease = this.replacedBy.get(given) ?? given;
    this.replacedBy.delete(given);
    this.originalOf.delete(lease);
    this.held.delete(lease);
    await releaseLease(this.kv, lease).catch((error: unknown) =>
      this.logger.warn(
        { err: (error as Error).message, key: lease.key },
        'spare permit release failed; it expires',
      ),
    );
  }

  /** Renews every held permit (called on each renewal round of the coordinator). */
  async renewAll(): Promise<void> {
    for (const lease of [...this.held]) {
      const value = { owner: this.replicaId, purpose: this.purposes.get(lease) };
      const result = await renewLease(this.kv, lease, value).catch(() => 'unreachable');
      // Released while the renewal was on its way: given back, not lost, so nothing replaces it.
      if (!this.held.has(lease)) continue;
      if (result === 'lost') {
        this.held.delete(lease);
        const original = this.originalOf.get(lease) ?? lease;
        this.originalOf.delete(lease);
        const purpose = this.purposes.get(lease) ?? 'replacement';
        const replacement = await this.tryAcquire(purpose).catch(() => undefined);
        if (replacement) {
          this.replacedBy.set(original, replacement);
          this.originalOf.set(replacement, original);
          this.logger.warn(
            { key: lease.key, replacement: replacement.key },
            'spare permit lost (not renewed in time); its channel now counts on another',
          );
        } else {
          this.replacedBy.delete(original);
          this.logger.warn(
            { key: lease.key },
            'spare permit lost (not renewed in time) and none free to replace it: one channel runs uncounted until it is dropped',
          );
        }
      }
    }
  }

  async releaseAll(): Promise<void> {
    for (const lease of [...this.held]) await this.release(lease);
    this.replacedBy.clear();
    this.originalOf.clear();
  }
}

/**
 * The channels one shard may use: its base channel (covered by the shard lease, or by a spare permit while the
 * shard is being taken over) and, for a hand-over or rotation, an extra one on a spare permit.
 */
export class ShardChannelAllowance implements ChannelAllowance {
  /** Claims on channels; the base one is covered by the shard lease, the others each by a spare permit. */
  private readonly claims = new Set<{ permit: Lease | undefined }>();

  constructor(
    private readonly spares: SparePermits,
    private readonly shard: string,
    private readonly pollMs = 500,
  ) {}

  get limit(): number {
    return 1 + this.spares.count;
  }

  get inUse(): number {
    return this.claims.size;
  }

  private get baseInUse(): boolean {
    for (const claim of this.claims) if (!claim.permit) return true;
    return false;
  }

  tryAcquire(): ChannelClaim | undefined {
    if (this.baseInUse) return undefined;
    return this.claim(undefined);
  }

  async acquire(timeoutMs: number): Promise<ChannelClaim | undefined> {
    const base = this.tryAcquire();
    if (base) return base;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const permit = await this.spares.tryAcquire(`shard ${this.shard} hand-over`).catch(() => undefined);
      if (permit) return this.claim(permit);
      if (Date.now() + this.pollMs > deadline) return undefined;
      await sleep(this.pollMs);
    }
  }

  private claim(permit: Lease | undefined): ChannelClaim {
    const claim = { permit };
    this.claims.add(claim);
    return {
      release: () => {
        if (!this.claims.delete(claim)) return;
        if (claim.permit) {
          void this.spares.release(claim.permit);
          return;
        }
        // The base channel went (e.g. replaced by a rotation): a channel on a spare permit becomes the base one,
        // and its permit goes back to the replica set.
        for (const other of this.claims) {
          if (other.permit) {
            const permit = other.permit;
            other.permit = undefined;
            void this.spares.release(permit);
            break;
          }
        }
      },
    };
  }
}
