import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Emulator, type JournalEntry, startEmulator } from '../../src/emulator/index.js';
import { GenesysApiError, NetworkError, RateLimitedError } from '../../src/errors.js';
import type { PlatformClient } from '../../src/platform/platform-client.js';
import { ClientClosedError } from '../../src/platform/rate-budget.js';
import { waitFor } from '../helpers/wait-for.js';
import { clientFor, emulatorTarget, type PlatformTarget } from './support/clients.js';

// The emulator plays the platform: OAuth, bearer checks, revocation, rate-limit headers, correlation ids, and the
// faults (failures, 429 + Retry-After, delays, cut connections). The resource is a test route on its router: the
// pipeline's behaviour does not depend on which resource it calls.
let emulator: Emulator;
let server: PlatformTarget;
let client: PlatformClient;

beforeEach(async () => {
  emulator = await startEmulator({ world: false });
  emulator.router.add('GET', '/api/v2/things/{id}', (req) => ({ status: 200, body: { id: req.params.id } }));
  emulator.router.add('POST', '/api/v2/things', () => ({ status: 200, body: { created: true } }));
  server = emulatorTarget(emulator);
  client = clientFor(server);
});
afterEach(async () => {
  await client.close();
  await emulator.stop();
});

/** A 429 whose Retry-After is 0 (the emulator's own 429s say at least 1 s). */
const retryAtOnce = { retryAfterSeconds: 0, code: 'too.many.requests.retry.after' };

/** Requests the emulator received for exactly `METHOD path`. */
const requestsTo = (method: string, path: string): JournalEntry[] => emulator.requests.list(method, path);
const tokenRequests = (): JournalEntry[] => emulator.requests.list('POST', '/oauth/token');
const bearer = (entry: JournalEntry | undefined): string | undefined =>
  entry?.headers.authorization?.replace(/^Bearer /, '');
