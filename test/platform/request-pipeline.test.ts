import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GenesysApiError, NetworkError, RateLimitedError } from '../../src/errors.js';
import type { PlatformClient } from '../../src/platform/platform-client.js';
import { ClientClosedError } from '../../src/platform/rate-budget.js';
import { clientFor } from './support/clients.js';
import { type FakeGenesys, platformErrorBody, startFakeGenesys } from './support/fake-genesys.js';

let server: FakeGenesys;
let client: PlatformClient;
const ok = { status: 200, body: { ok: true } };

beforeEach(async () => {
  server = await startFakeGenesys();
  server.on('GET', '/api/v2/things/{id}', (req) => ({ status: 200, body: { id: req.params.id } }));
  server.on('POST', '/api/v2/things', () => ({ status: 200, body: { created: true } }));
  client = clientFor(server);
});
afterEach(async () => {
  await client.close();
  await server.close();
});

describe('401: refresh the token, retry once', () => {
  it('retries exactly once with a new token after the old one was revoked', async () => {
    await client.request({ method: 'GET', path: '/api/v2/things/a' });
    server.revoke(server.issuedTokens[0]!);
    const response = await client.request<{ id: string }>({ method: 'GET', path: '/api/v2/things/b' });
    assert.equal(response.body.id, 'b');
    const calls = server.requestsTo('GET', '/api/v2/things/b');
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.token, server.issuedTokens[0]);
    assert.equal(calls[1]!.token, server.issuedTokens[1]);
    assert.equal(server.tokenRequests.length, 2);
    assert.equal(client.stats().retries, 1);
  });

  it('many calls refused at once share one token refresh', async () => {
    await client.request({ method: 'GET', path: '/api/v2/things/warm' });
    server.revoke(server.issuedTokens[0]!);
    server.tokenDelayMs = 30;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.request<{ id: string }>({ method: 'GET', path: `/api/v2/things/n${i}` }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.body.id),
      Array.from({ length: 20 }, (_, i) => `n${i}`),
    );
    assert.equal(server.tokenRequests.length, 2, 'the first token, then one refresh');
  });

  it('gives up after one refresh when the platform keeps refusing', async () => {
    const refusal = {
      status: 401,
      body: platformErrorBody(401, 'bad.credentials', 'Invalid login credentials.'),
    };
    server.script('GET', '/api/v2/things/x', [refusal, refusal, refusal]);
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/x' }), (error: unknown) => {
      assert.ok(error instanceof GenesysApiError);
      assert.equal(error.status, 401);
      assert.equal(error.platformCode, 'bad.credentials');
      assert.match(error.hint ?? '', /OAuth client/);
      return true;
    });
    assert.equal(server.requestsTo('GET', '/api/v2/things/x').length, 2);
    assert.equal(server.tokenRequests.length, 2);
  });
});

