import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep } from '../../src/platform/sleep.js';

describe('sleep', () => {
  it('stops early when aborted, with the signal reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 10);
    await assert.rejects(sleep(5_000, controller.signal), /stop/);
    assert.ok(Date.now() - started < 1_000);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    await assert.rejects(sleep(5_000, controller.signal), /already/);
  });
});
