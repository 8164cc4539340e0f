import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShardChannelAllowance, SparePermits } from '../../src/cluster/channel-permits.js';
import { silentLogger } from '../../src/logging.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { ManualClock, MemoryKv } from './memory-kv.js';

const TIMING = { ttlMs: 1000, safetyMs: 200 };

const spares = (kv: MemoryKv, count: number, replica: string): SparePermits =>
  new SparePermits(kv, count, replica, TIMING, silentLogger());

/** Spare permit keys present in the store, with their holders. */
async function sparesInStore(kv: MemoryKv): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of (await kv.keys('spare.')).sort()) {
    out[key] = (await kv.get<{ owner: string }>(key))!.value.owner;
  }
  return out;
}

describe('SparePermits', () => {
  it('holds at most `count` permits across the replicas, and a released one is free for any replica', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const a = spares(kv, 2, 'replica-a');
    const b = spares(kv, 2, 'replica-b');
    const first = await a.tryAcquire('rotation');
    const second = await b.tryAcquire('hand-over');
    assert.ok(first && second, 'two permits for two claims');
    assert.notEqual(first.key, second.key, 'different permits');
    assert.equal(await a.tryAcquire('rotation'), undefined, 'a third claim finds none (held by anyone)');
    assert.equal(await b.tryAcquire('rotation'), undefined, 'nor does the other replica');
    assert.equal(a.heldCount, 1);
    assert.equal(b.heldCount, 1);
    assert.deepEqual(await sparesInStore(kv), { [first.key]: 'replica-a', [second.key]: 'replica-b' });

    await a.release(first);
    assert.equal(a.heldCount, 0);
    const again = await b.tryAcquire('rotation');
    assert.ok(again, 'the released permit is taken by the other replica');
    assert.equal(again.key, first.key);
    assert.equal(b.heldCount, 2);
  });

  it('renewAll keeps the permits still held and drops those lost to another replica', async () => {
    const clock = new ManualClock();
    const kv = new MemoryKv({ ttlMs: 1000, now: clock.now });
    const a = spares(kv, 2, 'replica-a');
    const b = spares(kv, 2, 'replica-b');
    const kept = await a.tryAcquire('rotation');
    clock.advance(600);
    const lost = await a.tryAcquire('rotation');
    assert.ok(kept && lost, 'both acquired');
    clock.advance(500); // `kept` (written 1100 ms ago) expired, `lost` (500 ms ago) lives
    const stolen = await b.tryAcquire('hand-over');
    assert.ok(stolen, 'the expired permit is free for the other replica');
    assert.equal(stolen.key, kept.key);

    await a.renewAll();
    assert.equal(a.heldCount, 1, 'the permit taken by b is dropped');
    assert.equal(kept.lost, true);
    assert.equal(lost.lost, false, 'the live one renewed');
    clock.advance(700); // past its first write's TTL: only the renewal keeps it
    assert.deepEqual(await sparesInStore(kv), { [kept.key]: 'replica-b', [lost.key]: 'replica-a' });

    // A store that does not answer loses nothing: the permit is tried again on the next round.
    kv.unreachable = true;
    await a.renewAll();
    assert.equal(a.heldCount, 1, 'an unreachable store drops no permit');
    kv.unreachable = false;

    await a.releaseAll();
    assert.equal(a.heldCount, 0);
    assert.deepEqual(await sparesInStore(kv), { [kept.key]: 'replica-b' }, "a's permit went back");
  });
});

describe('SparePermits replacing a lost permit', () => {
  it('counts the channel on a free permit instead, and releasing the one given releases its replacement', async () => {
    const clock = new ManualClock();
    const kv = new MemoryKv({ ttlMs: 1000, now: clock.now });
    const a = spares(kv, 3, 'replica-a');
    const b = spares(kv, 3, 'replica-b');
    const given = await a.tryAcquire('rotation of shard 2');
    assert.ok(given, 'acquired');
    clock.advance(1100); // not renewed in time: expired in the store
    const stolen = await b.tryAcquire('hand-over');
    assert.equal(stolen?.key, given.key, 'the other replica took the expired permit');

    await a.renewAll();
    assert.equal(given.lost, true, 'the permit given out is lost');
    assert.equal(a.heldCount, 1, 'a replacement is held instead');
    const store = await sparesInStore(kv);
    assert.equal(
      Object.values(store).filter((owner) => owner === 'replica-a').length,
      1,
      'a holds one permit',
    );
    assert.equal(store[given.key], 'replica-b');

    await a.release(given);
    assert.equal(a.heldCount, 0, 'the replacement went back');
    assert.deepEqual(await sparesInStore(kv), { [given.key]: 'replica-b' });
  });
});

