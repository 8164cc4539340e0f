import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { platformError } from '../../src/emulator/router.js';
import { api, type ErrorBody, getToken } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts the platform error shape, the status and code, and that contextId is the response's correlation id. */
function assertPlatformError(
  response: { status: number; headers: Headers; body: unknown },
  status: number,
  code: string,
) {
  assert.equal(response.status, status);
  const body = response.body as ErrorBody;
  assert.deepEqual(Object.keys(body).sort(), [
    'code',
    'contextId',
    'details',
    'errors',
    'message',
    'messageParams',
    'status',
  ]);
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  const correlationId = response.headers.get('inin-correlation-id');
  assert.match(correlationId ?? '', UUID);
  assert.equal(body.contextId, correlationId);
  return body;
}

describe('emulator HTTP shell', () => {
  let emulator: Emulator;
  let token: string;
  before(async () => {
    emulator = await startEmulator({
      world: false,
      clients: [{ clientId: 'reader', clientSecret: 'reader-secret', permissions: ['routing:queue:view'] }],
    });
    emulator.router.add('GET', '/api/v2/test/guarded', () => ({ status: 200, body: { ok: true } }), {
      permissions: ['analytics:conversationDetail:view'],
    });
    emulator.router.add('GET', '/api/v2/test/either', () => ({ status: 200, body: { ok: true } }), {
      permissions: ['analytics:conversationDetail:view', 'routing:queue:view'],
    });
    emulator.router.add('GET', '/api/v2/test/boom', () => {
      throw new Error('handler failure');
    });
    emulator.router.add('POST', '/api/v2/test/echo', (request) => ({
      status: 200,
      body: { echoed: request.body },
    }));
    emulator.router.add('GET', '/api/v2/test/teapot', () =>
      platformError(418, 'bad.request', 'short and stout'),
    );
    token = await getToken(emulator);
  });
  after(() => emulator.stop());

  it('answers 401 authentication.required without a token, with a correlation id', async () => {
    const body = assertPlatformError(
      await api(emulator, 'GET', '/api/v2/notifications/channels'),
      401,
      'authentication.required',
    );
    assert.match(body.message, /bearer token/i);
  });

  it('answers 401 for an unknown token', async () => {
    assertPlatformError(
      await api(emulator, 'GET', '/api/v2/notifications/channels', { token: 'not-a-token' }),
      401,
      'bad.credentials',
    );
  });

  it('answers 404 not.found for unknown API paths, e.g. /api/v2/conversations/webchat', async () => {
    assertPlatformError(
      await api(emulator, 'GET', '/api/v2/conversations/webchat', { token }),
      404,
      'not.found',
    );
    assertPlatformError(await api(emulator, 'GET', '/nothing-here'), 404, 'not.found');
  });

  it('answers 405 with Allow for a known path and the wrong method', async () => {
    const response = await api(emulator, 'PATCH', '/api/v2/notifications/channels', { token });
    const body = assertPlatformError(response, 405, 'method.not.allowed');
    assert.equal(response.headers.get('allow'), 'POST, GET');
    assert.equal(body.messageParams.allowed, 'POST, GET');
  });

  it('answers 403 missing.permissions naming the permission in message and messageParams', async () => {
    const reader = await getToken(emulator, 'reader', 'reader-secret');
    const response = await api(emulator, 'GET', '/api/v2/test/guarded', { token: reader });
    const body = assertPlatformError(response, 403, 'missing.permissions');
    assert.match(body.message, /analytics:conversationDetail:view/);
    assert.equal(body.messageParams.permissions, 'analytics:conversationDetail:view');
    assert.equal((await api(emulator, 'GET', '/api/v2/test/either', { token: reader })).status, 200);
    assert.equal((await api(emulator, 'GET', '/api/v2/test/guarded', { token })).status, 200);
  });

  it('answers 413 in the platform shape for a body over 512,000 bytes and accepts one under it', async () => {
    const big = { data: 'x'.repeat(512_001) };
    assertPlatformError(
      await api(emulator, 'POST', '/api/v2/test/echo', { token, body: big }),
      413,
      'request.entity.too.large',
    );
    const fits = { data: 'x'.repeat(511_000) };
    const ok = await api(emulator, 'POST', '/api/v2/test/echo', { token, body: fits });
    assert.equal(ok.status, 200);
    assert.equal((ok.body as { echoed: { data: string } }).echoed.data.length, 511_000);
  });

  it('answers malformed JSON with 400 bad.request', async () => {
    assertPlatformError(
      await api(emulator, 'POST', '/api/v2/test/echo', {
        token,
        rawBody: '{"oops":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'bad.request',
    );
  });

  it('turns handler exceptions into 500 internal.server.error', async () => {
    assertPlatformError(
      await api(emulator, 'GET', '/api/v2/test/boom', { token }),
      500,
      'internal.server.error',
    );
  });

  it('fills contextId of handler errors with the correlation id', async () => {
    assertPlatformError(await api(emulator, 'GET', '/api/v2/test/teapot', { token }), 418, 'bad.request');
  });

  it('puts rate-limit headers on ordinary responses and a fresh correlation id on each', async () => {
    const first = await api(emulator, 'GET', '/api/v2/notifications/channels', { token });
    const second = await api(emulator, 'GET', '/api/v2/notifications/channels', { token });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('inin-ratelimit-allowed'), '300');
    assert.equal(
      Number(second.headers.get('inin-ratelimit-count')),
      Number(first.headers.get('inin-ratelimit-count')) + 1,
    );
    const reset = Number(first.headers.get('inin-ratelimit-reset'));
    assert.ok(reset >= 1 && reset <= 60, `reset ${reset}`);
    assert.notEqual(first.headers.get('inin-correlation-id'), second.headers.get('inin-correlation-id'));
  });

  it('answers 429 with Retry-After past the per-token limit, without touching other tokens', async () => {
    emulator.faults.setRateLimit(3);
    try {
      const limited = await getToken(emulator);
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await api(emulator, 'GET', '/api/v2/notifications/channels', { token: limited })).status,
          200,
        );
      }
      const response = await api(emulator, 'GET', '/api/v2/notifications/channels', { token: limited });
      const body = assertPlatformError(response, 429, 'too.many.requests.retry.after');
      const retryAfter = Number(response.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60);
      assert.equal(
        body.message,
        `Rate limit exceeded the maximum. Retry the request in [${retryAfter}] seconds`,
      );
      const fresh = await getToken(emulator);
      assert.equal(
        (await api(emulator, 'GET', '/api/v2/notifications/channels', { token: fresh })).status,
        200,
      );
    } finally {
      emulator.faults.setRateLimit(300);
    }
  });

  it('does not count admin and OAuth requests against the limit', async () => {
    const response = await api(emulator, 'GET', '/__emulator/status');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('inin-ratelimit-count'), null);
    assert.match(response.headers.get('inin-correlation-id') ?? '', UUID);
  });
});

