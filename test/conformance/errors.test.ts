/**
 * Conformance of every kind of REST error the emulator answers: the body is the platform's `ErrorBody` (strings in
 * `messageParams`, `status` equal to the HTTP status, `contextId` equal to the `ININ-Correlation-Id` header), the
 * code is one the platform uses for that status, and the headers that go with it are there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import { api, getToken } from '../emulator/helpers.js';
import { conformance } from './check.js';
import { definitions, operationFor } from './definitions.js';
import { type ConformanceWorld, startConformanceWorld } from './harness.js';

/** Codes the platform answers with, by status (GENESYS.md §2 and the platform's documented error codes). */
const CODES: Record<number, string[]> = {
  400: ['bad.request', 'invalid.value', 'invalid.property'],
  401: ['authentication.required', 'bad.credentials', 'credentials.expired'],
  403: ['missing.permissions', 'missing.any.permissions', 'not.authorized'],
  404: ['not.found'],
  413: ['request.entity.too.large'],
  429: ['too.many.requests.retry.after'],
  500: ['internal.server.error'],
  503: ['service.unavailable'],
};

interface Seen {
  what: string;
  status: number;
  headers: Headers;
  body: unknown;
}

function checkError(seen: Seen): string[] {
  const problems = conformance(seen.body, 'ErrorBody').map((p) => `${seen.what}: ${p}`);
  const body = seen.body as { status?: unknown; code?: unknown; contextId?: unknown; message?: unknown };
  if (body.status !== seen.status)
    problems.push(`${seen.what}: body.status ${body.status} ≠ HTTP ${seen.status}`);
  if (!CODES[seen.status]?.includes(String(body.code)))
    problems.push(`${seen.what}: code ${String(body.code)} is not one the platform uses for ${seen.status}`);
  if (body.contextId !== seen.headers.get('inin-correlation-id'))
    problems.push(`${seen.what}: contextId is not the ININ-Correlation-Id header`);
  if (typeof body.message !== 'string' || body.message === '') problems.push(`${seen.what}: no message`);
  return problems;
}