describe('429: honour Retry-After, pause the whole budget', () => {
  it('waits at least Retry-After before the retry, and holds other callers too', async () => {
    server.script('GET', '/api/v2/things/slow', [
      {
        status: 429,
        headers: { 'Retry-After': '1' },
        body: platformErrorBody(429, 'too.many.requests.retry.after', 'Retry the request in [1] seconds'),
      },
    ]);
    const first = client.request({ method: 'GET', path: '/api/v2/things/slow' });
    // Once the client has taken in the 429, its whole budget is paused.
    while (client.stats().budget.pausedForMs === 0) await new Promise((r) => setTimeout(r, 5));
    const other = client.request({ method: 'GET', path: '/api/v2/things/other' });
    await Promise.all([first, other]);
    const [refused, retried] = server.requestsTo('GET', '/api/v2/things/slow');
    assert.ok(retried, 'the request was retried');
    assert.ok(retried.at - refused!.at >= 1000, `retry came ${retried.at - refused!.at} ms later`);
    const [otherCall] = server.requestsTo('GET', '/api/v2/things/other');
    assert.ok(otherCall!.at - refused!.at >= 1000, 'the pause held the other caller');
    assert.equal(client.stats().rateLimited, 1);
  });

  it('gives up at once when Retry-After exceeds the cap', async () => {
    server.script('GET', '/api/v2/things/long', [{ status: 429, headers: { 'Retry-After': '120' } }]);
    const started = performance.now();
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/long' }), (error: unknown) => {
      assert.ok(error instanceof RateLimitedError);
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryAfterSeconds, 120);
      assert.match(error.message, /120 s/);
      return true;
    });
    assert.ok(performance.now() - started < 1000);
    assert.equal(server.requestsTo('GET', '/api/v2/things/long').length, 1);
  });

  it('gives up after the configured number of 429s', async () => {
    await client.close();
    client = clientFor(server, { retry: { maxRateLimitRetries: 2 } });
    const tooMany = { status: 429, headers: { 'Retry-After': '0' } };
    server.script('GET', '/api/v2/things/busy', [tooMany, tooMany, tooMany, tooMany]);
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/busy' }), RateLimitedError);
    assert.equal(server.requestsTo('GET', '/api/v2/things/busy').length, 3);
  });

  it('retries a POST after 429 (the platform did not process it)', async () => {
    server.script('POST', '/api/v2/things', [{ status: 429, headers: { 'Retry-After': '0' } }]);
    const response = await client.request({ method: 'POST', path: '/api/v2/things', body: { a: 1 } });
    assert.deepEqual(response.body, { created: true });
    assert.equal(server.requestsTo('POST', '/api/v2/things').length, 2);
  });
});

describe('5xx and network failures: bounded backoff', () => {
  it('503 backs off and succeeds', async () => {
    server.script('GET', '/api/v2/things/flaky', [{ status: 503 }, { status: 503 }]);
    const response = await client.request<{ id: string }>({ method: 'GET', path: '/api/v2/things/flaky' });
    assert.equal(response.body.id, 'flaky');
    assert.equal(server.requestsTo('GET', '/api/v2/things/flaky').length, 3);
    assert.equal(client.stats().retries, 2);
  });

  it('stops after maxAttempts with the last GenesysApiError', async () => {
    await client.close();
    client = clientFor(server, { retry: { maxAttempts: 3 } });
    const unavailable = {
      status: 503,
      body: platformErrorBody(503, 'service.unavailable', 'The service is currently unavailable'),
    };
    server.script('GET', '/api/v2/things/down', [unavailable, unavailable, unavailable, unavailable]);
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/down' }), (error: unknown) => {
      assert.ok(error instanceof GenesysApiError);
      assert.equal(error.status, 503);
      assert.equal(error.platformCode, 'service.unavailable');
      return true;
    });
    assert.equal(server.requestsTo('GET', '/api/v2/things/down').length, 3);
  });

  it('retries 502/504 for idempotent requests only', async () => {
    server.script('GET', '/api/v2/things/gw', [{ status: 502 }, { status: 504 }]);
    await client.request({ method: 'GET', path: '/api/v2/things/gw' });
    assert.equal(server.requestsTo('GET', '/api/v2/things/gw').length, 3);

    server.script('POST', '/api/v2/things', [{ status: 502 }]);
    await assert.rejects(
      client.request({ method: 'POST', path: '/api/v2/things', body: {} }),
      (error: unknown) => error instanceof GenesysApiError && error.status === 502,
    );
    assert.equal(server.requestsTo('POST', '/api/v2/things').length, 1, 'a POST is not repeated after a 502');

    server.script('POST', '/api/v2/things', [{ status: 503 }]);
    await client.request({ method: 'POST', path: '/api/v2/things', body: {} });
    assert.equal(server.requestsTo('POST', '/api/v2/things').length, 3, 'but it is after a 503');

    server.script('POST', '/api/v2/things', [{ status: 504 }]);
    await client.request({ method: 'POST', path: '/api/v2/things', body: {}, idempotent: true });
    assert.equal(server.requestsTo('POST', '/api/v2/things').length, 5, 'or when declared idempotent');
  });

  it('retries an idempotent request after a dropped connection, not a POST', async () => {
    server.script('GET', '/api/v2/things/drop', [{ status: 200, drop: true }]);
    const response = await client.request<{ id: string }>({ method: 'GET', path: '/api/v2/things/drop' });
    assert.equal(response.body.id, 'drop');
    assert.equal(server.requestsTo('GET', '/api/v2/things/drop').length, 2);

    server.script('POST', '/api/v2/things', [{ status: 200, drop: true }]);
    await assert.rejects(
      client.request({ method: 'POST', path: '/api/v2/things', body: {} }),
      (error: unknown) => {
        assert.ok(error instanceof NetworkError);
        assert.match(error.hint ?? '', /duplicate/);
        return true;
      },
    );
    assert.equal(server.requestsTo('POST', '/api/v2/things').length, 1);
  });

  it('times out each attempt and gives up with a NetworkError', async () => {
    await client.close();
    client = clientFor(server, { timeoutMs: 100, retry: { maxAttempts: 2 } });
    server.script('GET', '/api/v2/things/stuck', [
      { ...ok, delayMs: 400 },
      { ...ok, delayMs: 400 },
    ]);
    const started = performance.now();
    await assert.rejects(
      client.request({ method: 'GET', path: '/api/v2/things/stuck' }),
      (error: unknown) => {
        assert.ok(error instanceof NetworkError);
        assert.match(error.message, /no response within 100 ms/);
        assert.match(error.message, /2 attempts/);
        return true;
      },
    );
    assert.ok(performance.now() - started < 700);
    assert.equal(server.requestsTo('GET', '/api/v2/things/stuck').length, 2);
  });

  it('lets a caller abort', async () => {
    server.script('GET', '/api/v2/things/wait', [{ ...ok, delayMs: 300 }]);
    const controller = new AbortController();
    const pending = client.request({ method: 'GET', path: '/api/v2/things/wait', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await assert.rejects(pending, /caller gave up/);
  });
});

