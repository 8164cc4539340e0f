/**
 * Shard ownership across replicas. Every tick a replica renews its membership and its leases, reads who is alive
 * and who holds what, and acts on the difference from the rendezvous placement:
 *
 * - a free shard (no lease: never owned, or its owner died and the lease expired) is taken by the member it is
 *   placed on — by anyone once it has stayed free for a grace period — taking over the previous owner's channel
 *   and resuming from its checkpoint, the gap since then backfilled;
 * - a shard held by a live member but placed elsewhere moves make-before-break, one move at a time in the whole
 *   replica set (the `move` lease): the new owner connects a held stream on a spare channel permit and says
 *   `ready`; the old owner writes its final checkpoint and lets go; the new owner takes the lease, restores the
 *   checkpoint and replays what it received meanwhile;
 * - a lease that could not be renewed (lost, or expired while the process was paused) makes its holder stand
 *   down at once without writing anything: the successor's state stands.
 */
import type { Logger } from '../logging.js';
import type { ChannelInfo } from '../stream/port.js';
import type { SparePermits } from './channel-permits.js';
import { type CoordinationKv, kvSafe } from './coordination-kv.js';
import {
  acquireLease,
  type Lease,
  type LeaseTiming,
  monotonicNow,
  releaseLease,
  renewLease,
} from './lease.js';
import { placeShards } from './rendezvous.js';
import { shardIds } from './shards.js';

export interface CoordinatorTiming {
  /** Time between coordination rounds (a third of the lease TTL by default). */
  tickMs: number;
  /** A move not finished in this time is abandoned (the old owner keeps the shard). */
  handoverTimeoutMs: number;
  /** A free shard placed on another member is taken by anyone after this long. */
  freeShardGraceMs: number;
}

/** What the coordinator needs of a shard's runner (a {@link ShardRunner} in production). */
export interface ShardHandle {
  readonly shard: string;
  readonly state: string;
  /** True once the runner can no longer publish or write for its epoch; it is then stood down. */
  readonly tainted: boolean;
  /** Connects; held runners wait for `activate`, others restore their checkpoint and run. */
  start(lease: Lease | undefined): Promise<void>;
  activate(lease: Lease): Promise<void>;
  stop(options: { checkpoint: boolean; drainMs?: number }): Promise<void>;
  /** The channel serving the shard now, recorded so a successor can take it over. */
  channel(): ChannelInfo | undefined;
}

export interface CoordinatorOptions<R extends ShardHandle = ShardHandle> {
  /** Leases, members, spare permits and the move marker (entries expire a TTL after their last write). */
  kv: CoordinationKv;
  /** Each shard's current channel, kept without expiry so a successor can take it over. */
  channels: CoordinationKv;
  replicaId: string;
  shardCount: number;
  spares: SparePermits;
  lease: LeaseTiming;
  timing: CoordinatorTiming;
  /** Builds the runner of a shard (not started). */
  createRunner(shard: string, options: { hold: boolean; adopt?: ChannelInfo }): R;
  logger: Logger;
}

interface Owned<R> {
  lease: Lease;
  runner: R;
  since: number;
  recordedChannelId: string | undefined;
}

interface Incoming<R> {
  shard: string;
  from: string;
  moveLease: Lease;
  permit: Lease;
  runner: R;
  ready: boolean;
  startedAt: number;
}

interface ShardLeaseValue {
  owner: string;
  epoch?: number;
}

interface MoveValue {
  shard: string;
  from: string;
  to: string;
  phase: 'preparing' | 'ready';
}

/** One shard as this replica last saw it. */
export interface ShardView {
  shard: string;
  owner: string | undefined;
  /** Where the placement wants it. */
  placedOn: string | undefined;
  epoch: number | undefined;
  /** For shards owned here: state of the runner and time since the lease was last confirmed. */
  state?: string;
  leaseAgeMs?: number;
}

export interface CoordinatorHealth {
  replicaId: string;
  members: string[];
  shards: ShardView[];
  owned: number;
  incoming: { shard: string; from: string; ready: boolean } | undefined;
  counters: {
    takeovers: number;
    handoversIn: number;
    handoversOut: number;
    standDowns: number;
    movesAborted: number;
  };
  sparePermitsHeld: number;
  /** Time since the coordination store last answered. */
  storeAgeMs: number | undefined;
}

const MEMBER_PREFIX = 'member.';
const SHARD_PREFIX = 'shard.';
const MOVE_KEY = 'move';

