import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientRegistry, DEFAULT_CLIENT, parseClientSpec } from '../../../src/emulator/auth/clients.js';
import { TokenStore } from '../../../src/emulator/auth/tokens.js';
import { ConfigError } from '../../../src/errors.js';

describe('emulator clients and tokens', () => {
  it('parses id:secret[:perm,perm], permissions containing colons', () => {
    assert.deepEqual(parseClientSpec('a:b'), { clientId: 'a', clientSecret: 'b', permissions: ['*'] });
    assert.deepEqual(parseClientSpec('a:b:routing:queue:view, analytics:*:*'), {
      clientId: 'a',
      clientSecret: 'b',
      permissions: ['routing:queue:view', 'analytics:*:*'],
    });
    assert.throws(() => parseClientSpec('lonely'), ConfigError);
    assert.throws(() => parseClientSpec(':secret'), ConfigError);
    assert.throws(() => parseClientSpec('a:'), ConfigError);
  });

  it('authenticates only with the right secret', () => {
    const registry = new ClientRegistry([DEFAULT_CLIENT]);
    assert.ok(registry.authenticate(DEFAULT_CLIENT.clientId, DEFAULT_CLIENT.clientSecret));
    assert.equal(registry.authenticate(DEFAULT_CLIENT.clientId, 'nope'), undefined);
    assert.equal(registry.authenticate('nobody', DEFAULT_CLIENT.clientSecret), undefined);
  });

  it('tells valid, expired, revoked and unknown tokens apart and notifies listeners', () => {
    let now = 1_000_000;
    const store = new TokenStore(60, () => now);
    const client = new ClientRegistry([DEFAULT_CLIENT]).get(DEFAULT_CLIENT.clientId)!;
    const ended: string[] = [];
    store.onEnd((records, reason) => ended.push(`${reason}:${records.length}`));
    const a = store.issue(client);
    const b = store.issue(client);
    assert.equal(a.expiresIn, 60);
    assert.notEqual(a.accessToken, b.accessToken);
    assert.equal(store.check(a.accessToken).status, 'valid');
    assert.equal(store.check('unknown').status, 'unknown');
    store.revoke({ tokenId: a.record.tokenId });
    assert.equal(store.check(a.accessToken).status, 'revoked');
    assert.equal(store.check(b.accessToken).status, 'valid');
    now += 60_000;
    assert.equal(store.check(b.accessToken).status, 'expired');
    assert.deepEqual(store.counts(), { active: 0, expired: 1, revoked: 1 });
    // Tokens already ended are not ended again.
    assert.equal(store.revoke().length, 0);
    assert.deepEqual(ended, ['revoked:1']);
  });
});
