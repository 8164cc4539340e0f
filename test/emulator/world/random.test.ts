import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashSeed, Random } from '../../../src/emulator/world/random.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Random', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 20 }, () => a.nextUint32());
    const seqB = Array.from({ length: 20 }, () => b.nextUint32());
    const seqC = Array.from({ length: 20 }, () => c.nextUint32());
    assert.deepEqual(seqA, seqB);
    assert.notDeepEqual(seqA, seqC);
  });

  it('makes lowercase version-4 shaped UUIDs without repeats', () => {
    const r = new Random(1);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = r.uuid();
      assert.match(id, UUID);
      seen.add(id);
    }
    assert.equal(seen.size, 5000);
  });

  it('keeps int, pick, seconds and weighted within their bounds', () => {
    const r = new Random(9);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) {
      const n = r.int(3, 5);
      assert.ok(n >= 3 && n <= 5 && Number.isInteger(n));
      const s = r.seconds(1, 2);
      assert.ok(s >= 1000 && s <= 2000);
      counts[
        r.weighted([
          ['a', 1],
          ['b', 3],
          ['c', 0],
        ] as const)
      ]++;
      assert.ok(['x', 'y'].includes(r.pick(['x', 'y'])));
    }
    assert.equal(counts.c, 0, 'zero weights are never chosen');
    assert.ok(counts.b > counts.a * 2, `weights are honoured (${counts.a} vs ${counts.b})`);
    assert.throws(() => r.pick([]));
  });

  it('hashes seeds from mixed parts deterministically', () => {
    assert.equal(hashSeed(1, 'live', 3), hashSeed(1, 'live', 3));
    assert.notEqual(hashSeed(1, 'live', 3), hashSeed(1, 'live', 4));
    assert.notEqual(hashSeed(1, 'li', 've3'), hashSeed(1, 'live', 3));
  });
});
