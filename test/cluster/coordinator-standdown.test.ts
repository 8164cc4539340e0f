/**
 * Stand-downs of the shard coordinator over the in-memory store, every round run by hand (the coordinators' timers
 * never fire), so that "paused" simply means "not running its rounds".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SparePermits } from '../../src/cluster/channel-permits.js';
import { ShardCoordinator, type ShardHandle } from '../../src/cluster/coordinator.js';
import type { Lease } from '../../src/cluster/lease.js';
import { placeShards } from '../../src/cluster/rendezvous.js';
import { silentLogger } from '../../src/logging.js';
import type { Timers } from '../../src/timers.js';
import { ManualClock, MemoryKv } from './memory-kv.js';

const TICK_MS = 20;

/** Calls made on every runner, in order, across members. */
type Call = { replica: string; shard: string; call: string; options?: unknown; epoch?: number };

class StandInRunner implements ShardHandle {
  state = 'starting';
  tainted = false;

  constructor(
    readonly shard: string,
    readonly replica: string,
    readonly hold: boolean,
    private readonly log: Call[],
  ) {}

  async start(lease: Lease | undefined): Promise<void> {
    this.log.push({
      replica: this.replica,
      shard: this.shard,
      call: 'start',
      ...(lease ? { epoch: lease.epoch } : {}),
    });
    this.state = this.hold ? 'held' : 'active';
  }

  async activate(lease: Lease): Promise<void> {
    this.log.push({ replica: this.replica, shard: this.shard, call: 'activate', epoch: lease.epoch });
    this.state = 'active';
  }

  async stop(options: { checkpoint: boolean; drainMs?: number }): Promise<void> {
    this.log.push({ replica: this.replica, shard: this.shard, call: 'stop', options });
    this.state = 'stopped';
  }

  channel() {
    return { id: `${this.replica}-${this.shard}`, connectUri: 'ws://127.0.0.1:1/x', expires: undefined };
  }
}

interface Member {
  coordinator: ShardCoordinator<StandInRunner>;
  /** One renewal and one coordination round, and what they started, waited for. */
  tick(): Promise<void>;
}

/** The clock's time, with timers that never fire: the test runs every round itself. */
function handCranked(clock: ManualClock): Timers {
  return { now: clock.now, setTimeout: () => undefined, clearTimeout: () => undefined };
}

/** A started member past its first round's settling, ready to take shards on its next tick. */
async function member(
  id: string,
  stores: { kv: MemoryKv; channels: MemoryKv },
  clock: ManualClock,
  shardCount: number,
  calls: Call[],
  grace = 60_000,
): Promise<Member> {
  const lease = { ttlMs: stores.kv.ttlMs, safetyMs: 100, now: clock.now };
  const coordinator = new ShardCoordinator<StandInRunner>({
    kv: stores.kv,
    channels: stores.channels,
    replicaId: id,
    shardCount,
    spares: new SparePermits(stores.kv, 0, id, lease, silentLogger()),
    lease,
    timing: { tickMs: TICK_MS, handoverTimeoutMs: 10_000, freeShardGraceMs: grace },
    timers: handCranked(clock),
    createRunner: (shard, options) => new StandInRunner(shard, id, options.hold, calls),
    logger: silentLogger(),
  });
  coordinator.start(); // registers and runs a first round; it takes nothing before it has seen one round
  await coordinator.settled();
  clock.advance(TICK_MS);
  return {
    coordinator,
    tick: async () => {
      await coordinator.runRenewal();
      await coordinator.runTick();
      await coordinator.settled();
    },
  };
}

const shardWrites = (kv: MemoryKv, from: number) =>
  kv.writes.slice(from).filter((w) => w.key.startsWith('shard.'));

