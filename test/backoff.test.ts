import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, backoffDelay } from '../src/backoff.js';
import { retryDelayMs } from '../src/proactive/ledger/recorder.js';
import { DEFAULT_ENGINE_BACKOFF } from '../src/service/engine-supervisor.js';
import { DEFAULT_SINK_RETRY } from '../src/sinks/queued-sink.js';
import { DEFAULT_TIMING } from '../src/stream/timing.js';

describe('backoffDelay', () => {
  it('draws a full-jitter wait anywhere under a window that doubles per attempt up to the ceiling', () => {
    const settings = { initialDelayMs: 100, maxDelayMs: 1_000 };
    assert.equal(
      backoffDelay(1, settings, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(1, settings, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(3, settings, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(10, settings, () => 0.999),
      999,
    );
  });

  it('draws an equal-jitter wait in the upper half of the window, never at once', () => {
    const settings = { initialDelayMs: 100, maxDelayMs: 1_000, jitter: 'equal' as const };
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

  it("waits the whole window, without jitter, for a schedule of one process's own", () => {
    const settings = { initialDelayMs: 30_000, maxDelayMs: 15 * 60_000, jitter: 'none' as const };
    assert.deepEqual(
      [1, 2, 3, 5, 6, 7, 100].map((attempt) => backoffDelay(attempt, settings, () => 0)),
      [30_000, 60_000, 120_000, 480_000, 900_000, 900_000, 900_000],
    );
    // A decision retried for a passing reason waits by it: 30 s, 1 min, 2 min, ... at most 15 min.
    assert.equal(retryDelayMs(3), 120_000);
    assert.equal(retryDelayMs(10_000), 900_000);
  });

  it('grows the window by the multiplier', () => {
    const settings = { initialDelayMs: 100, maxDelayMs: 100_000, multiplier: 3, jitter: 'equal' as const };
    assert.equal(
      backoffDelay(3, settings, () => 1),
      900,
    );
  });

  it('is what the sinks, the engine restarts and the reconnects wait by default', () => {
    // A sink and the engine never retry at once; reconnects spread over the whole window.
    assert.equal(
      backoffDelay(1, DEFAULT_SINK_RETRY, () => 0),
      250,
    );
    assert.equal(
      backoffDelay(20, DEFAULT_SINK_RETRY, () => 1),
      30_000,
    );
    assert.equal(
      backoffDelay(1, DEFAULT_ENGINE_BACKOFF, () => 0),
      500,
    );
    assert.equal(
      backoffDelay(20, DEFAULT_ENGINE_BACKOFF, () => 1),
      60_000,
    );
    assert.equal(
      backoffDelay(1, DEFAULT_TIMING.backoff, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(20, DEFAULT_TIMING.backoff, () => 0.999),
      14_985,
    );
  });
});

describe('Backoff', () => {
  it('doubles its ceiling per attempt up to the cap', () => {
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    const delays = Array.from({ length: 7 }, () => backoff.next());
    assert.deepEqual(delays, [99, 199, 399, 799, 999, 999, 999]);
  });

  it('draws each delay uniformly under the ceiling (full jitter)', () => {
    const backoff = new Backoff({ initialDelayMs: 1000, maxDelayMs: 1000 });
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
    const backoff = new Backoff({ initialDelayMs: 10, maxDelayMs: 10_000 }, () => 0.5);
    backoff.next();
    backoff.next();
    assert.equal(backoff.next(), 20);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 5);
  });

  it('stays at the cap after very many attempts', () => {
    const backoff = new Backoff({ initialDelayMs: 500, maxDelayMs: 30_000 }, () => 0.5);
    for (let i = 0; i < 2000; i++) backoff.next();
    assert.equal(backoff.attempts, 2000);
    assert.equal(backoff.next(), 15_000);
  });
});