export class ShardCoordinator<R extends ShardHandle = ShardHandle> {
  private readonly owned = new Map<string, Owned<R>>();
  private incoming: Incoming<R> | undefined;
  private readonly firstSeenFree = new Map<string, number>();
  private readonly shards: string[];
  private readonly memberKey: string;
  private members: string[] = [];
  private view = new Map<string, ShardLeaseValue & { revision: number }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private joinedAt: number | undefined;
  private lastStoreAnswer: number | undefined;
  private stopped = false;
  private readonly log: Logger;
  private readonly counters = {
    takeovers: 0,
    handoversIn: 0,
    handoversOut: 0,
    standDowns: 0,
    movesAborted: 0,
  };

  constructor(private readonly options: CoordinatorOptions<R>) {
    this.shards = shardIds(options.shardCount);
    this.memberKey = `${MEMBER_PREFIX}${kvSafe(options.replicaId)}`;
    this.log = options.logger.child({ component: 'coordinator' });
  }

  /** Shards this replica runs now, with their runners. */
  runners(): R[] {
    return [...this.owned.values()].map((owned) => owned.runner);
  }

  /**
   * Stops coordinating without letting anything go, as a crashed process would (tests of what the others do).
   */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Registers, then coordinates on every tick until stopped. */
  start(): void {
    this.joinedAt = monotonicNow();
    void this.runTick();
    this.timer = setInterval(() => void this.runTick(), this.options.timing.tickMs);
    this.timer.unref();
  }

  /** One coordination round now (tests, and the ticks). */
  runTick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.ticking ??= this.tick()
      .catch((error: unknown) =>
        this.log.warn({ err: (error as Error).message }, 'coordination round failed'),
      )
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  /** Hands every shard back (final checkpoints written, leases released so others take over at once). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    if (this.incoming) await this.abortIncoming('stopping');
    await Promise.all(
      [...this.owned.keys()].map((shard) => this.letGo(shard, 'stopping').catch(() => undefined)),
    );
    await this.options.spares.releaseAll();
    await this.options.kv.delete(this.memberKey).catch(() => undefined);
  }

  health(): CoordinatorHealth {
    const now = monotonicNow();
    const placement = placeShards(this.shards, this.members);
    return {
      replicaId: this.options.replicaId,
      members: [...this.members],
      shards: this.shards.map((shard) => {
        const owned = this.owned.get(shard);
        const seen = this.view.get(shard);
        return {
          shard,
          owner: owned ? this.options.replicaId : seen?.owner,
          placedOn: placement.get(shard),
          epoch: owned?.lease.epoch ?? seen?.epoch,
          ...(owned ? { state: owned.runner.state, leaseAgeMs: Math.round(owned.lease.ageMs(now)) } : {}),
        };
      }),
      owned: this.owned.size,
      incoming: this.incoming
        ? { shard: this.incoming.shard, from: this.incoming.from, ready: this.incoming.ready }
        : undefined,
      counters: { ...this.counters },
      sparePermitsHeld: this.options.spares.heldCount,
      storeAgeMs: this.lastStoreAnswer === undefined ? undefined : Math.round(now - this.lastStoreAnswer),
    };
  }

  // ── one round ────────────────────────────────────────────────────────────────────────────────────────

  private async tick(): Promise<void> {
    const { kv, replicaId } = this.options;
    await kv
      .put(this.memberKey, { id: replicaId, shards: [...this.owned.keys()], at: new Date().toISOString() })
      .then(() => {
        this.lastStoreAnswer = monotonicNow();
      })
      .catch((error: unknown) =>
        this.log.warn({ err: (error as Error).message }, 'coordination store unreachable'),
      );
    await this.renewOwned();
    await this.options.spares.renewAll();
    if (this.incoming) {
      const incoming = this.incoming;
      const result = await renewLease(kv, incoming.moveLease, this.moveValue(incoming)).catch(
        () => 'unreachable' as const,
      );
      if (result === 'lost') await this.abortIncoming('move marker lost');
    }
    if (this.stopped) return;

    // What the replica set looks like now.
    const members = new Set((await kv.keys(MEMBER_PREFIX)).map((key) => key.slice(MEMBER_PREFIX.length)));
    members.add(kvSafe(replicaId));
    this.members = [...members].sort();
    const view = new Map<string, ShardLeaseValue & { revision: number }>();
    for (const key of await kv.keys(SHARD_PREFIX)) {
      const record = await kv.get<ShardLeaseValue>(key);
      if (record) view.set(key.slice(SHARD_PREFIX.length), { ...record.value, revision: record.revision });
    }
    this.view = view;
    this.lastStoreAnswer = monotonicNow();
    const move = await kv.get<MoveValue>(MOVE_KEY);
    const me = kvSafe(replicaId);
    const placement = placeShards(this.shards, this.members);

    // The old side of a move: the new owner is connected, so let go.
    if (move && move.value.from === me && move.value.phase === 'ready' && this.owned.has(move.value.shard)) {
      await this.letGo(move.value.shard, `handed over to ${move.value.to}`);
      this.counters.handoversOut++;
      view.delete(move.value.shard);
    }

    // The new side of a move.
    if (this.incoming) await this.progressIncoming(view);

    // Free shards: taken by the member they are placed on, by anyone after the grace period. A replica that
    // just joined waits one round, so replicas starting together see each other before taking anything.
    const now = monotonicNow();
    const settled = this.joinedAt !== undefined && now - this.joinedAt >= this.options.timing.tickMs;
    for (const shard of this.shards) {
      if (view.has(shard) || this.owned.has(shard) || this.incoming?.shard === shard) {
        this.firstSeenFree.delete(shard);
        continue;
      }
      const freeSince = this.firstSeenFree.get(shard) ?? now;
      this.firstSeenFree.set(shard, freeSince);
      const mine = placement.get(shard) === me;
      if (settled && (mine || now - freeSince >= this.options.timing.freeShardGraceMs))
        await this.takeOver(shard);
    }

    // At most one move in the whole set: start one towards this replica if the placement asks for it.
    if (!this.incoming && !move) {
      for (const shard of this.shards) {
        const holder = view.get(shard)?.owner;
        if (holder && holder !== me && placement.get(shard) === me && members.has(holder)) {
          await this.beginMove(shard, holder);
          break;
        }
      }
    }
  }

  /** Renews every owned lease; stands down where it was lost, or where the runner can no longer act. */
  private async renewOwned(): Promise<void> {
    const { kv, channels } = this.options;
    for (const [shard, owned] of [...this.owned]) {
      if (owned.runner.tainted) {
        await this.standDown(shard, 'events of this epoch were refused', true);
        continue;
      }
      const result = await renewLease(kv, owned.lease, this.leaseValue(owned)).catch(
        () => 'unreachable' as const,
      );
      if (result === 'lost') {
        await this.standDown(shard, 'lease lost (renewed too late, or taken over)', false);
        continue;
      }
      if (result === 'unreachable' && owned.lease.ageMs() > this.options.lease.ttlMs) {
        await this.standDown(shard, 'lease expired while the coordination store was unreachable', false);
        continue;
      }
      const channel = owned.runner.channel();
      if (channel && channel.id !== owned.recordedChannelId) {
        await channels
          .put(`${SHARD_PREFIX}${shard}`, channel)
          .then(() => {
            owned.recordedChannelId = channel.id;
          })
          .catch(() => undefined);
      }
    }
  }

