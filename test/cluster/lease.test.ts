import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoordinationKv } from '../../src/cluster/coordination-kv.js';
import { acquireLease, monotonicNow, releaseLease, renewLease } from '../../src/cluster/lease.js';
import { ManualClock, MemoryKv } from './memory-kv.js';

const TIMING = { ttlMs: 200, safetyMs: 50 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose conditional updates take `delayMs` to answer (a slow network round trip). */
function slowUpdates(kv: MemoryKv, delayMs: number): CoordinationKv {
  return new Proxy(kv, {
    get(target, property, receiver) {
      if (property === 'update') {
        return async (key: string, value: unknown, revision: number) => {
          await sleep(delayMs);
          return target.update(key, value, revision);
        };
      }
      const member = Reflect.get(target, property, receiver);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

describe('leases', () => {
  it('can be held by one holder at a time; released, the next one gets it with a higher epoch', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const first = await acquireLease(kv, 'shard.0', { owner: 'a' }, TIMING);
    assert.ok(first, 'the free key is acquired');
    assert.equal(await acquireLease(kv, 'shard.0', { owner: 'b' }, TIMING), undefined, 'held: refused');
    assert.equal((await kv.get<{ owner: string }>('shard.0'))?.value.owner, 'a');

    await releaseLease(kv, first);
    assert.equal(first.lost, true, 'a released lease is no longer acted on');
    assert.equal(first.isValid(), false, 'a released lease is not valid');
    assert.equal(await kv.get('shard.0'), undefined, 'release deletes the key');
    const second = await acquireLease(kv, 'shard.0', { owner: 'b' }, TIMING);
    assert.ok(second, 'the released key is acquired by the next holder');
    assert.ok(second.epoch > first.epoch, `later epoch ${second.epoch} above ${first.epoch}`);
  });

  it('keeps its epoch (the creation revision) across renewals while the revision moves on', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const lease = await acquireLease(kv, 'shard.1', { owner: 'a' }, TIMING);
    assert.ok(lease, 'acquired');
    const created = (await kv.get('shard.1'))!.revision;
    assert.equal(lease.epoch, created, 'epoch is the revision the lease was created at');
    const revisions = [lease.revision];
    for (let i = 0; i < 3; i++) {
      assert.equal(await renewLease(kv, lease, { owner: 'a' }), 'renewed');
      revisions.push(lease.revision);
    }
    assert.equal(lease.epoch, created, 'renewals leave the epoch alone');
    assert.equal(new Set(revisions).size, 4, `each renewal moves the revision: ${revisions.join(', ')}`);
    assert.equal((await kv.get('shard.1'))!.revision, lease.revision, 'the lease tracks the stored revision');
  });

  it('renewing at a stale revision is lost, and then neither renews nor releases the new holder', async () => {
    const clock = new ManualClock();
    const kv = new MemoryKv({ ttlMs: 1000, now: clock.now });
    const old = await acquireLease(kv, 'shard.2', { owner: 'a' }, TIMING);
    assert.ok(old, 'acquired');
    clock.advance(1000); // the entry expires unrenewed (a paused holder)
    const next = await acquireLease(kv, 'shard.2', { owner: 'b' }, TIMING);
    assert.ok(next, 'the expired key is taken by another holder');
    assert.ok(next.epoch > old.epoch, 'the later holder fences the earlier one');

    assert.equal(await renewLease(kv, old, { owner: 'a' }), 'lost');
    assert.equal(old.lost, true, 'marked lost');
    assert.equal(old.isValid(), false, 'a lost lease is never valid, however recently confirmed');
    assert.equal(await renewLease(kv, old, { owner: 'a' }), 'lost', 'stays lost');
    await releaseLease(kv, old);
    const stored = await kv.get<{ owner: string }>('shard.2');
    assert.equal(stored?.value.owner, 'b', "the new holder's lease is untouched");
    assert.equal(stored?.revision, next.revision);
  });

  it('a release at a stale revision (holder not yet aware it lost) leaves the new holder alone', async () => {
    const clock = new ManualClock();
    const kv = new MemoryKv({ ttlMs: 1000, now: clock.now });
    const old = await acquireLease(kv, 'shard.3', { owner: 'a' }, TIMING);
    assert.ok(old, 'acquired');
    clock.advance(1500);
    const next = await acquireLease(kv, 'shard.3', { owner: 'b' }, TIMING);
    assert.ok(next, 'taken over');
    await releaseLease(kv, old); // old.lost is still false: the delete is tried at the old revision
    assert.equal((await kv.get<{ owner: string }>('shard.3'))?.value.owner, 'b', 'still b');
  });

  it('is valid until ttl − safety after the renewal was sent, not after it was answered', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const lease = await acquireLease(kv, 'shard.4', { owner: 'a' }, TIMING);
    assert.ok(lease, 'acquired');
    const slow = slowUpdates(kv, 100);
    const before = monotonicNow();
    const renewal = renewLease(slow, lease, { owner: 'a' });
    const sentBy = monotonicNow();
    assert.equal(await renewal, 'renewed');
    const answeredAt = monotonicNow();
    assert.ok(answeredAt - sentBy >= 90, `the store took ${answeredAt - sentBy} ms to answer`);
    const window = TIMING.ttlMs - TIMING.safetyMs;
    assert.equal(lease.isValid(before + window - 1), true, 'valid just before ttl − safety after sending');
    assert.equal(lease.isValid(sentBy + window), false, 'invalid from ttl − safety after sending');
    assert.equal(
      lease.isValid(answeredAt + window - 50),
      false,
      'the time the answer took is not counted as validity',
    );
    assert.ok(lease.ageMs(sentBy + 10) <= 10 + (sentBy - before), 'age counts from the sending');
  });

  it('turns invalid in real time once ttl − safety passed without a renewal, and valid again when renewed', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const lease = await acquireLease(kv, 'shard.5', { owner: 'a' }, TIMING);
    assert.ok(lease, 'acquired');
    assert.equal(lease.isValid(), true, 'valid right after acquiring');
    await sleep(TIMING.ttlMs - TIMING.safetyMs + 20);
    assert.equal(lease.isValid(), false, `invalid after ${TIMING.ttlMs - TIMING.safetyMs + 20} ms`);
    assert.equal(lease.lost, false, 'aged, not lost: the store still holds it');
    assert.equal(await renewLease(kv, lease, { owner: 'a' }), 'renewed');
    assert.equal(lease.isValid(), true, 'a renewal makes it valid again');
  });

  it('a store that cannot be reached makes acquire and renew throw, and the lease simply ages', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const lease = await acquireLease(kv, 'shard.6', { owner: 'a' }, TIMING);
    assert.ok(lease, 'acquired');
    kv.unreachable = true;
    await assert.rejects(renewLease(kv, lease, { owner: 'a' }), /unreachable/);
    await assert.rejects(acquireLease(kv, 'shard.7', { owner: 'a' }, TIMING), /unreachable/);
    assert.equal(lease.lost, false, 'an unanswered renewal does not mark the lease lost');
    assert.equal(lease.isValid(monotonicNow() + TIMING.ttlMs), false, 'but it ages out');
  });
  it('is judged on the clock it was given', async () => {
    const clock = new ManualClock();
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const lease = await acquireLease(kv, 'shard.8', { owner: 'a' }, { ...TIMING, now: clock.now });
    assert.ok(lease, 'acquired');
    clock.advance(TIMING.ttlMs - TIMING.safetyMs - 1);
    assert.equal(lease.isValid(), true, 'valid just before ttl − safety on that clock');
    assert.equal(lease.ageMs(), TIMING.ttlMs - TIMING.safetyMs - 1);
    clock.advance(1);
    assert.equal(lease.isValid(), false, 'invalid from ttl − safety on that clock');
    assert.equal(await renewLease(kv, lease, { owner: 'a' }), 'renewed');
    assert.equal(lease.ageMs(), 0, 'confirmed at the time the renewal was sent, on that clock');
  });

  it('a release while a renewal is on its way waits for it and deletes the lease, not a stale revision', async () => {
    const kv = new MemoryKv({ ttlMs: 10_000 });
    const lease = await acquireLease(kv, 'shard.9', { owner: 'a' }, TIMING);
    assert.ok(lease, 'acquired');
    const slow = slowUpdates(kv, 50);
    const renewal = renewLease(slow, lease, { owner: 'a' });
    const release = releaseLease(slow, lease);
    assert.equal(lease.isValid(), false, 'given up at once: nothing acts on it meanwhile');
    assert.equal(await renewal, 'renewed');
    await release;
    assert.equal(
      await kv.get('shard.9'),
      undefined,
      'gone from the store: the next holder need not wait a TTL',
    );
    assert.ok(await acquireLease(kv, 'shard.9', { owner: 'b' }, TIMING), 'free for the next holder at once');
  });
});
