/**
 * Shard ownership across replicas. Two loops run on their own timers:
 *
 * - the renewal loop keeps this replica's membership, its shard leases (and the record of each shard's channel),
 *   its spare permits and the move marker alive. It only talks to the store: whatever a round finds (a lease lost,
 *   a runner tainted) is acted on beside it, so neither a slow store call for one lease nor a slow hand-over ever
 *   holds back the others' renewals;
 * - the coordination round reads who is alive and who holds what, and acts on the difference from the
 *   rendezvous placement:
 *   - a free shard (no lease: never owned, or its owner died and the lease expired) is taken by the member it is
 *     placed on — by anyone once it has stayed free for a grace period — taking over the previous owner's channel
 *     and resuming from its checkpoint, the gap since then backfilled;
 *   - a shard held by a live member but placed elsewhere moves make-before-break, one move at a time in the whole
 *     replica set (the `move` lease): the new owner connects a held stream on a spare channel permit and says
 *     `ready`; the old owner writes its final checkpoint and lets go; the new owner takes the lease, restores the
 *     checkpoint and replays what it received meanwhile. A move that fails on the way (the held stream cannot
 *     connect, the restore fails, it takes too long) is rolled back: the held stream and what it buffered are
 *     dropped, the permit, the marker and any shard lease taken are given back;
 * - a lease that could not be renewed (lost, or expired while the process was paused) makes its holder stand down
 *   at once without writing anything: the successor's state stands.
 *
 * Each shard this replica has anything to do with is in one phase (see {@link ShardPhase}); every change of phase
 * is checked against the transitions allowed, so no path can, say, activate a shard that was already given back.
 */
import type { Logger } from '../logging.js';
import type { ChannelInfo } from '../stream/port.js';
import type { Timers } from '../timers.js';
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
  /**
   * Time between renewals of membership, leases, spare permits and the move marker (`tickMs` by default). They run
   * on their own timer, never behind a coordination round.
   */
  renewEveryMs?: number;
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
  /**
   * The clock the loops are timed on and leases are judged on (when `lease.now` is not given): the monotonic clock
   * with unref'd timers by default; tests pass one they move by hand.
   */
  timers?: Timers;
  /** Builds the runner of a shard (not started). */
  createRunner(shard: string, options: { hold: boolean; adopt?: ChannelInfo }): R;
  logger: Logger;
}

/**
 * Where a shard stands on this replica:
 *
 * ```
 * take-over:  starting ──► owned ──► outgoing ──► released     (handed over, or this replica stops)
 * move in:    incoming ──► activating ──► owned
 * ```
 *
 * and from `starting`, `incoming`, `activating` or `owned` straight to `released` when it fails or is stood down.
 * A released shard is forgotten.
 */
export type ShardPhase = 'incoming' | 'activating' | 'starting' | 'owned' | 'outgoing' | 'released';

const TRANSITIONS: Record<ShardPhase, readonly ShardPhase[]> = {
  // Held on a spare permit, waiting for the old owner to let go.
  incoming: ['activating', 'released'],
  // The lease is ours: restoring the checkpoint and replaying what was held.
  activating: ['owned', 'released'],
  // Taken over under our lease: restoring and connecting.
  starting: ['owned', 'outgoing', 'released'],
  owned: ['outgoing', 'released'],
  // Final checkpoint, then the lease goes back; renewed until then so the checkpoint is still ours to write.
  outgoing: ['released'],
  released: [],
};

/** Phases in which this replica runs the shard under its own lease (what it reports as owned). */
const RUNNING: ReadonlySet<ShardPhase> = new Set(['starting', 'activating', 'owned']);

interface MoveIn {
  from: string;
  /** The `move` marker, one in the whole replica set. */
  marker: Lease;
  /** Covers the held stream's channel until the shard lease does. */
  permit: Lease;
  ready: boolean;
  startedAt: number;
}