describe('ShardChannelAllowance', () => {
  it('covers the base channel with the shard lease and takes a spare permit for an extra one', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const permits = spares(kv, 2, 'replica-a');
    const allowance = new ShardChannelAllowance(permits, '3', 10);
    assert.equal(allowance.limit, 3, 'one base channel plus the spares');

    const base = allowance.tryAcquire();
    assert.ok(base, 'the base channel is free');
    assert.equal(permits.heldCount, 0, 'the base channel takes no spare permit');
    assert.deepEqual(await sparesInStore(kv), {});
    assert.equal(allowance.tryAcquire(), undefined, 'a second channel is never taken without a permit');

    const extra = await allowance.acquire(100);
    assert.ok(extra, 'an extra channel on a spare permit');
    assert.equal(allowance.inUse, 2);
    assert.equal(permits.heldCount, 1);
    assert.deepEqual(Object.values(await sparesInStore(kv)), ['replica-a']);

    // Releasing the extra channel gives its permit back; the base stays claimed.
    extra.release();
    assert.equal(allowance.inUse, 1);
    await waitForAsync(
      async () => Object.keys(await sparesInStore(kv)).length === 0,
      'the permit to return',
      2_000,
    );
    assert.equal(permits.heldCount, 0);
    assert.equal(allowance.tryAcquire(), undefined, 'the base is still in use');
    base.release();
    assert.equal(allowance.inUse, 0);
    assert.ok(allowance.tryAcquire(), 'the base is free again once released');
  });

  it('releasing the base while a spare-backed channel exists makes that one the base and returns its permit', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const permits = spares(kv, 1, 'replica-a');
    const allowance = new ShardChannelAllowance(permits, '0', 10);
    const oldChannel = allowance.tryAcquire();
    const newChannel = await allowance.acquire(100); // a rotation's fresh channel
    assert.ok(oldChannel && newChannel, 'both claimed');
    assert.equal(permits.heldCount, 1);

    oldChannel.release(); // the rotation completed: the old channel goes
    assert.equal(allowance.inUse, 1, 'the new channel is still counted');
    await waitForAsync(
      async () => Object.keys(await sparesInStore(kv)).length === 0,
      'the spare permit to return',
      2_000,
    );
    assert.equal(permits.heldCount, 0, 'its permit went back to the replica set');
    assert.equal(allowance.tryAcquire(), undefined, 'the new channel now holds the base claim');
    oldChannel.release(); // a second release changes nothing
    assert.equal(allowance.inUse, 1);

    // Another rotation needs a permit again, and gets the one just returned.
    const third = await allowance.acquire(100);
    assert.ok(third, 'a later extra channel gets the returned permit');
    assert.equal(permits.heldCount, 1);
    newChannel.release();
    third.release();
    assert.equal(allowance.inUse, 0);
    await waitForAsync(
      async () => Object.keys(await sparesInStore(kv)).length === 0,
      'every permit back',
      2_000,
    );
  });

  it('gives up after the timeout when every spare permit is held elsewhere', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const other = spares(kv, 1, 'replica-b');
    assert.ok(await other.tryAcquire('hand-over'), 'the only permit goes to another replica');
    const allowance = new ShardChannelAllowance(spares(kv, 1, 'replica-a'), '1', 20);
    assert.ok(allowance.tryAcquire(), 'base');
    const started = Date.now();
    assert.equal(await allowance.acquire(150), undefined, 'no extra channel without a permit');
    const waited = Date.now() - started;
    assert.ok(waited >= 100 && waited < 1000, `waited ${waited} ms for a 150 ms timeout`);
    assert.equal(allowance.inUse, 1, 'the failed claim left nothing behind');
  });

  it('an extra claim gets a permit freed while it waits', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const other = spares(kv, 1, 'replica-b');
    const held = await other.tryAcquire('hand-over');
    assert.ok(held, 'held elsewhere');
    const allowance = new ShardChannelAllowance(spares(kv, 1, 'replica-a'), '2', 10);
    assert.ok(allowance.tryAcquire(), 'base');
    const waiting = allowance.acquire(2000);
    setTimeout(() => void other.release(held), 50);
    const extra = await waiting;
    assert.ok(extra, 'the freed permit was taken');
    assert.deepEqual(Object.values(await sparesInStore(kv)), ['replica-a']);
  });
});
