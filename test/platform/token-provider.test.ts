import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { AuthenticationError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging.js';
import { resolveRegion } from '../../src/platform/region.js';
import { ClientCredentialsTokenProvider, type TokenInfo } from '../../src/platform/token-provider.js';

let emulator: Emulator;
const { clientId, clientSecret } = DEFAULT_CLIENT;

beforeEach(async () => {
  emulator = await startEmulator({ world: false });
});
afterEach(async () => {
  await emulator.stop();
});

/** Every request the emulator's token endpoint received. */
const tokenRequests = () => emulator.requests.list('POST', '/oauth/token');
const issuedByEmulator = (token: string) => emulator.tokens.check(token).status === 'valid';

function provider(overrides: { clientSecret?: string; refreshMarginMs?: number } = {}) {
  return new ClientCredentialsTokenProvider({
    region: resolveRegion(emulator.url),
    clientId,
    clientSecret: overrides.clientSecret ?? clientSecret,
    logger: silentLogger(),
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
    ...(overrides.refreshMarginMs !== undefined ? { refreshMarginMs: overrides.refreshMarginMs } : {}),
  });
}

describe('ClientCredentialsTokenProvider', () => {
  it('asks for a token with HTTP Basic credentials and a client_credentials form body', async () => {
    const tokens = provider();
    const token = await tokens.getToken();
    assert.ok(issuedByEmulator(token));
    assert.equal(emulator.tokens.counts().active, 1);
    assert.equal(tokenRequests().length, 1);
    const request = tokenRequests()[0]!;
    assert.equal(
      request.headers.authorization,
      `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    );
    assert.equal(request.text, 'grant_type=client_credentials');
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  it('caches the token and exposes its expiry', async () => {
    emulator.tokens.setLifetimeSeconds(3600);
    const tokens = provider();
    const before = Date.now();
    const first = await tokens.getToken();
    const second = await tokens.getToken();
    assert.equal(first, second);
    assert.equal(tokenRequests().length, 1);
    const info = tokens.current();
    assert.ok(info);
    assert.equal(info.expiresInSeconds, 3600);
    assert.ok(info.expiresAt >= before + 3_600_000 && info.expiresAt <= Date.now() + 3_600_000);
    assert.equal(info.generation, 1);
    assert.equal(
      (info as unknown as Record<string, unknown>).value,
      undefined,
      'info never carries the token',
    );
  });

  it('shares one refresh among 50 concurrent callers', async () => {
    emulator.faults.delayRequests({ path: '/oauth/token', delayMs: 50, count: 50 });
    const tokens = provider();
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    assert.equal(tokenRequests().length, 1);
    assert.equal(new Set(results).size, 1);
  });

  it('refreshes ahead of expiry in the background and announces the new token', async () => {
    emulator.tokens.setLifetimeSeconds(2);
    const tokens = provider({ refreshMarginMs: 1_700 }); // capped at half the lifetime: due after ~1 s
    const announced: TokenInfo[] = [];
    tokens.onToken((info) => announced.push(info));
    const first = await tokens.getToken();
    assert.equal(await tokens.getToken(), first, 'still fresh right after');
    assert.equal(tokenRequests().length, 1);

    await new Promise((r) => setTimeout(r, 1_100));
    emulator.faults.delayRequests({ path: '/oauth/token', delayMs: 200, count: 10 });
    const renewed = new Promise<TokenInfo>((resolve) => tokens.onToken(resolve));
    const started = performance.now();
    assert.equal(await tokens.getToken(), first, 'the caller keeps the valid token...');
    assert.ok(performance.now() - started < 150, '...without waiting for the refresh');
    await Promise.all([tokens.getToken(), tokens.getToken()]);
    const info = await renewed;
    assert.equal(info.generation, 2);
    const second = await tokens.getToken();
    assert.notEqual(second, first);
    assert.equal(tokenRequests().length, 2, 'one early refresh, shared');
    assert.deepEqual(
      announced.map((i) => i.generation),
      [1, 2],
    );
    assert.ok(announced[1]!.expiresAt > announced[0]!.expiresAt);
  });

  it('waits for a new token once the old one is too close to expiry', async () => {
    emulator.tokens.setLifetimeSeconds(1);
    const tokens = provider({ refreshMarginMs: 0 });
    const first = await tokens.getToken();
    await new Promise((r) => setTimeout(r, 800)); // usable until 750 ms (a quarter of the life before expiry)
    const second = await tokens.getToken();
    assert.notEqual(second, first);
    assert.equal(tokenRequests().length, 2);
  });

  it('invalidate drops only the token that was refused', async () => {
    const tokens = provider();
    const first = await tokens.getToken();
    tokens.invalidate('some-other-token');
    assert.equal(await tokens.getToken(), first);
    tokens.invalidate(first);
    const second = await tokens.getToken();
    assert.notEqual(second, first);
    assert.equal(tokenRequests().length, 2);
  });

  it('fails fast on a bad secret: one token request, AuthenticationError naming region and variables', async () => {
    const tokens = provider({ clientSecret: 'wrong' });
    const attempts = Array.from({ length: 10 }, () => tokens.getToken());
    for (const attempt of attempts) {
      await assert.rejects(attempt, (error: unknown) => {
        assert.ok(error instanceof AuthenticationError);
        assert.equal(error.code, 'auth_failed');
        assert.equal(error.status, 401);
        assert.equal(error.oauthError, 'invalid_client');
        assert.match(error.message, /authentication failed/, "the platform's description");
        assert.match(error.hint ?? '', /GENESYS_CLOUD_CLIENT_ID/);
        assert.match(error.hint ?? '', /GENESYS_CLOUD_CLIENT_SECRET/);
        assert.ok(error.hint?.includes(emulator.url), 'the hint names where it tried');
        return true;
      });
    }
    assert.equal(tokenRequests().length, 1);
  });

  it('names the region in the hint for a real region', async () => {
    const tokens = new ClientCredentialsTokenProvider({
      region: { ...resolveRegion('eu_west_1'), loginBaseUrl: emulator.url },
      clientId,
      clientSecret: 'wrong',
      logger: silentLogger(),
    });
    await assert.rejects(tokens.getToken(), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.match(error.hint ?? '', /eu_west_1/);
      return true;
    });
  });

  it('retries a failing token endpoint a bounded number of times', async () => {
    emulator.faults.failRequests({ path: '/oauth/token', status: 503 });
    emulator.faults.failRequests({ path: '/oauth/token', status: 502 });
    const tokens = provider();
    const token = await tokens.getToken();
    assert.ok(issuedByEmulator(token));
    assert.equal(emulator.tokens.counts().active, 1);
    assert.equal(tokenRequests().length, 3);

    emulator.faults.failRequests({ path: '/oauth/token', status: 503, count: 3 });
    tokens.invalidate();
    await assert.rejects(
      tokens.getToken(),
      (error: unknown) => (error as { status?: number }).status === 503,
    );
    assert.equal(tokenRequests().length, 6, 'three attempts, then the error');
  });

  it('gives up on an unreachable login server with a NetworkError', async () => {
    const tokens = new ClientCredentialsTokenProvider({
      region: resolveRegion('http://127.0.0.1:1'),
      clientId: 'x',
      clientSecret: 'y',
      logger: silentLogger(),
      retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 },
    });
    await assert.rejects(
      tokens.getToken(),
      (error: unknown) => (error as { code?: string }).code === 'network_error',
    );
    assert.equal(tokens.stats().tokenRequests, 2);
  });
});
