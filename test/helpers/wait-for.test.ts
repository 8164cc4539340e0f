import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WaitTimeoutError, waitFor, waitForAsync } from './wait-for.js';

describe('waitFor', () => {
  it('resolves with the first truthy value of the condition', async () => {
    let tries = 0;
    const value = await waitFor(() => (++tries >= 3 ? { tries } : undefined), 'the third try', {
      intervalMs: 1,
    });
    assert.deepEqual(value, { tries: 3 });
  });

  it('rejects after the timeout with a message naming what was awaited', async () => {
    const started = Date.now();
    await assert.rejects(
      waitFor(() => false, 'a condition that never holds', { timeoutMs: 50, intervalMs: 5 }),
      (error: unknown) =>
        error instanceof WaitTimeoutError &&
        error.message === 'timed out after 50 ms waiting for a condition that never holds',
    );
    assert.ok(Date.now() - started >= 50, 'did not give up before the timeout');
  });

  it('tries once more at the deadline, so a late wake-up still sees a condition that came true', async () => {
    let holds = false;
    // Longer than the timeout: the only try after the first one is the one at the deadline.
    const waiting = waitFor(() => holds, 'the flag', { timeoutMs: 30, intervalMs: 1000 });
    setTimeout(() => {
      holds = true;
    }, 5);
    assert.equal(await waiting, true);
  });

  it('takes the timeout alone as a number', async () => {
    await assert.rejects(
      waitFor(() => false, 'a condition that never holds', 30),
      /timed out after 30 ms waiting for a condition that never holds/,
    );
  });

  it('fails at once when the condition throws', async () => {
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('broken condition');
        },
        'anything',
        { timeoutMs: 10_000 },
      ),
      /broken condition/,
    );
  });
});

describe('waitForAsync', () => {
  it('awaits each try before the next', async () => {
    let inFlight = 0;
    let overlapped = false;
    let tries = 0;
    const value = await waitForAsync(
      async () => {
        inFlight += 1;
        if (inFlight > 1) overlapped = true;
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return ++tries >= 3 ? 'done' : '';
      },
      'three slow tries',
      { intervalMs: 1 },
    );
    assert.equal(value, 'done');
    assert.equal(overlapped, false);
  });

  it('rejects with the timeout message when the answer never comes true', async () => {
    await assert.rejects(
      waitForAsync(async () => 0, 'a zero to become non-zero', { timeoutMs: 20, intervalMs: 5 }),
      /timed out after 20 ms waiting for a zero to become non-zero/,
    );
  });
});