  private leaseValue(owned: Owned<R>): ShardLeaseValue {
    return { owner: kvSafe(this.options.replicaId), epoch: owned.lease.epoch };
  }

  private moveValue(incoming: Incoming<R>): MoveValue {
    return {
      shard: incoming.shard,
      from: incoming.from,
      to: kvSafe(this.options.replicaId),
      phase: incoming.ready ? 'ready' : 'preparing',
    };
  }

  // ── taking, moving and giving up shards ──────────────────────────────────────────────────────────────

  /** Takes a free shard: lease, the previous owner's channel (when it still lives), its checkpoint. */
  private async takeOver(shard: string): Promise<void> {
    const { kv, lease: timing } = this.options;
    const me = kvSafe(this.options.replicaId);
    const lease = await acquireLease<ShardLeaseValue>(kv, `${SHARD_PREFIX}${shard}`, { owner: me }, timing);
    if (!lease) return;
    this.counters.takeovers++;
    this.firstSeenFree.delete(shard);
    const adopt = (
      await this.options.channels.get<ChannelInfo>(`${SHARD_PREFIX}${shard}`).catch(() => undefined)
    )?.value;
    const runner = this.options.createRunner(shard, { hold: false, ...(adopt ? { adopt } : {}) });
    this.owned.set(shard, { lease, runner, since: monotonicNow(), recordedChannelId: adopt?.id });
    this.log.info({ shard, epoch: lease.epoch, adopting: adopt !== undefined }, 'shard taken');
    void runner.start(lease).catch(async (error: unknown) => {
      this.log.error({ shard, err: (error as Error).message }, 'shard failed to start; letting it go');
      if (this.owned.get(shard)?.runner === runner) await this.standDown(shard, 'start failed', true);
    });
  }