describe('request()', () => {
  it('sends query, JSON body and headers; parses JSON, text and empty bodies', async () => {
    server.on('PUT', '/api/v2/echo', (req) => ({
      status: 200,
      body: { query: [...req.query.entries()], body: req.body, type: req.headers['content-type'] },
    }));
    server.on('GET', '/api/v2/text', () => ({ status: 200, body: 'plain words' }));
    server.on('DELETE', '/api/v2/things/{id}', () => ({ status: 204 }));
    server.on('HEAD', '/api/v2/things/{id}', () => ({ status: 200 }));

    const echo = await client.request<{ query: string[][]; body: unknown; type: string }>({
      method: 'PUT',
      path: '/api/v2/echo',
      query: { id: ['a', 'b'], pageSize: 25, expand: undefined, flag: true },
      body: [{ id: 'v2.users.1.conversations' }],
    });
    assert.deepEqual(echo.body.query, [
      ['id', 'a'],
      ['id', 'b'],
      ['pageSize', '25'],
      ['flag', 'true'],
    ]);
    assert.deepEqual(echo.body.body, [{ id: 'v2.users.1.conversations' }]);
    assert.equal(echo.body.type, 'application/json');
    assert.ok(echo.headers['inin-correlation-id']);

    assert.equal((await client.request({ method: 'GET', path: '/api/v2/text' })).body, 'plain words');
    const deleted = await client.request({ method: 'DELETE', path: '/api/v2/things/1' });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, undefined);
    const head = await client.request({ method: 'HEAD', path: '/api/v2/things/1' });
    assert.equal(head.status, 200);
    assert.equal(head.body, undefined);
  });

  it('refuses absolute URLs: the base comes from the region', async () => {
    await assert.rejects(client.request({ method: 'GET', path: 'https://evil.example.com/x' }), TypeError);
    await assert.rejects(client.request({ method: 'GET', path: '//evil.example.com/x' }), TypeError);
  });

  it('close() rejects queued calls with ClientClosedError', async () => {
    await client.close();
    client = clientFor(server, {
      rateLimit: { requestsPerWindow: 1, windowMs: 60_000, adoptServerLimit: false },
    });
    await client.request({ method: 'GET', path: '/api/v2/things/1' });
    const queued = client.request({ method: 'GET', path: '/api/v2/things/2' });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(client.stats().budget.queued, 1);
    await client.close();
    await assert.rejects(queued, ClientClosedError);
  });
});
