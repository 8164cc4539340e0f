import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, sleep } from '../../src/sinks/backoff.js';

describe('backoff', () => {
  it('grows exponentially up to the ceiling, jittered within the upper half of the window', () => {
    const settings = { ...DEFAULT_RETRY, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 };
    assert.equal(
      backoffDelay(1, settings, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(1, settings, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(3, settings, () => 1),
      400,
    );
    assert.equal(
      backoffDelay(10, settings, () => 1),
      1_000,
    );
    assert.equal(
      backoffDelay(10, settings, () => 0),
      500,
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-05-05T10:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Mon, 05 May 2025 10:00:07 GMT', now), 7_000);
    assert.equal(parseRetryAfter('Mon, 05 May 2025 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('sleeps, and stops early when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 10);
    await assert.rejects(sleep(5_000, controller.signal), /stop/);
    assert.ok(Date.now() - started < 1_000);
  });
});