describe('ShardCoordinator stand-downs (in-memory store, manual rounds)', { timeout: 10_000 }, () => {
  it('a member whose leases were taken while it was paused stands down without writing once it ticks again', async () => {
    const clock = new ManualClock();
    const stores = {
      kv: new MemoryKv({ ttlMs: 1000, now: clock.now }),
      channels: new MemoryKv({ ttlMs: 0 }),
    };
    const calls: Call[] = [];
    const a = await member('replica-a', stores, clock, 2, calls);
    await a.tick();
    assert.equal(a.coordinator.health().owned, 2, 'a, alone, owns both shards');
    const aEpochs = a.coordinator.health().shards.map((s) => s.epoch!);

    // a pauses (no rounds) past the TTL: its member entry and its leases vanish, and b takes the shards.
    clock.advance(1500);
    const b = await member('replica-b', stores, clock, 2, calls);
    await b.tick();
    assert.equal(b.coordinator.health().owned, 2, 'b took both shards of the silent member');
    const bLeases = await Promise.all(
      ['shard.0', 'shard.1'].map((key) => stores.kv.get<{ owner: string }>(key)),
    );
    assert.deepEqual(
      bLeases.map((r) => r?.value.owner),
      ['replica-b', 'replica-b'],
    );
    b.coordinator.health().shards.forEach((s, i) => {
      assert.ok(s.epoch! > aEpochs[i]!, `b's epoch ${s.epoch} above a's ${aEpochs[i]} for shard ${s.shard}`);
    });

    // a resumes.
    const kvMark = stores.kv.writes.length;
    const channelMark = stores.channels.writes.length;
    const callMark = calls.length;
    await a.tick();
    const aStops = calls.slice(callMark).filter((c) => c.replica === 'replica-a');
    assert.deepEqual(
      aStops.map((c) => [c.shard, c.call, c.options]).sort(),
      [
        ['0', 'stop', { checkpoint: false, drainMs: 0 }],
        ['1', 'stop', { checkpoint: false, drainMs: 0 }],
      ],
      'each of its runners stopped without a checkpoint',
    );
    assert.equal(a.coordinator.health().owned, 0, 'a owns nothing');
    assert.equal(a.coordinator.health().counters.standDowns, 2);
    assert.deepEqual(shardWrites(stores.kv, kvMark), [], 'a neither renewed nor released a shard lease');
    assert.deepEqual(stores.channels.writes.slice(channelMark), [], 'a recorded no channel');
    const after = await Promise.all(
      ['shard.0', 'shard.1'].map((key) => stores.kv.get<{ owner: string }>(key)),
    );
    assert.deepEqual(
      after.map((r) => [r?.value.owner, r?.revision]),
      bLeases.map((r) => [r?.value.owner, r?.revision]),
      "b's leases are untouched",
    );
    assert.ok(!calls.some((c) => c.replica === 'replica-b' && c.call === 'stop'), "b's runners kept running");
  });

  it('a tainted runner is stood down and its lease released, so the member it is placed on takes it at once', async () => {
    const clock = new ManualClock();
    // A member the single shard is placed on once it joins a.
    const candidates = Array.from({ length: 20 }, (_, i) => `replica-b${i}`);
    const bId = candidates.find((id) => placeShards(['0'], ['replica-a', id]).get('0') === id);
    assert.ok(bId, 'a member id the shard is placed on');
    const stores = {
      kv: new MemoryKv({ ttlMs: 30_000, now: clock.now }),
      channels: new MemoryKv({ ttlMs: 0 }),
    };
    const calls: Call[] = [];
    const a = await member('replica-a', stores, clock, 1, calls);
    await a.tick();
    const aRunner = a.coordinator.runners()[0];
    assert.ok(aRunner, 'a took the shard');
    const aEpoch = a.coordinator.health().shards[0]!.epoch!;

    // b joins; the shard is placed on it, but without a spare permit no move starts: a keeps it.
    const b = await member(bId, stores, clock, 1, calls);
    await b.tick();
    assert.equal(b.coordinator.health().owned, 0, 'b waits (no spare permit for a move)');
    assert.equal((await stores.kv.get<{ owner: string }>('shard.0'))?.value.owner, 'replica-a');

    aRunner.tainted = true;
    await a.tick();
    assert.deepEqual(
      calls.filter((c) => c.replica === 'replica-a' && c.call === 'stop').map((c) => c.options),
      [{ checkpoint: false, drainMs: 0 }],
      'the tainted runner stopped without a checkpoint',
    );
    assert.equal(a.coordinator.health().owned, 0);
    assert.equal(a.coordinator.health().counters.standDowns, 1);
    assert.equal(await stores.kv.get('shard.0'), undefined, 'the lease was released, not left to expire');

    // Within the TTL (30 s) and the grace period (60 s): only the release lets b take it now.
    await b.tick();
    assert.equal(b.coordinator.health().owned, 1, 'b took the shard on its next round');
    const bStart = calls.find((c) => c.replica === bId && c.call === 'start');
    assert.ok(
      bStart?.epoch !== undefined && bStart.epoch > aEpoch,
      `b's epoch ${bStart?.epoch} above ${aEpoch}`,
    );
    assert.equal((await stores.kv.get<{ owner: string }>('shard.0'))?.value.owner, bId);
    const order = calls.map((c) => `${c.replica}:${c.call}`);
    assert.ok(
      order.indexOf('replica-a:stop') < order.indexOf(`${bId}:start`),
      `a stopped before b started: ${order.join(', ')}`,
    );
  });
});