interface ShardSlot<R> {
  readonly shard: string;
  phase: ShardPhase;
  readonly runner: R;
  /** The shard lease; absent while a move waits for the old owner to let go. */
  lease: Lease | undefined;
  /** While moving in from a live owner. */
  move: MoveIn | undefined;
  recordedChannelId: string | undefined;
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

/** The clock coordination runs on by default: monotonic, its timers unref'd (coordinating keeps no process alive). */
export const coordinationTimers: Timers = {
  now: monotonicNow,
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const MEMBER_PREFIX = 'member.';
const SHARD_PREFIX = 'shard.';
const MOVE_KEY = 'move';

export class ShardCoordinator<R extends ShardHandle = ShardHandle> {
  private readonly slots = new Map<string, ShardSlot<R>>();
  private readonly firstSeenFree = new Map<string, number>();
  private readonly shards: string[];
  private readonly memberKey: string;
  private readonly timers: Timers;
  private readonly leaseTiming: LeaseTiming;
  private members: string[] = [];
  private view = new Map<string, ShardLeaseValue & { revision: number }>();
  private stopTicks: (() => void) | undefined;
  private stopRenewals: (() => void) | undefined;
  private ticking: Promise<void> | undefined;
  private renewing: Promise<void> | undefined;
  /** Starts, stand-downs and roll-backs running beside the loops. */
  private readonly inFlight = new Set<Promise<void>>();
  private joinedAt: number | undefined;
  private lastStoreAnswer: number | undefined;
  /** Crashed (tests): nothing runs any more. */
  private halted = false;
  /** Handing everything back: no new round starts, renewals go on until the leases are released. */
  private stopping = false;
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
    const timers = options.timers ?? coordinationTimers;
    this.timers = timers;
    this.leaseTiming = { ...options.lease, now: options.lease.now ?? (() => timers.now()) };
  }

  /** Shards this replica runs now, with their runners. */
  runners(): R[] {
    return this.running().map((slot) => slot.runner);
  }

  /**
   * Stops coordinating without letting anything go, as a crashed process would (tests of what the others do).
   */
  halt(): void {
    this.halted = true;
    this.stopTicks?.();
    this.stopRenewals?.();
  }

  /** Registers, then renews and coordinates, each on its own timer, until stopped. */
  start(): void {
    this.joinedAt = this.timers.now();
    const { tickMs, renewEveryMs = tickMs } = this.options.timing;
    void this.runRenewal();
    void this.runTick();
    this.stopRenewals = every(this.timers, renewEveryMs, () => void this.runRenewal());
    this.stopTicks = every(this.timers, tickMs, () => void this.runTick());
  }

  /** One coordination round now (tests, and the round timer); joins the round under way if there is one. */
  runTick(): Promise<void> {
    if (this.halted || this.stopping) return Promise.resolve();
    this.ticking ??= this.tick()
      .catch((error: unknown) =>
        this.log.warn({ err: (error as Error).message }, 'coordination round failed'),
      )
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  /** One renewal round now (tests, and the renewal timer); joins the round under way if there is one. */
  runRenewal(): Promise<void> {
    if (this.halted) return Promise.resolve();
    this.renewing ??= this.renew()
      .catch((error: unknown) => this.log.warn({ err: (error as Error).message }, 'renewal round failed'))
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  /** Resolves once no round, start, stand-down or roll-back is under way (tests). */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [this.ticking, this.renewing, ...this.inFlight].filter((p) => p !== undefined);
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  /** Hands every shard back (final checkpoints written, leases released so others take over at once). */
  async stop(): Promise<void> {
    if (this.stopping || this.halted) return;
    this.stopping = true;
    this.stopTicks?.();
    await this.ticking;
    // Renewals go on meanwhile: a final checkpoint is only written under a lease still surely ours.
    await Promise.all(
      [...this.slots.values()].map((slot) => {
        const done = (error: unknown) =>
          this.log.error({ shard: slot.shard, err: (error as Error).message }, 'giving a shard back failed');
        if (slot.phase === 'incoming') return this.rollBackMove(slot, 'stopping').catch(done);
        if (slot.phase === 'owned' || slot.phase === 'starting')
          return this.letGo(slot, 'stopping').catch(done);
        return undefined;
      }),
    );
    this.halt();
    await this.renewing;
    await this.options.spares.releaseAll();
    await this.options.kv.delete(this.memberKey).catch(() => undefined);
  }

  health(): CoordinatorHealth {
    const now = this.timers.now();
    const placement = placeShards(this.shards, this.members);
    const incoming = this.incoming();
    return {
      replicaId: this.options.replicaId,
      members: [...this.members],
      shards: this.shards.map((shard) => {
        const slot = this.slots.get(shard);
        const runs = slot !== undefined && RUNNING.has(slot.phase) && slot.lease !== undefined;
        const seen = this.view.get(shard);
        return {
          shard,
          owner: runs ? this.options.replicaId : seen?.owner,
          placedOn: placement.get(shard),
          epoch: runs ? slot.lease?.epoch : seen?.epoch,
          ...(runs ? { state: slot.runner.state, leaseAgeMs: Math.round(slot.lease!.ageMs(now)) } : {}),
        };
      }),
      owned: this.running().length,
      incoming:
        incoming?.move !== undefined
          ? { shard: incoming.shard, from: incoming.move.from, ready: incoming.move.ready }
          : undefined,
      counters: { ...this.counters },
      sparePermitsHeld: this.options.spares.heldCount,
      storeAgeMs: this.lastStoreAnswer === undefined ? undefined : Math.round(now - this.lastStoreAnswer),
    };
  }

  // ── the renewal loop ─────────────────────────────────────────────────────────────────────────────────

  /** Every renewal at once: one slow answer from the store delays none of the others. */
  private async renew(): Promise<void> {
    await Promise.all([
      this.renewMembership(),
      this.options.spares.renewAll(),
      ...[...this.slots.values()].map((slot) => this.renewSlot(slot)),
    ]);
  }

  private async renewMembership(): Promise<void> {
    const record = {
      id: this.options.replicaId,
      shards: this.running().map((slot) => slot.shard),
      at: new Date().toISOString(),
    };
    await this.options.kv
      .put(this.memberKey, record)
      .then(() => {
        this.lastStoreAnswer = this.timers.now();
      })
      .catch((error: unknown) =>
        this.log.warn({ err: (error as Error).message }, 'coordination store unreachable'),
      );
  }

  /**
   * Renews what one shard holds: its lease and, while moving in, the move marker. A lost lease or a tainted runner
   * starts a stand-down beside the loop (stopping a runner may take a while), as does a lost marker before the
   * shard lease was taken.
   */
  private async renewSlot(slot: ShardSlot<R>): Promise<void> {
    const move = slot.move;
    const renewingMarker =
      move && (slot.phase === 'incoming' || slot.phase === 'activating')
        ? this.renewMarker(slot, move)
        : undefined;
    await Promise.all([renewingMarker, this.renewShardLease(slot)]);
  }

  private async renewShardLease(slot: ShardSlot<R>): Promise<void> {
    const lease = slot.lease;
    if (!lease || !(RUNNING.has(slot.phase) || slot.phase === 'outgoing')) return;
    if (slot.phase !== 'outgoing' && slot.runner.tainted) {
      this.beside(this.standDown(slot, 'events of this epoch were refused', true));
      return;
    }
    const result = await renewLease(this.options.kv, lease, this.leaseValue(lease)).catch(
      () => 'unreachable' as const,
    );
    // Given back (or stood down) while the renewal was on its way: nothing more to do for it.
    if (!RUNNING.has(slot.phase)) return;
    if (result === 'lost') {
      this.beside(this.standDown(slot, 'lease lost (renewed too late, or taken over)', false));
    } else if (result === 'unreachable' && lease.ageMs() > this.options.lease.ttlMs) {
      this.beside(this.standDown(slot, 'lease expired while the coordination store was unreachable', false));
    } else if (result === 'renewed') {
      // Only a confirmed owner records the shard's channel: a paused one must not overwrite its successor's.
      await this.recordChannel(slot);
    }
  }

  private async renewMarker(slot: ShardSlot<R>, move: MoveIn): Promise<void> {
    const result = await renewLease(this.options.kv, move.marker, this.moveValue(slot, move)).catch(
      () => 'unreachable' as const,
    );
    // Once the shard lease is ours the marker has done its work; before, the move cannot go on without it.
    if (result === 'lost' && slot.phase === 'incoming')
      this.beside(this.rollBackMove(slot, 'move marker lost'));
  }

  private leaseValue(lease: Lease): ShardLeaseValue {
    return { owner: kvSafe(this.options.replicaId), epoch: lease.epoch };
  }

  private moveValue(slot: ShardSlot<R>, move: MoveIn): MoveValue {
    return {
      shard: slot.shard,
      from: move.from,
      to: kvSafe(this.options.replicaId),
      phase: move.ready ? 'ready' : 'preparing',
    };
  }

  // ── one coordination round ───────────────────────────────────────────────────────────────────────────

  private async tick(): Promise<void> {
    const { kv, replicaId } = this.options;
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
    this.lastStoreAnswer = this.timers.now();
    const move = await kv.get<MoveValue>(MOVE_KEY);
    const me = kvSafe(replicaId);
    const placement = placeShards(this.shards, this.members);

    // The old side of a move: the new owner is connected, so let go.
    const leaving =
      move?.value.from === me && move.value.phase === 'ready' && this.slots.get(move.value.shard);
    if (leaving && leaving.phase === 'owned') {
      await this.letGo(leaving, `handed over to ${move.value.to}`);
      this.counters.handoversOut++;
      view.delete(leaving.shard);
    }

    // The new side of a move.
    const incoming = this.incoming();
    if (incoming?.phase === 'incoming') await this.progressIncoming(incoming, view);

    // Free shards: taken by the member they are placed on, by anyone after the grace period. A replica that
    // just joined waits one round, so replicas starting together see each other before taking anything.
    const now = this.timers.now();
    const settled = this.joinedAt !== undefined && now - this.joinedAt >= this.options.timing.tickMs;
    for (const shard of this.shards) {
      if (view.has(shard) || this.slots.has(shard)) {
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
    if (!this.incoming() && !move) {
      for (const shard of this.shards) {
        const holder = view.get(shard)?.owner;
        if (holder && holder !== me && placement.get(shard) === me && members.has(holder)) {
          await this.beginMove(shard, holder);
          break;
        }
      }
    }
  }

  /** Records the shard's channel when it changed, so a successor can take it over. */
  private async recordChannel(slot: ShardSlot<R>): Promise<void> {
    const channel = slot.runner.channel();
    if (!channel || channel.id === slot.recordedChannelId) return;
    await this.options.channels
      .put(`${SHARD_PREFIX}${slot.shard}`, channel)
      .then(() => {
        slot.recordedChannelId = channel.id;
      })
      .catch(() => undefined);
  }

  // ── taking, moving and giving up shards ──────────────────────────────────────────────────────────────

  /** Takes a free shard: lease, the previous owner's channel (when it still lives), its checkpoint. */
  private async takeOver(shard: string): Promise<void> {
    const { kv } = this.options;
    const me = kvSafe(this.options.replicaId);
    const lease = await acquireLease<ShardLeaseValue>(
      kv,
      `${SHARD_PREFIX}${shard}`,
      { owner: me },
      this.leaseTiming,
    );
    if (!lease) return;
    this.counters.takeovers++;
    this.firstSeenFree.delete(shard);
    const adopt = (
      await this.options.channels.get<ChannelInfo>(`${SHARD_PREFIX}${shard}`).catch(() => undefined)
    )?.value;
    const runner = this.options.createRunner(shard, { hold: false, ...(adopt ? { adopt } : {}) });
    const slot: ShardSlot<R> = {
      shard,
      phase: 'starting',
      runner,
      lease,
      move: undefined,
      recordedChannelId: adopt?.id,
    };
    this.slots.set(shard, slot);
    this.log.info({ shard, epoch: lease.epoch, adopting: adopt !== undefined }, 'shard taken');
    this.beside(this.startTakenOver(slot, lease));
  }

  private async startTakenOver(slot: ShardSlot<R>, lease: Lease): Promise<void> {
    try {
      await slot.runner.start(lease);
    } catch (error) {
      this.log.error(
        { shard: slot.shard, err: (error as Error).message },
        'shard failed to start; letting it go',
      );
      await this.standDown(slot, 'start failed', true);
      return;
    }
    if (slot.phase === 'starting') this.moveTo(slot, 'owned');
  }

  /** Starts taking a shard from a live owner: a held stream on a spare permit, connected before it lets go. */
  private async beginMove(shard: string, from: string): Promise<void> {
    const { kv, spares } = this.options;
    const me = kvSafe(this.options.replicaId);
    const marker = await acquireLease<MoveValue>(
      kv,
      MOVE_KEY,
      { shard, from, to: me, phase: 'preparing' },
      this.leaseTiming,
    );
    if (!marker) return;
    const permit = await spares.tryAcquire(`take shard ${shard}`).catch(() => undefined);
    if (!permit) {
      await releaseLease(kv, marker).catch(() => undefined);
      this.log.info({ shard }, 'no spare channel permit for a move; trying later');
      return;
    }
    const slot: ShardSlot<R> = {
      shard,
      phase: 'incoming',
      runner: this.options.createRunner(shard, { hold: true }),
      lease: undefined,
      move: { from, marker, permit, ready: false, startedAt: this.timers.now() },
      recordedChannelId: undefined,
    };
    this.slots.set(shard, slot);
    this.log.info({ shard, from }, 'moving shard here: connecting');
    this.beside(this.connectHeld(slot));
  }

  private async connectHeld(slot: ShardSlot<R>): Promise<void> {
    try {
      await slot.runner.start(undefined);
    } catch (error) {
      this.log.warn({ shard: slot.shard, err: (error as Error).message }, 'move failed to connect');
      await this.rollBackMove(slot, 'connect failed');
      return;
    }
    const move = slot.move;
    if (slot.phase !== 'incoming' || !move) return;
    move.ready = true;
    // Tell the old owner now rather than at the next renewal.
    await this.renewMarker(slot, move);
  }

  /** The new owner's side: once the old owner let go, take the lease, restore and replay. */
  private async progressIncoming(slot: ShardSlot<R>, view: Map<string, ShardLeaseValue>): Promise<void> {
    const move = slot.move!;
    if (this.timers.now() - move.startedAt > this.options.timing.handoverTimeoutMs) {
      await this.rollBackMove(slot, 'timed out');
      return;
    }
    if (!move.ready || view.has(slot.shard)) return;
    const me = kvSafe(this.options.replicaId);
    const lease = await acquireLease<ShardLeaseValue>(
      this.options.kv,
      `${SHARD_PREFIX}${slot.shard}`,
      { owner: me },
      this.leaseTiming,
    );
    if (!lease) return;
    slot.lease = lease;
    // Rolled back while the lease was being taken (the marker was lost): give the lease back too.
    if (slot.phase !== 'incoming') {
      await releaseLease(this.options.kv, lease).catch(() => undefined);
      return;
    }
    this.moveTo(slot, 'activating');
    try {
      await slot.runner.activate(lease);
    } catch (error) {
      this.log.error({ shard: slot.shard, err: (error as Error).message }, 'shard failed to activate');
      await this.rollBackMove(slot, 'restore failed');
      return;
    }
    // Stood down while activating (the lease was lost): that released everything.
    if (!this.isIn(slot, 'activating')) return;
    this.moveTo(slot, 'owned');
    // The channel is now the shard's own: its spare permit goes back to the replica set, and the move is over.
    await this.endMove(slot);
    this.counters.handoversIn++;
    this.log.info({ shard: slot.shard, from: move.from, epoch: lease.epoch }, 'shard moved here');
  }

  /**
   * Undoes a move that cannot finish: the held runner stops (what it buffered goes with it), then the spare
   * permit, the marker and the shard lease, if it was taken, are given back. Before the old owner let go, it keeps
   * the shard; after, the shard is free and taken over as any free shard.
   */
  private async rollBackMove(slot: ShardSlot<R>, reason: string): Promise<void> {
    if (slot.phase !== 'incoming' && slot.phase !== 'activating') return;
    const oldOwnerKeepsIt = slot.phase === 'incoming';
    this.moveTo(slot, 'released');
    this.counters.movesAborted++;
    this.log.warn(
      { shard: slot.shard, from: slot.move?.from, reason },
      oldOwnerKeepsIt ? 'move abandoned; the old owner keeps the shard' : 'move abandoned; the shard is free',
    );
    await this.release(slot, { checkpoint: false, drainMs: 0, releaseLease: true });
  }

  /** Gives a shard up in order: final checkpoint (fenced by the epoch), then the lease. */
  private async letGo(slot: ShardSlot<R>, reason: string): Promise<void> {
    this.moveTo(slot, 'outgoing');
    this.log.info({ shard: slot.shard, reason }, 'letting shard go');
    await this.release(slot, { checkpoint: true, releaseLease: true });
    this.moveTo(slot, 'released');
  }

  /** Stops a shard without writing anything: its lease is (or may be) someone else's now. */
  private async standDown(slot: ShardSlot<R>, reason: string, releaseLease: boolean): Promise<void> {
    if (!RUNNING.has(slot.phase)) return;
    this.moveTo(slot, 'released');
    this.counters.standDowns++;
    this.log.warn({ shard: slot.shard, epoch: slot.lease?.epoch, reason }, 'standing down from shard');
    if (slot.lease && !releaseLease) slot.lease.lost = true;
    await this.release(slot, { checkpoint: false, drainMs: 0, releaseLease });
  }

  /**
   * Stops the runner, then gives back what the shard holds: its lease (when asked), and a move's permit and
   * marker. Each step is tried whatever happened to the one before, so nothing is held forever.
   */
  private async release(
    slot: ShardSlot<R>,
    options: { checkpoint: boolean; drainMs?: number; releaseLease: boolean },
  ): Promise<void> {
    const stopOptions = {
      checkpoint: options.checkpoint,
      ...(options.drainMs === undefined ? {} : { drainMs: options.drainMs }),
    };
    await slot.runner
      .stop(stopOptions)
      .catch((error: unknown) =>
        this.log.error({ shard: slot.shard, err: (error as Error).message }, 'shard runner failed to stop'),
      );
    if (options.releaseLease && slot.lease)
      await releaseLease(this.options.kv, slot.lease).catch(() => undefined);
    await this.endMove(slot);
  }

  /** Gives back a move's spare permit and marker. */
  private async endMove(slot: ShardSlot<R>): Promise<void> {
    const move = slot.move;
    if (!move) return;
    slot.move = undefined;
    await this.options.spares.release(move.permit);
    await releaseLease(this.options.kv, move.marker).catch(() => undefined);
  }

  // ── phases ───────────────────────────────────────────────────────────────────────────────────────────

  private moveTo(slot: ShardSlot<R>, next: ShardPhase): void {
    if (!TRANSITIONS[slot.phase].includes(next))
      throw new Error(`shard ${slot.shard}: no transition from ${slot.phase} to ${next}`);
    slot.phase = next;
    if (next === 'released' && this.slots.get(slot.shard) === slot) this.slots.delete(slot.shard);
  }

  /** The slot's phase now (read afresh: it may have changed while this code awaited). */
  private isIn(slot: ShardSlot<R>, phase: ShardPhase): boolean {
    return slot.phase === phase;
  }

  private running(): ShardSlot<R>[] {
    return [...this.slots.values()].filter((slot) => RUNNING.has(slot.phase));
  }

  /** The move towards this replica, if one is under way. */
  private incoming(): ShardSlot<R> | undefined {
    return [...this.slots.values()].find((slot) => slot.move !== undefined);
  }

  /** Runs work beside the loops, so it holds back neither; failures are logged. */
  private beside(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.log.error({ err: (error as Error).message }, 'shard transition failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

/** Calls `fn` every `periodMs` on the clock port until the returned function is called. */
function every(timers: Timers, periodMs: number, fn: () => void): () => void {
  let live = true;
  let handle: unknown;
  const arm = () => {
    handle = timers.setTimeout(() => {
      if (!live) return;
      arm();
      fn();
    }, periodMs);
  };
  arm();
  return () => {
    live = false;
    timers.clearTimeout(handle);
  };
}
