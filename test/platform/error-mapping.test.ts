import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GenesysApiError } from '../../src/errors.js';
import { missingPermissions } from '../../src/platform/error-mapping.js';
import type { PlatformClient } from '../../src/platform/platform-client.js';
import { clientFor } from './support/clients.js';
import { type FakeGenesys, platformErrorBody, startFakeGenesys } from './support/fake-genesys.js';

let server: FakeGenesys;
let client: PlatformClient;

before(async () => {
  server = await startFakeGenesys();
  client = clientFor(server);
});
after(async () => {
  await client.close();
  await server.close();
});

async function failure(
  method: string,
  path: string,
  query?: Record<string, string>,
): Promise<GenesysApiError> {
  try {
    await client.request({
      method,
      path,
      ...(query ? { query } : {}),
      body: method === 'POST' ? {} : undefined,
    });
  } catch (error) {
    assert.ok(error instanceof GenesysApiError, `expected GenesysApiError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call should have failed');
}

describe('error mapping', () => {
  it('names the missing permission and where to grant it, with the correlation id', async () => {
    server.on('POST', '/api/v2/analytics/conversations/details/query', () => ({
      status: 403,
      headers: { 'ININ-Correlation-Id': 'corr-403-abc' },
      body: platformErrorBody(
        403,
        'missing.permissions',
        'Unable to perform the requested action. You are missing the following permission(s): [analytics:conversationDetail:view]',
      ),
    }));
    const error = await failure('POST', '/api/v2/analytics/conversations/details/query', {
      x: 'secret-query',
    });
    assert.equal(error.status, 403);
    assert.equal(error.platformCode, 'missing.permissions');
    assert.equal(error.correlationId, 'corr-403-abc');
    assert.equal(error.method, 'POST');
    assert.equal(error.path, '/api/v2/analytics/conversations/details/query', 'path has no query string');
    assert.match(error.hint ?? '', /analytics:conversationDetail:view/);
    assert.match(error.hint ?? '', /OAuth client's role in Admin > Roles/);
    assert.match(error.message, /corr-403-abc/);
    assert.equal(error.code, 'api_error');
  });

  it('lists the alternatives of missing.any.permissions from messageParams', async () => {
    server.on('GET', '/api/v2/routing/queues', () => ({
      status: 403,
      body: platformErrorBody(
        403,
        'missing.any.permissions',
        'You must have at least one of: {permissions}',
        {
          permissions: ['routing:queue:view', 'routing:queue:search'],
        },
      ),
    }));
    const error = await failure('GET', '/api/v2/routing/queues');
    assert.equal(error.platformCode, 'missing.any.permissions');
    assert.deepEqual(error.messageParams, { permissions: ['routing:queue:view', 'routing:queue:search'] });
    assert.match(error.hint ?? '', /any one of routing:queue:view, routing:queue:search/);
    assert.match(error.hint ?? '', /Admin > Roles/);
  });

  it('takes the correlation id from the body contextId when the header is missing', async () => {
    server.on('GET', '/api/v2/conversations/{id}', () => ({
      status: 404,
      headers: { 'ININ-Correlation-Id': '' },
      body: {
        ...platformErrorBody(404, 'not.found', 'The requested conversation was not found.'),
        contextId: 'ctx-77',
      },
    }));
    const error = await failure('GET', '/api/v2/conversations/c-404');
    assert.equal(error.status, 404);
    assert.equal(error.correlationId, 'ctx-77');
    assert.equal(error.platformCode, 'not.found');
    assert.match(error.hint ?? '', /\/api\/v2\/conversations\/c-404/);
    assert.match(error.hint ?? '', /check the id/);
  });

  it("puts the platform's message for a 400 in the hint", async () => {
    server.on('POST', '/api/v2/conversations/messages/agentless', () => ({
      status: 400,
      body: platformErrorBody(400, 'invalid.value', 'toAddress must be an E.164 number'),
    }));
    const error = await failure('POST', '/api/v2/conversations/messages/agentless');
    assert.equal(error.platformCode, 'invalid.value');
    assert.match(error.hint ?? '', /toAddress must be an E\.164 number/);
    assert.match(error.message, /400 invalid\.value: toAddress must be an E\.164 number/);
  });

  it('maps other statuses with a hint that says what to do', async () => {
    server.on('PUT', '/api/v2/things/{id}', (req) => {
      const status = Number(req.params.id);
      return { status, body: platformErrorBody(status, 'x.y', 'failed') };
    });
    const expectations: Array<[number, RegExp]> = [
      [403, /Admin > Roles/],
      [409, /fetch it again/],
      [413, /512,000 bytes/],
      [500, /retry later/],
    ];
    for (const [status, hint] of expectations) {
      const error = await failure('PUT', `/api/v2/things/${status}`);
      assert.equal(error.status, status);
      assert.match(error.hint ?? '', hint);
    }
  });
});

describe('missingPermissions', () => {
  it('finds permission names in messageParams (strings, arrays, nested) and in the message', () => {
    assert.deepEqual(
      missingPermissions({
        message: 'missing [conversation:message:create]',
        messageParams: {
          permissions: '[externalContacts:contact:view, routing:queue:view]',
          other: { p: ['a:b:c'] },
        },
      }).sort(),
      ['a:b:c', 'conversation:message:create', 'externalContacts:contact:view', 'routing:queue:view'],
    );
    assert.deepEqual(missingPermissions({ message: 'no permission named here' }), []);
    assert.deepEqual(missingPermissions(undefined), []);
  });
});