describe('emulator request faults', () => {
  let emulator: Emulator;
  let token: string;
  before(async () => {
    emulator = await startEmulator({ world: false });
    token = await getToken(emulator);
  });
  after(() => emulator.stop());

  it('fails the next N matching requests by prefix, then recovers', async () => {
    const applied = await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'fail-requests', path: '/api/v2/notifications', count: 2, status: 503 },
    });
    assert.deepEqual(applied.body, { type: 'fail-requests', affected: 2 });
    assertPlatformError(
      await api(emulator, 'GET', '/api/v2/notifications/channels', { token }),
      503,
      'service.unavailable',
    );
    assertPlatformError(
      await api(emulator, 'POST', '/api/v2/notifications/channels', { token }),
      503,
      'service.unavailable',
    );
    assert.equal((await api(emulator, 'GET', '/api/v2/notifications/channels', { token })).status, 200);
  });

  it('fails by regular expression and method, with 429 and Retry-After', async () => {
    await api(emulator, 'POST', '/__emulator/faults', {
      body: {
        type: 'fail-requests',
        pathPattern: '^/api/v2/notifications/channels$',
        method: 'POST',
        status: 429,
        retryAfterSeconds: 7,
      },
    });
    assert.equal((await api(emulator, 'GET', '/api/v2/notifications/channels', { token })).status, 200);
    const response = await api(emulator, 'POST', '/api/v2/notifications/channels', { token });
    const body = assertPlatformError(response, 429, 'too.many.requests.retry.after');
    assert.equal(response.headers.get('retry-after'), '7');
    assert.match(body.message, /\[7\] seconds/);
    assert.equal((await api(emulator, 'POST', '/api/v2/notifications/channels', { token })).status, 200);
  });

  it('can fail the token endpoint and accepts several commands at once', async () => {
    const applied = await api(emulator, 'POST', '/__emulator/faults', {
      body: [
        { type: 'fail-requests', path: '/oauth/token', status: 500 },
        { type: 'rate-limit', perMinute: 120 },
      ],
    });
    assert.equal(applied.status, 200);
    assert.equal((applied.body as unknown[]).length, 2);
    const failed = await fetch(`${emulator.url}/oauth/token`, {
      method: 'POST',
      body: 'grant_type=client_credentials',
    });
    assert.equal(failed.status, 500);
    const status = await api(emulator, 'GET', '/__emulator/status');
    assert.equal((status.body as { rateLimitPerMinute: number }).rateLimitPerMinute, 120);
  });

  it('holds the next N matching requests for delayMs, the token endpoint included, and no others', async () => {
    const applied = await api(emulator, 'POST', '/__emulator/faults', {
      body: [
        { type: 'delay-requests', path: '/api/v2/notifications/channels', method: 'GET', delayMs: 300 },
        { type: 'delay-requests', path: '/oauth/token', delayMs: 300 },
      ],
    });
    assert.deepEqual(applied.body, [
      { type: 'delay-requests', affected: 1 },
      { type: 'delay-requests', affected: 1 },
    ]);
    const order: string[] = [];
    const started = performance.now();
    const slow = api(emulator, 'GET', '/api/v2/notifications/channels', { token }).then((response) => {
      order.push('delayed');
      return response;
    });
    const fast = api(emulator, 'POST', '/api/v2/notifications/channels', { token }).then((response) => {
      order.push('other');
      return response;
    });
    const [slowResponse, fastResponse] = await Promise.all([slow, fast]);
    assert.equal(slowResponse.status, 200, 'a delayed request is still served');
    assert.equal(fastResponse.status, 200);
    assert.deepEqual(order, ['other', 'delayed']);
    assert.ok(performance.now() - started >= 300);
    const tokenStarted = performance.now();
    await getToken(emulator);
    assert.ok(performance.now() - tokenStarted >= 300, 'the token endpoint waited');
    const status = (await api(emulator, 'GET', '/__emulator/status')).body as {
      pendingRequestFaults: number;
    };
    assert.equal(status.pendingRequestFaults, 0, 'each delay was used once');
  });

  it('serves a cut request but loses its reply: no byte of it, or the headers and half the body', async () => {
    const before = await api(emulator, 'GET', '/api/v2/notifications/channels', { token });
    const channelsBefore = (before.body as { entities: unknown[] }).entities.length;
    await api(emulator, 'POST', '/__emulator/faults', {
      body: [
        { type: 'cut-requests', path: '/api/v2/notifications/channels', method: 'POST' },
        { type: 'cut-requests', path: '/api/v2/notifications/channels', method: 'GET', midResponse: true },
      ],
    });
    const lost = await rawRequest(emulator.url, 'POST', '/api/v2/notifications/channels', token);
    assert.equal(lost.status, undefined, 'no status line came back');
    assert.ok(lost.error, 'the connection was cut');
    const partial = await rawRequest(emulator.url, 'GET', '/api/v2/notifications/channels', token);
    assert.equal(partial.status, 200, 'the status line and headers came back');
    assert.ok(partial.error, 'the body was cut short');
    assert.ok(
      partial.received < partial.contentLength,
      `${partial.received} of ${partial.contentLength} bytes`,
    );
    const after = await api(emulator, 'GET', '/api/v2/notifications/channels', { token });
    assert.equal(after.status, 200, 'the next request is answered in full');
    assert.equal(
      (after.body as { entities: unknown[] }).entities.length,
      channelsBefore + 1,
      'the cut POST was served: its channel exists',
    );
  });

  it('journals every request but the admin routes: headers and body as sent, status as answered', async () => {
    emulator.requests.clear();
    const basic = `Basic ${Buffer.from('nobody:nothing').toString('base64')}`;
    const refused = await fetch(`${emulator.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(refused.status, 401);
    await api(emulator, 'GET', '/api/v2/notifications/channels?includechannels=oauthclient', { token });
    await api(emulator, 'GET', '/__emulator/status');
    const entries = emulator.requests.list();
    assert.deepEqual(
      entries.map((entry) => `${entry.method} ${entry.path} ${entry.status}`),
      ['POST /oauth/token 401', 'GET /api/v2/notifications/channels 200'],
    );
    const [tokenRequest, listing] = entries;
    assert.equal(tokenRequest!.headers.authorization, basic);
    assert.equal(tokenRequest!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(tokenRequest!.text, 'grant_type=client_credentials');
    assert.equal(listing!.query.get('includechannels'), 'oauthclient');
    assert.equal(listing!.correlationId.length > 0, true);
    assert.ok(listing!.at >= tokenRequest!.at);
    assert.equal(emulator.requests.list('post', '/oauth/token').length, 1);
    assert.equal(emulator.requests.list(undefined, /^\/api\//).length, 1);
  });

  it('rejects malformed fault commands with 400', async () => {
    const response = await api(emulator, 'POST', '/__emulator/faults', { body: { type: 'set-on-fire' } });
    assertPlatformError(response, 400, 'bad.request');
    const badPattern = await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'fail-requests', pathPattern: '(' },
    });
    assertPlatformError(badPattern, 400, 'bad.request');
    const badDelay = await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'delay-requests', path: '/api' },
    });
    assertPlatformError(badDelay, 400, 'bad.request');
  });
});

/** One request over node:http, reporting what arrived before the connection ended. */
function rawRequest(
  base: string,
  method: string,
  path: string,
  token: string,
): Promise<{
  status: number | undefined;
  contentLength: number;
  received: number;
  error: Error | undefined;
}> {
  return new Promise((resolve) => {
    const outcome = {
      status: undefined as number | undefined,
      contentLength: 0,
      received: 0,
      error: undefined as Error | undefined,
    };
    const request = httpRequest(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    request.on('response', (response) => {
      outcome.status = response.statusCode;
      outcome.contentLength = Number(response.headers['content-length']);
      response.on('data', (chunk: Buffer) => {
        outcome.received += chunk.length;
      });
      response.on('error', (error) => {
        outcome.error = error;
      });
      response.on('close', () => {
        if (!response.complete) outcome.error ??= new Error('response incomplete');
        resolve(outcome);
      });
    });
    request.on('error', (error) => {
      outcome.error = error;
      if (outcome.status === undefined) resolve(outcome);
    });
    request.end();
  });
}
