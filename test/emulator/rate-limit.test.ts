import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../src/emulator/rate-limit.js';

describe('RateLimiter', () => {
  it('counts per key in fixed windows and resets after the window', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 60_000, () => now);
    assert.deepEqual(limiter.take('a'), { allowed: true, count: 1, limit: 2, resetSeconds: 60 });
    now = 30_500;
    assert.deepEqual(limiter.take('a'), { allowed: true, count: 2, limit: 2, resetSeconds: 30 });
    assert.equal(limiter.take('a').allowed, false);
    assert.equal(limiter.take('b').allowed, true);
    now = 60_000;
    assert.deepEqual(limiter.take('a'), { allowed: true, count: 1, limit: 2, resetSeconds: 60 });
  });

  it('applies a changed limit to the window in progress', () => {
    const limiter = new RateLimiter(1, 60_000, () => 0);
    limiter.take('a');
    assert.equal(limiter.take('a').allowed, false);
    limiter.setLimit(5);
    assert.equal(limiter.take('a').allowed, true);
    assert.deepEqual(RateLimiter.headers(limiter.take('a')), {
      'inin-ratelimit-count': '4',
      'inin-ratelimit-allowed': '5',
      'inin-ratelimit-reset': '60',
    });
  });

  it('in sliding mode, holds every span of the window to the limit', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 1_000, () => now, 'sliding');
    assert.equal(limiter.take('a').allowed, true);
    now = 600;
    assert.deepEqual(limiter.take('a'), { allowed: true, count: 2, limit: 2, resetSeconds: 1 });
    now = 999;
    assert.equal(limiter.take('a').allowed, false, 'two in the last second already');
    now = 1_000;
    // The request at 0 has left the window; the ones at 600 and 999 are still in it (a fixed window would reset).
    assert.equal(limiter.take('a').allowed, false);
    now = 2_000;
    assert.deepEqual(limiter.take('a'), { allowed: true, count: 1, limit: 2, resetSeconds: 1 });
    assert.equal(limiter.take('b').allowed, true, 'per key');
  });
});
