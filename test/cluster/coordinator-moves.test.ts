/**
 * Moves between two live members over the in-memory store, on a clock the test moves: the coordinators' rounds,
 * their renewals and the store's expiry all run on it. Runners are stand-ins whose start, activate and stop each
 * test scripts (slow, failing), so what the coordinator does around them can be seen step by step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SparePermits } from '../../src/cluster/channel-permits.js';
import { ShardCoordinator, type ShardHandle } from '../../src/cluster/coordinator.js';
import type { Lease } from '../../src/cluster/lease.js';
import { placeShards } from '../../src/cluster/rendezvous.js';
import { silentLogger } from '../../src/logging.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { ManualClock, MemoryKv } from './memory-kv.js';

const TTL_MS = 3000;
const SAFETY_MS = 500;
const TICK_MS = 100;
/** How far the clock moves between two looks at a condition. */
const STEP_MS = 10;
const SHARDS = ['0', '1'];

type Script = {
  start?: (runner: ScriptedRunner) => Promise<void>;
  activate?: (runner: ScriptedRunner) => Promise<void>;
  stop?: (runner: ScriptedRunner, options: { checkpoint: boolean }) => Promise<void>;
};

class ScriptedRunner implements ShardHandle {
  state = 'starting';
  tainted = false;
  readonly calls: string[] = [];
  stopOptions: { checkpoint: boolean; drainMs?: number } | undefined;
  stopped = false;

  constructor(
    readonly shard: string,
    readonly replica: string,
    readonly hold: boolean,
    private readonly script: Script,
  ) {}

  async start(_lease: Lease | undefined): Promise<void> {
    this.calls.push('start');
    await this.script.start?.(this);
    this.state = this.hold ? 'held' : 'active';
  }

  async activate(_lease: Lease): Promise<void> {
    this.calls.push('activate');
    await this.script.activate?.(this);
    this.state = 'active';
  }

  async stop(options: { checkpoint: boolean; drainMs?: number }): Promise<void> {
    this.calls.push('stop');
    this.stopOptions = options;
    await this.script.stop?.(this, options);
    this.state = 'stopped';
    this.stopped = true;
  }

  channel() {
    return { id: `${this.replica}-${this.shard}`, connectUri: 'ws://127.0.0.1:1/x', expires: undefined };
  }
}

/** A promise the test settles. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Two member ids over which each of the two shards is placed on a different member. */
function membersSplittingTheShards(): { a: string; b: string; moving: string; kept: string } {
  const a = 'replica-a';
  for (let i = 0; i < 100; i++) {
    const b = `replica-b${i}`;
    const placement = placeShards(SHARDS, [a, b]);
    const moving = SHARDS.find((shard) => placement.get(shard) === b);
    const kept = SHARDS.find((shard) => placement.get(shard) === a);
    if (moving && kept) return { a, b, moving, kept };
  }
  throw new Error('no member id splits the shards');
}

class Cluster {
  readonly clock = new ManualClock();
  readonly kv = new MemoryKv({ ttlMs: TTL_MS, now: this.clock.now });
  readonly channels = new MemoryKv({ ttlMs: 0 });
  readonly runners: ScriptedRunner[] = [];
  readonly spares = new Map<string, SparePermits>();
  private readonly members: ShardCoordinator<ScriptedRunner>[] = [];

  /** A started member whose runners follow `script(shard, hold)`. */
  join(id: string, script: (shard: string, hold: boolean) => Script = () => ({})) {
    const lease = { ttlMs: TTL_MS, safetyMs: SAFETY_MS, now: this.clock.now };
    const spares = new SparePermits(this.kv, 1, id, lease, silentLogger());
    this.spares.set(id, spares);
    const coordinator = new ShardCoordinator<ScriptedRunner>({
      kv: this.kv,
      channels: this.channels,
      replicaId: id,
      shardCount: SHARDS.length,
      spares,
      lease,
      timing: { tickMs: TICK_MS, handoverTimeoutMs: 20 * TTL_MS, freeShardGraceMs: 2 * TTL_MS },
      timers: this.clock,
      createRunner: (shard, options) => {
        const runner = new ScriptedRunner(shard, id, options.hold, script(shard, options.hold));
        this.runners.push(runner);
        return runner;
      },
      logger: silentLogger(),
    });
    this.members.push(coordinator);
    coordinator.start();
    return coordinator;
  }

  /** Lets time pass on the clock until `check` holds. */
  async until(what: string, check: () => boolean): Promise<void> {
    await waitForAsync(
      async () => {
        await this.clock.elapse(STEP_MS, STEP_MS);
        return check();
      },
      what,
      { timeoutMs: 10_000, intervalMs: 1 },
    );
  }

  runnersOf(replica: string, shard: string): ScriptedRunner[] {
    return this.runners.filter((runner) => runner.replica === replica && runner.shard === shard);
  }

  async leaseOf(shard: string): Promise<{ owner: string; epoch?: number } | undefined> {
    return (await this.kv.get<{ owner: string; epoch?: number }>(`shard.${shard}`))?.value;
  }

  halt(): void {
    for (const member of this.members) member.halt();
  }
}

const ownerOf = (coordinator: ShardCoordinator<ScriptedRunner>, shard: string) =>
  coordinator.health().shards.find((view) => view.shard === shard);