/** Matches exactly one path (fault rules otherwise match by prefix). */
const exactly = (path: string): string => `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
/** The next `count` requests to `METHOD path` fail with `status` (and, when given, Retry-After and a code). */
function fail(
  method: string,
  path: string,
  status: number,
  more: { count?: number; retryAfterSeconds?: number; code?: string; message?: string } = {},
): void {
  emulator.faults.failRequests({ method, pathPattern: exactly(path), status, ...more });
}

describe('401: refresh the token, retry once', () => {
  it('retries exactly once with a new token after the old one was revoked', async () => {
    await client.request({ method: 'GET', path: '/api/v2/things/a' });
    const first = bearer(requestsTo('GET', '/api/v2/things/a')[0]);
    emulator.faults.revokeTokens();
    const response = await client.request<{ id: string }>({ method: 'GET', path: '/api/v2/things/b' });
    assert.equal(response.body.id, 'b');
    const calls = requestsTo('GET', '/api/v2/things/b');
    assert.equal(calls.length, 2);
    assert.equal(bearer(calls[0]), first);
    assert.equal(calls[0]!.status, 401);
    assert.notEqual(bearer(calls[1]), first);
    assert.equal(emulator.tokens.check(bearer(calls[1])!).status, 'valid', 'the second token is a new one');
    assert.equal(tokenRequests().length, 2);
    assert.equal(client.stats().retries, 1);
  });

  it('many calls refused at once share one token refresh', async () => {
    await client.request({ method: 'GET', path: '/api/v2/things/warm' });
    emulator.faults.revokeTokens();
    emulator.faults.delayRequests({ path: '/oauth/token', delayMs: 30, count: 20 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.request<{ id: string }>({ method: 'GET', path: `/api/v2/things/n${i}` }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.body.id),
      Array.from({ length: 20 }, (_, i) => `n${i}`),
    );
    assert.equal(tokenRequests().length, 2, 'the first token, then one refresh');
  });

  it('gives up after one refresh when the platform keeps refusing', async () => {
    fail('GET', '/api/v2/things/x', 401, {
      count: 3,
      code: 'bad.credentials',
      message: 'Invalid login credentials.',
    });
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/x' }), (error: unknown) => {
      assert.ok(error instanceof GenesysApiError);
      assert.equal(error.status, 401);
      assert.equal(error.platformCode, 'bad.credentials');
      assert.match(error.hint ?? '', /OAuth client/);
      return true;
    });
    assert.equal(requestsTo('GET', '/api/v2/things/x').length, 2);
    assert.equal(tokenRequests().length, 2);
  });
});

describe('429: honour Retry-After, pause the whole budget', () => {
  it('waits at least Retry-After before the retry, and holds other callers too', async () => {
    fail('GET', '/api/v2/things/slow', 429, { retryAfterSeconds: 1 });
    const first = client.request({ method: 'GET', path: '/api/v2/things/slow' });
    // Once the client has taken in the 429, its whole budget is paused.
    while (client.stats().budget.pausedForMs === 0) await new Promise((r) => setTimeout(r, 5));
    const other = client.request({ method: 'GET', path: '/api/v2/things/other' });
    await Promise.all([first, other]);
    const [refused, retried] = requestsTo('GET', '/api/v2/things/slow');
    assert.ok(retried, 'the request was retried');
    assert.ok(retried.at - refused!.at >= 1000, `retry came ${retried.at - refused!.at} ms later`);
    const [otherCall] = requestsTo('GET', '/api/v2/things/other');
    assert.ok(otherCall!.at - refused!.at >= 1000, 'the pause held the other caller');
    assert.equal(client.stats().rateLimited, 1);
  });

  it('gives up at once when Retry-After exceeds the cap', async () => {
    fail('GET', '/api/v2/things/long', 429, { retryAfterSeconds: 120 });
    const started = performance.now();
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/long' }), (error: unknown) => {
      assert.ok(error instanceof RateLimitedError);
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryAfterSeconds, 120);
      assert.match(error.message, /120 s/);
      return true;
    });
    assert.ok(performance.now() - started < 1000);
    assert.equal(requestsTo('GET', '/api/v2/things/long').length, 1);
  });

  it('gives up after the configured number of 429s', async () => {
    await client.close();
    client = clientFor(server, { retry: { maxRateLimitRetries: 2 } });
    fail('GET', '/api/v2/things/busy', 429, { count: 4, ...retryAtOnce });
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/busy' }), RateLimitedError);
    assert.equal(requestsTo('GET', '/api/v2/things/busy').length, 3);
  });

  it('retries a POST after 429 (the platform did not process it)', async () => {
    fail('POST', '/api/v2/things', 429, retryAtOnce);
    const response = await client.request({ method: 'POST', path: '/api/v2/things', body: { a: 1 } });
    assert.deepEqual(response.body, { created: true });
    assert.equal(requestsTo('POST', '/api/v2/things').length, 2);
  });
});

describe('5xx and network failures: bounded backoff', () => {
  it('503 backs off and succeeds', async () => {
    fail('GET', '/api/v2/things/flaky', 503, { count: 2 });
    const response = await client.request<{ id: string }>({ method: 'GET', path: '/api/v2/things/flaky' });
    assert.equal(response.body.id, 'flaky');
    assert.equal(requestsTo('GET', '/api/v2/things/flaky').length, 3);
    assert.equal(client.stats().retries, 2);
  });

  it('stops after maxAttempts with the last GenesysApiError', async () => {
    await client.close();
    client = clientFor(server, { retry: { maxAttempts: 3 } });
    fail('GET', '/api/v2/things/down', 503, {
      count: 4,
      code: 'service.unavailable',
      message: 'The service is currently unavailable',
    });
    await assert.rejects(client.request({ method: 'GET', path: '/api/v2/things/down' }), (error: unknown) => {
      assert.ok(error instanceof GenesysApiError);
      assert.equal(error.status, 503);
      assert.equal(error.platformCode, 'service.unavailable');
      return true;
    });
    assert.equal(requestsTo('GET', '/api/v2/things/down').length, 3);
  });

  it('retries 502/504 for idempotent requests only', async () => {
    fail('GET', '/api/v2/things/gw', 502);
    fail('GET', '/api/v2/things/gw', 504);
    await client.request({ method: 'GET', path: '/api/v2/things/gw' });
    assert.equal(requestsTo('GET', '/api/v2/things/gw').length, 3);

    fail('POST', '/api/v2/things', 502);
    await assert.rejects(
      client.request({ method: 'POST', path: '/api/v2/things', body: {} }),
      (error: unknown) => error instanceof GenesysApiError && error.status === 502,
    );
    assert.equal(requestsTo('POST', '/api/v2/things').length, 1, 'a POST is not repeated after a 502');

    fail('POST', '/api/v2/things', 503);
    await client.request({ method: 'POST', path: '/api/v2/things', body: {} });
    assert.equal(requestsTo('POST', '/api/v2/things').length, 3, 'but it is after a 503');

    fail('POST', '/api/v2/things', 504);
    await client.request({ method: 'POST', path: '/api/v2/things', body: {}, idempotent: true });
    assert.equal(requestsTo('POST', '/api/v2/things').length, 5, 'or when declared idempotent');
  });

  it('retries an idempotent request after a dropped connection, not a POST', async () => {
    emulator.faults.cutRequests({ method: 'GET', pathPattern: exactly('/api/v2/things/drop') });
    const response = await client.request<{ id: string }>({ method: 'GET', path: '/api/v2/things/drop' });
    assert.equal(response.body.id, 'drop');
    assert.equal(requestsTo('GET', '/api/v2/things/drop').length, 2);

    emulator.faults.cutRequests({ method: 'POST', pathPattern: exactly('/api/v2/things') });
    await assert.rejects(
      client.request({ method: 'POST', path: '/api/v2/things', body: {} }),
      (error: unknown) => {
        assert.ok(error instanceof NetworkError);
        assert.match(error.hint ?? '', /duplicate/);
        return true;
      },
    );
    assert.equal(requestsTo('POST', '/api/v2/things').length, 1);
  });

  it('times out each attempt and gives up with a NetworkError', async () => {
    await client.close();
    client = clientFor(server, { timeoutMs: 100, retry: { maxAttempts: 2 } });
    emulator.faults.delayRequests({ pathPattern: exactly('/api/v2/things/stuck'), delayMs: 400, count: 2 });
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
    await waitFor(() => requestsTo('GET', '/api/v2/things/stuck').length === 2, 'both attempts answered');
    assert.equal(requestsTo('GET', '/api/v2/things/stuck').length, 2);
  });

  it('lets a caller abort', async () => {
    emulator.faults.delayRequests({ pathPattern: exactly('/api/v2/things/wait'), delayMs: 300 });
    const controller = new AbortController();
    const pending = client.request({ method: 'GET', path: '/api/v2/things/wait', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await assert.rejects(pending, /caller gave up/);
  });
});

describe('request()', () => {
  it('sends query, JSON body and headers; parses JSON, text and empty bodies', async () => {
    emulator.router.add('PUT', '/api/v2/echo', (req) => ({
      status: 200,
      body: { query: [...req.query.entries()], body: req.body, type: req.headers['content-type'] },
    }));
    emulator.router.add('GET', '/api/v2/text', () => ({ status: 200, body: 'plain words' }));
    emulator.router.add('DELETE', '/api/v2/things/{id}', () => ({ status: 204 }));
    emulator.router.add('HEAD', '/api/v2/things/{id}', () => ({ status: 200 }));

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
