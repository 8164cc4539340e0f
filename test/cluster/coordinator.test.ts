/**
 * Shard coordination over a real NATS KV bucket, with stand-in runners that record when each shard runs where:
 * every shard is owned once, moves are make-before-break and one at a time, the channel count never passes
 * shards + spares, and a crashed member's shards are taken over within the lease TTL and the grace period.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SparePermits } from '../../src/cluster/channel-permits.js';
import { NatsCoordinationKv } from '../../src/cluster/coordination-kv.js';
import { ShardCoordinator, type ShardHandle } from '../../src/cluster/coordinator.js';
import type { Lease } from '../../src/cluster/lease.js';
import { placeShards } from '../../src/cluster/rendezvous.js';
import { shardIds } from '../../src/cluster/shards.js';
import { silentLogger } from '../../src/logging.js';
import { waitFor } from '../helpers/wait-for.js';

const NATS_URL = process.env.SWITCHBOARD_TEST_NATS ?? 'nats://127.0.0.1:4222';
const SHARDS = 6;
const SPARES = 2;
const TTL_MS = 1500;

/** What the stand-in runners saw, across all members. */
class World {
  readonly active = new Map<string, Set<string>>();
  connected = 0;
  peakConnected = 0;
  doubleOwnership: string[] = [];

  connect(): void {
    this.connected++;
    this.peakConnected = Math.max(this.peakConnected, this.connected);
  }

  activate(shard: string, replica: string): void {
    const set = this.active.get(shard) ?? new Set<string>();
    set.add(replica);
    this.active.set(shard, set);
    if (set.size > 1) this.doubleOwnership.push(`${shard}: ${[...set].join(', ')}`);
  }

  deactivate(shard: string, replica: string): void {
    this.active.get(shard)?.delete(replica);
  }
}

class StandInRunner implements ShardHandle {
  state = 'starting';
  tainted = false;
  private running = false;

  constructor(
    readonly shard: string,
    private readonly replica: string,
    private readonly hold: boolean,
    private readonly world: World,
  ) {}

  async start(_lease: Lease | undefined): Promise<void> {
    this.world.connect();
    this.running = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (this.hold) this.state = 'held';
    else {
      this.state = 'active';
      this.world.activate(this.shard, this.replica);
    }
  }

  async activate(_lease: Lease): Promise<void> {
    this.state = 'active';
    this.world.activate(this.shard, this.replica);
  }

  async stop(): Promise<void> {
    if (this.state === 'active') this.world.deactivate(this.shard, this.replica);
    if (this.running) this.world.connected--;
    this.running = false;
    this.state = 'stopped';
  }

  channel() {
    return { id: `${this.replica}-${this.shard}`, connectUri: 'ws://127.0.0.1:1/x', expires: undefined };
  }
}

describe('ShardCoordinator', () => {
  const bucket = `sbtest-${randomUUID().slice(0, 8)}`;
  const connections: NatsConnection[] = [];
  const members: ShardCoordinator<StandInRunner>[] = [];

  after(async () => {
    for (const member of members) member.halt();
    const manager = await jetstreamManager(connections[0]!);
    for (const name of [`KV_${bucket}-leases`, `KV_${bucket}-channels`])
      await manager.streams.delete(name).catch(() => {});
    for (const connection of connections) await connection.close();
  });

  async function member(id: string, world: World): Promise<ShardCoordinator<StandInRunner>> {
    const connection = await connect({ servers: NATS_URL.replace(/^nats:\/\//, '') });
    connections.push(connection);
    const kv = await NatsCoordinationKv.open(connection, { bucket: `${bucket}-leases`, ttlMs: TTL_MS });
    const channels = await NatsCoordinationKv.open(connection, { bucket: `${bucket}-channels`, ttlMs: 0 });
    const lease = { ttlMs: TTL_MS, safetyMs: 300 };
    const coordinator = new ShardCoordinator<StandInRunner>({
      kv,
      channels,
      replicaId: id,
      shardCount: SHARDS,
      spares: new SparePermits(kv, SPARES, id, lease, silentLogger()),
      lease,
      timing: { tickMs: 300, handoverTimeoutMs: 10_000, freeShardGraceMs: TTL_MS },
      createRunner: (shard, options) => new StandInRunner(shard, id, options.hold, world),
      logger: silentLogger(),
    });
    members.push(coordinator);
    coordinator.start();
    return coordinator;
  }

  const owners = (world: World) =>
    new Map(shardIds(SHARDS).map((shard) => [shard, [...(world.active.get(shard) ?? [])]]));

  const placedAsAsked = (world: World, live: string[]) => {
    const placement = placeShards(shardIds(SHARDS), live);
    const now = owners(world);
    return shardIds(SHARDS).every((shard) => {
      const held = now.get(shard)!;
      return held.length === 1 && held[0] === placement.get(shard);
    });
  };

  it('places every shard once, moves make-before-break, and takes over a crashed member', async () => {
    const world = new World();
    const a = await member('replica-a', world);
    await waitFor(() => a.health().owned === SHARDS, 'replica-a to own every shard', 10_000);

    const b = await member('replica-b', world);
    const c = await member('replica-c', world);
    await waitFor(
      () => placedAsAsked(world, ['replica-a', 'replica-b', 'replica-c']),
      'the placement over three members',
      30_000,
    );
    const moved = [a, b, c].reduce((n, m) => n + m.health().counters.handoversIn, 0);
    assert.ok(moved >= 1, `shards moved to the new members (${moved})`);
    assert.deepEqual(world.doubleOwnership, [], 'no shard ran on two members at once');
    assert.ok(world.peakConnected <= SHARDS + SPARES, `channels peaked at ${world.peakConnected}`);
    assert.ok(world.peakConnected >= SHARDS, `every shard had a channel (${world.peakConnected})`);

    // b crashes: it stops renewing and lets nothing go; its runners' channels die with the process.
    const bShards = b.runners().map((runner) => runner.shard);
    b.halt();
    for (const runner of b.runners()) await runner.stop();
    const crashedAt = Date.now();
    await waitFor(
      () => placedAsAsked(world, ['replica-a', 'replica-c']),
      "the others to take the crashed member's shards",
      TTL_MS * 6,
    );
    const tookMs = Date.now() - crashedAt;
    assert.ok(bShards.length > 0, 'b owned something before it crashed');
    assert.ok(tookMs <= TTL_MS * 3 + 2000, `taken over in ${tookMs} ms`);
    assert.deepEqual(world.doubleOwnership, [], 'still no shard on two members at once');
    assert.ok(world.peakConnected <= SHARDS + SPARES, `channels peaked at ${world.peakConnected}`);

    // A graceful stop hands the shards over at once (no TTL to wait for).
    await c.stop();
    await waitFor(
      () => placedAsAsked(world, ['replica-a']),
      'a to hold everything after c stopped',
      TTL_MS * 4,
    );
    assert.deepEqual(world.doubleOwnership, [], 'no shard on two members at once after the stop');
  });
});
