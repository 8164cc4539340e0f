import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { planRotation, resolveTiming, staleAfterMs } from '../../src/stream/timing.js';

const HOUR = 3600_000;

describe('resolveTiming', () => {
  it('derives ping, watchdog and stability intervals from the heartbeat', () => {
    const timing = resolveTiming({ heartbeatIntervalMs: 1000 });
    assert.equal(timing.pingAfterMs, 1200);
    assert.equal(timing.stableAfterMs, 2000);
    assert.equal(staleAfterMs(timing), 2500);
    assert.equal(resolveTiming().heartbeatIntervalMs, 30_000);
    assert.equal(resolveTiming({ backoff: { maxDelayMs: 5 } }).backoff.initialDelayMs, 500);
  });

  it('refuses a watchdog that would trip before a heartbeat is due', () => {
    assert.throws(() => resolveTiming({ watchdogMultiple: 0.5 }), ConfigError);
    assert.throws(() => resolveTiming({ heartbeatIntervalMs: 0 }), ConfigError);
  });
});

describe('planRotation', () => {
  const timing = resolveTiming({
    rotateBeforeMs: 10 * 60_000,
    rotationJitterMs: 60_000,
    minChannelLifeMs: 60_000,
  });
  const now = 1_000_000_000;

  it('rotates ahead of the channel expiry, earlier by the jitter drawn', () => {
    const life = { createdAt: now, expiresAt: now + 24 * HOUR, tokenExpiresAt: now + 48 * HOUR };
    assert.deepEqual(
      planRotation(life, timing, now, () => 0),
      { delayMs: 24 * HOUR - 600_000, reason: 'rotation' },
    );
    assert.equal(planRotation(life, timing, now, () => 0.5).delayMs, 24 * HOUR - 630_000);
  });

  it('rotates ahead of the token when the token expires first', () => {
    const life = { createdAt: now, expiresAt: now + 24 * HOUR, tokenExpiresAt: now + 2 * HOUR };
    assert.deepEqual(
      planRotation(life, timing, now, () => 0),
      { delayMs: 2 * HOUR - 600_000, reason: 'token-expiry' },
    );
  });

  it('never rotates a channel younger than the minimum life', () => {
    const life = { createdAt: now, expiresAt: now + 24 * HOUR, tokenExpiresAt: now + 5 * 60_000 };
    assert.equal(planRotation(life, timing, now, () => 0).delayMs, 60_000);
    // Past every deadline, a channel old enough rotates at once.
    assert.equal(planRotation({ ...life, createdAt: now - HOUR }, timing, now, () => 0).delayMs, 0);
  });

  it('caps the delay at what a timer can wait', () => {
    const life = { createdAt: now, expiresAt: now + 60 * 24 * HOUR, tokenExpiresAt: undefined };
    assert.equal(planRotation(life, timing, now, () => 0).delayMs, 2 ** 31 - 1);
  });
});
