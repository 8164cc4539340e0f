import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeBusUrl, parseBusUrl } from '../../src/bus/index.js';
import { ConfigError } from '../../src/errors.js';

describe('NATS URLs', () => {
  it('takes nats://host:port, a bare host, and the default port', () => {
    assert.deepEqual(parseBusUrl('nats://127.0.0.1:4222'), {
      server: 'nats://127.0.0.1:4222',
      description: 'nats://127.0.0.1:4222',
      tls: false,
    });
    assert.equal(parseBusUrl('nats.internal').server, 'nats://nats.internal:4222');
    assert.equal(parseBusUrl('10.0.0.5:5222').server, 'nats://10.0.0.5:5222');
    assert.equal(parseBusUrl('tls://bus.example.test').description, 'tls://bus.example.test:4222');
    assert.equal(parseBusUrl('tls://bus.example.test').server, 'nats://bus.example.test:4222');
    assert.equal(parseBusUrl('tls://bus.example.test').tls, true);
  });

  it('splits credentials off and never shows them', () => {
    const parsed = parseBusUrl('nats://svc:s%40cret@bus.example.test:4333');
    assert.equal(parsed.user, 'svc');
    assert.equal(parsed.pass, 's@cret');
    assert.equal(parsed.server, 'nats://bus.example.test:4333');
    assert.equal(parsed.description, 'nats://bus.example.test:4333');
    assert.equal(parseBusUrl('nats://t0ken@bus.example.test').token, 't0ken');
    assert.equal(describeBusUrl('nats://svc:hunter2@bus.example.test:4333'), 'nats://bus.example.test:4333');
  });

  it('refuses other schemes, paths and queries without echoing credentials', () => {
    assert.throws(() => parseBusUrl('http://bus.example.test'), ConfigError);
    assert.throws(() => parseBusUrl(''), ConfigError);
    assert.throws(
      () => parseBusUrl('nats://svc:hunter2@bus.example.test/path?x=1'),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2'),
    );
  });
});
