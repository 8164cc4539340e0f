import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, DEFAULT_SINK_RETRY } from '../../src/sinks/backoff.js';

describe('backoff', () => {
  it('grows exponentially up to the ceiling, jittered within the upper half of the window', () => {
    const settings = { ...DEFAULT_SINK_RETRY, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 };
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
});
