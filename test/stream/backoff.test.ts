import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/stream/backoff.js';

describe('Backoff', () => {
  it('doubles its ceiling per attempt up to the cap', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    const delays = Array.from({ length: 7 }, () => backoff.next());
    assert.deepEqual(delays, [99, 199, 399, 799, 999, 999, 999]);
  });

  it('draws each delay uniformly under the ceiling (full jitter)', () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 1000 });
    const delays = Array.from({ length: 400 }, () => backoff.next());
    assert.ok(
      delays.every((d) => d >= 0 && d < 1000),
      'delays.every((d) => d >= 0 && d < 1000)',
    );
    assert.ok(Math.min(...delays) < 100, 'some delays are short');
    assert.ok(Math.max(...delays) > 900, 'some delays are long');
    assert.ok(new Set(delays).size > 300, 'delays differ from each other');
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 10_000, random: () => 0.5 });
    backoff.next();
    backoff.next();
    assert.equal(backoff.next(), 20);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 5);
  });

  it('stays at the cap after very many attempts', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0.5 });
    for (let i = 0; i < 2000; i++) backoff.next();
    assert.equal(backoff.attempts, 2000);
    assert.equal(backoff.next(), 15_000);
  });
});
