import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { ClientClosedError, RateBudget } from '../../src/platform/rate-budget.js';
import { clientFor } from './support/clients.js';
import { startFakeGenesys } from './support/fake-genesys.js';

describe('pacing against a platform that enforces its budget', () => {
  it('a burst of 1,000 calls meets zero 429s and finishes in a few seconds', async (t) => {
    const server = await startFakeGenesys({ rateLimit: { allowed: 200, windowMs: 1_000 } });
    server.on('GET', '/api/v2/routing/queues/{id}', (req) => ({ status: 200, body: { id: req.params.id } }));
    // A generous timeout: on a busy machine the first 200 parallel connections can take a second or more.
    const client = clientFor(server, {
      timeoutMs: 15_000,
      rateLimit: { requestsPerWindow: 200, windowMs: 1_000 },
    });
    try {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          client.request<{ id: string }>({ method: 'GET', path: `/api/v2/routing/queues/q${i}` }),
        ),
      );
      const elapsed = performance.now() - started;
      assert.equal(results.length, 1_000);
      assert.equal(results[999]!.body.id, 'q999');
      assert.equal(server.tooManyRequests, 0, 'the server never had to refuse');
      assert.equal(client.stats().rateLimited, 0);
      assert.equal(server.requests.length, 1_000, 'no retries were needed');
      // Five windows' worth: at least four full windows must pass. About 5 s on an idle machine (each slot comes
      // back one window after its response, so slow responses stretch the cycle); the upper bound only catches
      // a pacer gone wrong, with room for a heavily loaded machine.
      t.diagnostic(`1,000 calls in ${Math.round(elapsed)} ms`);
      assert.ok(elapsed >= 4_000, `paced: ${Math.round(elapsed)} ms`);
      assert.ok(elapsed < 20_000, `in a few seconds: ${Math.round(elapsed)} ms`);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('also meets zero 429s from a sliding-window limiter', async () => {
    const server = await startFakeGenesys({ rateLimit: { allowed: 50, windowMs: 500, mode: 'sliding' } });
    server.on('GET', '/api/v2/users/{id}', (req) => ({ status: 200, body: { id: req.params.id } }));
    const client = clientFor(server, {
      timeoutMs: 15_000,
      rateLimit: { requestsPerWindow: 50, windowMs: 500 },
    });
    try {
      await Promise.all(
        Array.from({ length: 150 }, (_, i) => client.request({ method: 'GET', path: `/api/v2/users/u${i}` })),
      );
      assert.equal(server.tooManyRequests, 0);
      assert.equal(server.requests.length, 150);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

/** Lets granted callers run (grants resolve promptly; windows in these tests are far longer). */
function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe('RateBudget', () => {
  it('grants up to the limit, then queues FIFO until slots cool down', async () => {
    // Pacing off: this is about the slot model alone.
    const budget = new RateBudget({ requestsPerWindow: 2, windowMs: 300, marginMs: 0, pace: false });
    const order: string[] = [];
    const take = (name: string) =>
      budget.acquire().then((slot) => {
        order.push(name);
        slot.release();
      });
    const started = performance.now();
    const all = Promise.all([take('a'), take('b'), take('c'), take('d'), take('e')]);
    await settle();
    assert.deepEqual(order, ['a', 'b']);
    assert.equal(budget.state().queued, 3);
    assert.equal(budget.state().available, 0);
    await all;
    assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);
    assert.ok(performance.now() - started >= 600, 'two more windows were needed for c, d and e');
    budget.close();
  });

  it('serves channel calls first, from the reserve too, and never paces them', async () => {
    const budget = new RateBudget({ requestsPerWindow: 10, windowMs: 300, channelReserve: 0.2, marginMs: 0 });
    const order: string[] = [];
    const take = (name: string, purpose: 'channel' | 'other') =>
      budget.acquire({ purpose }).then((slot) => {
        order.push(name);
        slot.release();
      });
    const shared = Array.from({ length: 9 }, (_, i) => take(`o${i}`, 'other'));
    await settle();
    assert.equal(order.length, 1, 'the burst of the paced purposes is one call (a tenth of 10)');
    assert.equal(budget.state().reserved, 2);
    const urgent = [take('c1', 'channel'), take('c2', 'channel'), take('c3', 'channel')];
    await settle();
    assert.deepEqual(order.slice(1), ['c1', 'c2', 'c3'], 'channel calls go at once, past the paced queue');
    await Promise.all([...shared, ...urgent]);
    // 10 per window: the paced purposes used at most 8 slots of the first window, the channel the rest.
    assert.equal(order.length, 12);
    budget.close();
  });

  it('paces the shared purposes across the window instead of spending it in a burst', async () => {
    const budget = new RateBudget({ requestsPerWindow: 100, windowMs: 1_000, channelReserve: 0.1, burst: 5 });
    const grantedAt: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 23 }, () =>
        budget.acquire({ purpose: 'enrichment' }).then((slot) => {
          grantedAt.push(performance.now() - started);
          slot.release();
        }),
      ),
    );
    // Burst of 5, then 90 per second (the window's share after the reserve): 18 more take about 200 ms.
    assert.ok(grantedAt[4]! < 50, `the burst went at once (${Math.round(grantedAt[4]!)} ms)`);
    assert.ok(grantedAt[22]! >= 180, `paced after the burst (${Math.round(grantedAt[22]!)} ms)`);
    budget.close();
  });

  it('gives each shared purpose at least its share when they compete, and starves none', async () => {
    const budget = new RateBudget({
      requestsPerWindow: 1_000,
      windowMs: 1_000,
      channelReserve: 0,
      burst: 1,
      shares: { enrichment: 4, backfill: 3, proactive: 2, other: 1 },
    });
    const order: string[] = [];
    const take = (purpose: 'enrichment' | 'backfill' | 'proactive' | 'other') =>
      budget.acquire({ purpose }).then((slot) => {
        order.push(purpose);
        slot.release();
      });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 100; i++)
      for (const p of ['other', 'proactive', 'backfill', 'enrichment'] as const) all.push(take(p));
    await Promise.all(all);
    const first = order.slice(0, 100);
    const count = (p: string) => first.filter((x) => x === p).length;
    // Proportional to 4:3:2:1 over the first hundred grants, within a few.
    assert.ok(Math.abs(count('enrichment') - 40) <= 3, `enrichment ${count('enrichment')}`);
    assert.ok(Math.abs(count('backfill') - 30) <= 3, `backfill ${count('backfill')}`);
    assert.ok(Math.abs(count('proactive') - 20) <= 3, `proactive ${count('proactive')}`);
    assert.ok(Math.abs(count('other') - 10) <= 3, `other ${count('other')}`);
    // Nobody starved: every purpose's hundredth call went through.
    assert.equal(order.length, 400);
    const state = budget.state();
    assert.equal(state.purposes.backfill.granted, 100);
    assert.ok(state.purposes.other.recentWait.max >= state.purposes.enrichment.recentWait.p50);
    budget.close();
  });

  it('puts a retry at the head of its purpose', async () => {
    const budget = new RateBudget({ requestsPerWindow: 1, windowMs: 30, marginMs: 0, pace: false });
    const slot = await budget.acquire();
    const seen: string[] = [];
    const take = (name: string, front: boolean) =>
      budget.acquire({ front }).then((s) => {
        seen.push(name);
        s.release();
      });
    const waiting = [take('first', false), take('second', false), take('retry', true)];
    slot.release();
    await Promise.all(waiting);
    assert.deepEqual(seen, ['retry', 'first', 'second']);
    budget.close();
  });

  it('pause() holds every grant for the given time', async () => {
    const budget = new RateBudget({ requestsPerWindow: 100, windowMs: 1_000 });
    const started = performance.now();
    budget.pause(150);
    assert.ok(budget.state().pausedForMs > 100);
    const slot = await budget.acquire();
    assert.ok(performance.now() - started >= 150);
    slot.release();
    budget.close();
  });

  it('adopts the limit the platform reports and respects its exhausted window', async () => {
    const budget = new RateBudget({
      requestsPerWindow: 300,
      windowMs: 60_000,
      channelReserve: 0,
      pace: false,
    });
    budget.observe({
      'inin-ratelimit-allowed': '5',
      'inin-ratelimit-count': '1',
      'inin-ratelimit-reset': '30',
    });
    const state = budget.state();
    assert.equal(state.limit, 5);
    assert.deepEqual(state.server, { allowed: 5, count: 1, resetInMs: state.server!.resetInMs });
    assert.ok(state.server!.resetInMs > 29_000);
    assert.equal(state.available, 4, 'the platform has counted one request we did not make');

    // Another process used up the window: wait for the reset the platform announced.
    const started = performance.now();
    budget.observe({
      'inin-ratelimit-allowed': '5',
      'inin-ratelimit-count': '5',
      'inin-ratelimit-reset': '0.12',
    });
    assert.equal(budget.state().available, 0);
    (await budget.acquire()).release();
    assert.ok(performance.now() - started >= 120);
    budget.close();
  });

  it('grants a shared purpose again once the platform window that left only the reserve resets', async () => {
    // 100 a window with 10 reserved for channel calls; the platform says 5 are left in its window for 0.15 s more
    // (another process used the rest). Nothing of ours is in flight or cooling, so only that reset can free a slot.
    const budget = new RateBudget({
      requestsPerWindow: 100,
      windowMs: 60_000,
      channelReserve: 0.1,
      pace: false,
      adoptServerLimit: false,
    });
    budget.observe({
      'inin-ratelimit-allowed': '100',
      'inin-ratelimit-count': '95',
      'inin-ratelimit-reset': '0.15',
    });
    const started = performance.now();
    const slot = await Promise.race([
      budget.acquire({ purpose: 'backfill' }),
      new Promise<undefined>((resolve) => setTimeout(resolve, 3000, undefined)),
    ]);
    assert.ok(
      slot,
      'a backfill request is granted after the platform window resets, not left waiting for good',
    );
    slot.release();
    assert.ok(performance.now() - started >= 140, 'and not before the reset');
    budget.close();
  });

  it('rejects queued callers on close and on abort', async () => {
    const budget = new RateBudget({ requestsPerWindow: 1, windowMs: 60_000 });
    await budget.acquire();
    const controller = new AbortController();
    const aborted = budget.acquire({ signal: controller.signal });
    const closed = budget.acquire();
    controller.abort(new Error('gave up'));
    await assert.rejects(aborted, /gave up/);
    assert.equal(budget.state().queued, 1);
    budget.close();
    await assert.rejects(closed, ClientClosedError);
    await assert.rejects(budget.acquire(), ClientClosedError);
  });
});