describe('ShardCoordinator moves (in-memory store, manual clock)', { timeout: 60_000 }, () => {
  it('keeps renewing every other lease while a hand-over takes longer than the lease TTL', async () => {
    const { a: aId, b: bId, moving, kept } = membersSplittingTheShards();
    const cluster = new Cluster();
    const slowStop = deferred();
    const a = cluster.join(aId, (shard) => ({
      // The final checkpoint of the shard moving away takes long (a slow drain, flush, checkpoint write).
      stop: (_runner, options) =>
        shard === moving && options.checkpoint ? slowStop.promise : Promise.resolve(),
    }));
    await cluster.until('a to own both shards', () => a.health().owned === 2);
    const keptEpoch = ownerOf(a, kept)?.epoch;
    const keptRunner = cluster.runnersOf(aId, kept)[0]!;

    const b = cluster.join(bId);
    await cluster.until('a to start handing the shard over', () =>
      cluster.runnersOf(aId, moving).some((runner) => runner.calls.includes('stop')),
    );

    // The hand-over hangs for three lease TTLs.
    await cluster.clock.elapse(3 * TTL_MS, STEP_MS);
    assert.deepEqual(
      await cluster.leaseOf(kept),
      { owner: aId, epoch: keptEpoch },
      "a's other lease is still in the store, renewed at the same epoch",
    );
    const keptView = ownerOf(a, kept);
    assert.ok(
      keptView?.leaseAgeMs !== undefined && keptView.leaseAgeMs < TTL_MS - SAFETY_MS,
      `a still trusts its other lease (confirmed ${keptView?.leaseAgeMs} ms ago)`,
    );
    assert.equal(keptRunner.stopped, false, "the other shard's runner kept running");
    assert.equal(a.health().counters.standDowns, 0, 'a stood down from nothing');
    assert.deepEqual(
      await cluster.leaseOf(moving),
      { owner: aId, epoch: ownerOf(b, moving)?.epoch },
      'the shard being handed over is still held by a while it writes its final checkpoint',
    );

    slowStop.resolve();
    await cluster.until('b to own the moved shard', () => b.health().owned === 1);
    assert.equal((await cluster.leaseOf(moving))?.owner, bId);
    assert.deepEqual(await cluster.leaseOf(kept), { owner: aId, epoch: keptEpoch });
    assert.equal(a.health().counters.handoversOut, 1);
    assert.equal(b.health().counters.handoversIn, 1);
    assert.equal(
      a.health().counters.standDowns + b.health().counters.standDowns,
      0,
      'no stand-down anywhere',
    );
    assert.equal(cluster.spares.get(bId)?.heldCount, 0, "the move's spare permit went back");
    cluster.halt();
  });

  it('rolls back a move whose restore fails: the held runner stops, permit, marker and lease go back', async () => {
    const { a: aId, b: bId, moving, kept } = membersSplittingTheShards();
    const cluster = new Cluster();
    const a = cluster.join(aId);
    await cluster.until('a to own both shards', () => a.health().owned === 2);
    const b = cluster.join(bId, (_shard, hold) => ({
      // Restoring the old owner's checkpoint fails (the checkpoint store is away).
      activate: hold ? () => Promise.reject(new Error('checkpoint store unreachable')) : undefined,
    }));
    await cluster.until('b to try to activate the moved shard', () =>
      cluster.runnersOf(bId, moving).some((runner) => runner.calls.includes('activate')),
    );
    const held = cluster.runnersOf(bId, moving)[0]!;
    await cluster.until('the held runner to be stopped', () => held.stopped);
    assert.deepEqual(held.stopOptions, { checkpoint: false, drainMs: 0 }, 'stopped without a checkpoint');
    assert.equal(b.health().counters.movesAborted, 1, 'counted as an abandoned move');
    assert.equal(cluster.spares.get(bId)?.heldCount, 0, 'the spare permit went back');
    assert.deepEqual(await cluster.kv.keys('spare.'), [], 'no spare permit left in the store');
    assert.equal(await cluster.kv.get('move'), undefined, 'the move marker went back');
    assert.ok(
      !b.runners().includes(held),
      'the held runner is no longer one of b’s shards (it buffers nothing more)',
    );

    // The shard was free again: the member it is placed on takes it over as any free shard.
    await cluster.until('b to take the shard over afresh', () =>
      cluster.runnersOf(bId, moving).some((runner) => !runner.hold && runner.state === 'active'),
    );
    assert.equal((await cluster.leaseOf(moving))?.owner, bId);
    assert.equal((await cluster.leaseOf(kept))?.owner, aId, 'a kept the other shard throughout');
    assert.equal(
      a.health().counters.standDowns + b.health().counters.standDowns,
      0,
      'no stand-down anywhere',
    );
    cluster.halt();
  });

  it('rolls back a move whose held stream cannot connect: the old owner keeps the shard', async () => {
    const { a: aId, b: bId, moving } = membersSplittingTheShards();
    const cluster = new Cluster();
    const a = cluster.join(aId);
    await cluster.until('a to own both shards', () => a.health().owned === 2);
    const aEpoch = ownerOf(a, moving)?.epoch;
    const aRunner = cluster.runnersOf(aId, moving)[0]!;
    const b = cluster.join(bId, (_shard, hold) => ({
      start: hold ? () => Promise.reject(new Error('channel refused')) : undefined,
    }));
    await cluster.until('b to abandon a move', () => b.health().counters.movesAborted >= 1);
    const held = cluster.runnersOf(bId, moving)[0]!;
    await cluster.until('the held runner to be stopped', () => held.stopped);
    await cluster.until('the spare permit to go back', () => cluster.spares.get(bId)?.heldCount === 0);
    assert.equal((await cluster.leaseOf(moving))?.owner, aId, 'a still holds the shard');
    assert.equal(ownerOf(a, moving)?.epoch, aEpoch, 'under the same epoch');
    assert.equal(aRunner.stopped, false, "a's runner was never stopped");
    assert.equal(b.health().owned, 0);
    cluster.halt();
  });
});
