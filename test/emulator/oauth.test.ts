import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { api, type ErrorBody, getToken, sleep } from './helpers.js';

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

async function tokenRequest(emulator: Emulator, authorization: string | undefined, body: string) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization) headers.authorization = authorization;
  const response = await fetch(`${emulator.url}/oauth/token`, { method: 'POST', headers, body });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('emulator OAuth', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator({
      world: false,
      tokenLifetimeSeconds: 1,
      clients: [{ clientId: 'other', clientSecret: 'other-secret', permissions: ['*'] }],
    });
  });
  after(() => emulator.stop());

  it('issues a bearer token for client credentials', async () => {
    const response = await tokenRequest(
      emulator,
      basic('switchboard-demo', 'switchboard-demo-secret'),
      'grant_type=client_credentials',
    );
    assert.equal(response.status, 200);
    assert.equal(response.body.token_type, 'bearer');
    assert.equal(response.body.expires_in, 1);
    assert.equal(typeof response.body.access_token, 'string');
    assert.ok((response.body.access_token as string).length >= 40);
    assert.match(response.headers.get('inin-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('answers a bad secret with 401 invalid_client in the token error shape', async () => {
    const response = await tokenRequest(
      emulator,
      basic('switchboard-demo', 'wrong'),
      'grant_type=client_credentials',
    );
    assert.equal(response.status, 401);
    assert.deepEqual(Object.keys(response.body).sort(), ['description', 'error']);
    assert.equal(response.body.error, 'invalid_client');
    assert.ok(response.headers.get('inin-correlation-id'));
  });

  it('answers an unknown client and missing credentials with 401 invalid_client', async () => {
    const unknown = await tokenRequest(emulator, basic('nobody', 'x'), 'grant_type=client_credentials');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid_client');
    const none = await tokenRequest(emulator, undefined, 'grant_type=client_credentials');
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'invalid_client');
  });

  it('refuses other grants with 400 unsupported_grant_type and a missing grant with invalid_request', async () => {
    const password = await tokenRequest(
      emulator,
      basic('switchboard-demo', 'switchboard-demo-secret'),
      'grant_type=password&username=a&password=b',
    );
    assert.equal(password.status, 400);
    assert.equal(password.body.error, 'unsupported_grant_type');
    const missing = await tokenRequest(emulator, basic('switchboard-demo', 'switchboard-demo-secret'), '');
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
  });

  it('answers an expired token with 401 credentials.expired', async () => {
    const token = await getToken(emulator);
    assert.equal((await api(emulator, 'GET', '/api/v2/notifications/channels', { token })).status, 200);
    await sleep(1100);
    const response = await api(emulator, 'GET', '/api/v2/notifications/channels', { token });
    assert.equal(response.status, 401);
    const body = response.body as ErrorBody;
    assert.equal(body.code, 'credentials.expired');
    assert.equal(body.status, 401);
    assert.equal(body.contextId, response.headers.get('inin-correlation-id'));
  });

  it('answers a revoked token with 401 and leaves other clients alone', async () => {
    emulator.tokens.setLifetimeSeconds(60);
    const mine = await getToken(emulator);
    const theirs = await getToken(emulator, 'other', 'other-secret');
    assert.equal(emulator.faults.revokeTokens({ clientId: 'switchboard-demo' }), 1);
    const revoked = await api(emulator, 'GET', '/api/v2/notifications/channels', { token: mine });
    assert.equal(revoked.status, 401);
    assert.equal((revoked.body as ErrorBody).code, 'bad.credentials');
    const other = await api(emulator, 'GET', '/api/v2/notifications/channels', { token: theirs });
    assert.equal(other.status, 200);
  });

  it('revokes the calling token on DELETE /api/v2/tokens/me and describes it on GET', async () => {
    const token = await getToken(emulator, 'other', 'other-secret');
    const info = await api(emulator, 'GET', '/api/v2/tokens/me', { token });
    assert.equal(info.status, 200);
    assert.equal((info.body as { OAuthClient: { id: string } }).OAuthClient.id, 'other');
    const deleted = await api(emulator, 'DELETE', '/api/v2/tokens/me', { token });
    assert.equal(deleted.status, 204);
    const after = await api(emulator, 'GET', '/api/v2/tokens/me', { token });
    assert.equal(after.status, 401);
  });
});
