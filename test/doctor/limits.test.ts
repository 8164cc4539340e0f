/** The token's lifetime and the rate limit, as the platform (here the emulator, set like an org can be) reports them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { check, DEMO, doctor, quietEmulator } from './helpers.js';

describe('doctor: token lifetime and rate limit', () => {
  it('a default org: a 24-hour token and 300 requests a minute pass', async () => {
    const emulator = await quietEmulator();
    try {
      const report = await doctor(emulator, DEMO);
      assert.match(
        check(report, 'token').detail,
        /org Switchboard Emulator .*grant CLIENT-CREDENTIALS, lives 24 h/,
      );
      assert.equal(check(report, 'token').status, 'pass');
      const limit = check(report, 'rate-limit');
      assert.equal(limit.status, 'pass');
      assert.match(
        limit.detail,
        new RegExp(`^300 requests a minute per token; doctor made ${report.requests} request`),
      );
    } finally {
      await emulator.stop();
    }
  });

  it('a 10-minute token is a warning: every channel is rotated that often', async () => {
    const emulator = await quietEmulator([], { tokenLifetimeSeconds: 600 });
    try {
      const token = check(await doctor(emulator, DEMO), 'token');
      assert.equal(token.status, 'warn');
      assert.match(token.detail, /lives 10 min/);
      assert.match(token.fix ?? '', /Token Duration/);
    } finally {
      await emulator.stop();
    }
  });

  it('a limit below 300 is a warning; a configured rate above the platform’s is one too', async () => {
    const emulator = await quietEmulator([], { rateLimitPerMinute: 120 });
    try {
      const low = check(await doctor(emulator, DEMO), 'rate-limit');
      assert.equal(low.status, 'warn');
      assert.match(low.detail, /allows 120 requests a minute per token, below the usual 300/);
      const above = check(await doctor(emulator, DEMO, { rateLimit: '300' }), 'rate-limit');
      assert.equal(above.status, 'warn');
      assert.match(above.fix ?? '', /to 120 or less/);
    } finally {
      await emulator.stop();
    }
  });
});