  /** Starts taking a shard from a live owner: a held stream on a spare permit, connected before it lets go. */
  private async beginMove(shard: string, from: string): Promise<void> {
    const { kv, lease: timing, spares } = this.options;
    const me = kvSafe(this.options.replicaId);
    const moveLease = await acquireLease<MoveValue>(
      kv,
      MOVE_KEY,
      { shard, from, to: me, phase: 'preparing' },
      timing,
    );
    if (!moveLease) return;
    const permit = await spares.tryAcquire(`take shard ${shard}`).catch(() => undefined);
    if (!permit) {
      await releaseLease(kv, moveLease).catch(() => undefined);
      this.log.info({ shard }, 'no spare channel permit for a move; trying later');
      return;
    }
    const runner = this.options.createRunner(shard, { hold: true });
    const incoming: Incoming<R> = {
      shard,
      from,
      moveLease,
      permit,
      runner,
      ready: false,
      startedAt: monotonicNow(),
    };
    this.incoming = incoming;
    this.log.info({ shard, from }, 'moving shard here: connecting');
    runner.start(undefined).then(
      () => {
        incoming.ready = true;
        // Tell the old owner now rather than at the next round.
        if (this.incoming === incoming)
          void renewLease(kv, moveLease, this.moveValue(incoming)).catch(() => undefined);
      },
      async (error: unknown) => {
        this.log.warn({ shard, err: (error as Error).message }, 'move failed to connect');
        if (this.incoming === incoming) await this.abortIncoming('connect failed');
      },
    );
  }

  private async progressIncoming(view: Map<string, ShardLeaseValue>): Promise<void> {
    const incoming = this.incoming!;
    if (monotonicNow() - incoming.startedAt > this.options.timing.handoverTimeoutMs) {
      await this.abortIncoming('timed out');
      return;
    }
    if (!incoming.ready || view.has(incoming.shard)) return;
    const { kv, lease: timing, spares } = this.options;
    const me = kvSafe(this.options.replicaId);
    const lease = await acquireLease<ShardLeaseValue>(
      kv,
      `${SHARD_PREFIX}${incoming.shard}`,
      { owner: me },
      timing,
    );
    if (!lease) return;
    this.incoming = undefined;
    this.owned.set(incoming.shard, {
      lease,
      runner: incoming.runner,
      since: monotonicNow(),
      recordedChannelId: undefined,
    });
    await incoming.runner.activate(lease);
    // The channel is now the shard's own: its spare permit goes back to the replica set.
    await spares.release(incoming.permit);
    await releaseLease(kv, incoming.moveLease).catch(() => undefined);
    this.counters.handoversIn++;
    this.log.info({ shard: incoming.shard, from: incoming.from, epoch: lease.epoch }, 'shard moved here');
  }

  private async abortIncoming(reason: string): Promise<void> {
    const incoming = this.incoming;
    if (!incoming) return;
    this.incoming = undefined;
    this.counters.movesAborted++;
    this.log.warn({ shard: incoming.shard, reason }, 'move abandoned');
    await incoming.runner.stop({ checkpoint: false, drainMs: 0 });
    await this.options.spares.release(incoming.permit);
    await releaseLease(this.options.kv, incoming.moveLease).catch(() => undefined);
  }

  /** Gives a shard up in order: final checkpoint (fenced by the epoch), then the lease. */
  private async letGo(shard: string, reason: string): Promise<void> {
    const owned = this.owned.get(shard);
    if (!owned) return;
    this.owned.delete(shard);
    this.log.info({ shard, reason }, 'letting shard go');
    await owned.runner.stop({ checkpoint: true });
    await releaseLease(this.options.kv, owned.lease).catch(() => undefined);
  }

  /** Stops a shard without writing anything: its lease is (or may be) someone else's now. */
  private async standDown(shard: string, reason: string, release: boolean): Promise<void> {
    const owned = this.owned.get(shard);
    if (!owned) return;
    this.owned.delete(shard);
    this.counters.standDowns++;
    this.log.warn({ shard, epoch: owned.lease.epoch, reason }, 'standing down from shard');
    owned.lease.lost = owned.lease.lost || !release;
    await owned.runner.stop({ checkpoint: false, drainMs: 0 });
    if (release) await releaseLease(this.options.kv, owned.lease).catch(() => undefined);
  }
}
