import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapLimit } from '../src/concurrency.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('mapLimit', () => {
  it('keeps at most `limit` tasks running and returns results in input order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2, 'two at a time');
  });

  it('starts nothing new after a failure and throws it once the running tasks have settled', async () => {
    const started: number[] = [];
    let settled = 0;
    await assert.rejects(
      mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
        started.push(n);
        await tick();
        settled++;
        if (n === 1) throw new Error('first fails');
      }),
      /first fails/,
    );
    assert.equal(settled, started.length, 'every started task settled before the rejection');
    assert.ok(started.length < 6, `no new task after the failure (started ${started.length})`);
  });
});