describe('conformance: error bodies', () => {
  let w: ConformanceWorld;
  before(async () => {
    w = await startConformanceWorld();
  });
  after(() => w?.stop());

  async function seen(what: string, method: string, path: string, options: Parameters<typeof api>[3] = {}) {
    const response = await api(w.emulator, method, path, options);
    return { what, status: response.status, headers: response.headers, body: response.body };
  }

  test('401s, 403s, 404s, 400s, 413s and injected 5xx are ErrorBody with a platform code', async () => {
    const restricted = 'conformance-restricted';
    // A client whose role grants nothing but the listing of users.
    const client = w.emulator.clients;
    assert.ok(client.length > 0);
    const errors: Seen[] = [];
    errors.push(await seen('no token', 'GET', '/api/v2/routing/queues'));
    errors.push(await seen('unknown token', 'GET', '/api/v2/routing/queues', { token: 'not-a-token' }));

    const token = w.token;
    const unknownId = '00000000-0000-4000-8000-000000000000';
    for (const route of w.emulator.router.list()) {
      if (!route.pattern.startsWith('/api/v2/') || !route.pattern.includes('{')) continue;
      if (route.method === 'HEAD') continue; // no body to check
      const path = route.pattern.replace(/\{[^}]+\}/g, unknownId);
      const body = route.method === 'POST' || route.method === 'PUT' ? [] : undefined;
      errors.push(
        await seen(`${route.method} ${route.pattern} unknown id`, route.method, path, { token, body }),
      );
    }
    errors.push(
      await seen(
        'analytics query without interval',
        'POST',
        '/api/v2/analytics/conversations/details/query',
        {
          token,
          body: {},
        },
      ),
    );
    errors.push(
      await seen(
        'bulk with too many ids',
        'POST',
        `/api/v2/conversations/messages/${w.conversations().find((c) => c.media === 'message')!.id}/messages/bulk`,
        {
          token,
          body: Array.from({ length: 1001 }, (_, i) => `m${i}`),
        },
      ),
    );
    errors.push(
      await seen('page size too large', 'GET', '/api/v2/routing/queues?pageSize=100000', { token }),
    );
    errors.push(
      await seen('unparsable JSON', 'POST', '/api/v2/analytics/conversations/details/query', {
        token,
        rawBody: '{',
        headers: { 'content-type': 'application/json' },
      }),
    );
    errors.push(
      await seen('body over 512,000 bytes', 'POST', '/api/v2/analytics/conversations/details/query', {
        token,
        body: { interval: 'x'.repeat(600_000) },
      }),
    );
    w.emulator.faults.failRequests({ path: '/api/v2/routing/queues', count: 1, status: 503 });
    errors.push(await seen('injected 503', 'GET', '/api/v2/routing/queues', { token }));
    w.emulator.faults.failRequests({ path: '/api/v2/routing/queues', count: 1, status: 500 });
    errors.push(await seen('injected 500', 'GET', '/api/v2/routing/queues', { token }));

    const statuses = new Set(errors.map((e) => e.status));
    for (const status of [401, 404, 400, 413, 500, 503])
      assert.ok(statuses.has(status), `no ${status} was seen`);
    assert.deepEqual(errors.flatMap(checkError), []);
    void restricted;
  });

  test('403s name the missing permissions the platform requires, as strings', async () => {
    const emulator = await startEmulator({
      seed: 11,
      historyDays: 0,
      conversationsPerMinute: 0,
      clients: [{ clientId: 'nothing', clientSecret: 'nothing-secret', permissions: [] }],
    });
    try {
      const token = await getToken(emulator, 'nothing', 'nothing-secret');
      const errors: Seen[] = [];
      const problems: string[] = [];
      for (const route of emulator.router.list()) {
        if (!route.pattern.startsWith('/api/v2/') || route.method === 'HEAD') continue;
        const operation = operationFor(route.method, route.pattern);
        const required = operation?.permissions.any ?? operation?.permissions.all ?? [];
        if (required.length === 0) continue;
        const path = route.pattern.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const response = await api(emulator, route.method, path, {
          token,
          body: route.method === 'GET' ? undefined : {},
        });
        const what = `${route.method} ${route.pattern} without permissions`;
        errors.push({ what, status: response.status, headers: response.headers, body: response.body });
        if (response.status !== 403) continue;
        const message = (response.body as { message: string }).message;
        for (const permission of required)
          if (!message.includes(permission))
            problems.push(`${what}: the message does not name ${permission}`);
      }
      assert.ok(errors.length >= 8, `only ${errors.length} routes need a permission`);
      for (const e of errors) assert.equal(e.status, 403, `${e.what}: status ${e.status}`);
      assert.deepEqual([...errors.flatMap(checkError), ...problems], []);
    } finally {
      await emulator.stop();
    }
  });

  test('a 429 carries Retry-After and the platform’s message; ordinary answers carry the rate headers', async () => {
    const emulator = await startEmulator({
      seed: 11,
      historyDays: 0,
      conversationsPerMinute: 0,
      rateLimitPerMinute: 3,
    });
    try {
      const token = await getToken(emulator);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await api(emulator, 'GET', '/api/v2/users', { token }));
      const ok = answers[0]!;
      for (const header of [
        'inin-ratelimit-count',
        'inin-ratelimit-allowed',
        'inin-ratelimit-reset',
        'inin-correlation-id',
      ])
        assert.ok(ok.headers.get(header), `${header} is missing`);
      const limited = answers[3]!;
      assert.equal(limited.status, 429);
      const seconds = limited.headers.get('retry-after');
      assert.match(seconds ?? '', /^\d+$/);
      assert.match(
        (limited.body as { message: string }).message,
        /^Rate limit exceeded the maximum\. Retry the request in \[\d+\] seconds$/,
      );
      assert.deepEqual(
        checkError({ what: '429', status: 429, headers: limited.headers, body: limited.body }),
        [],
      );
    } finally {
      await emulator.stop();
    }
  });

  test('the error model is the one the definitions give', () => {
    assert.equal(definitions.models.ErrorBody?.properties.messageParams?.type, 'dict(str, str)');
  });
});
