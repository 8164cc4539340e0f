import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, versionAtLeast } from '../../src/bus/index.js';
import { ConfigError } from '../../src/errors.js';
import { captureLogger } from '../sinks/helpers.js';
import { freePort, NATS_URL, type OwnNats, startOwnNats } from './helpers.js';

describe('connectBus', () => {
  let plain: OwnNats;
  let guarded: OwnNats;
  before(async () => {
    plain = await startOwnNats({ jetstream: false });
    guarded = await startOwnNats({ jetstream: true, user: 'switchboard', pass: 'hunter2-secret' });
  });
  after(async () => {
    await plain?.dispose();
    await guarded?.dispose();
  });

  it('connects, checks the server and logs its version', async () => {
    const { logger, records } = captureLogger('info');
    const bus = await connectBus({ url: NATS_URL, logger });
    try {
      assert.ok(versionAtLeast(bus.serverVersion, '2.9.0'), `server ${bus.serverVersion} is at least 2.9.0`);
      assert.match(bus.description, /^nats:\/\/[^@]+:\d+$/);
      const info = await bus.manager.getAccountInfo();
      assert.equal(typeof info.streams, 'number');
      const line = records().find((r) => r.msg === 'connected to NATS JetStream');
      assert.ok(line, 'the connection is logged');
      assert.equal(line.version, bus.serverVersion);
    } finally {
      await bus.close();
      await bus.close();
    }
    assert.equal(bus.connection.isClosed(), true);
  });

  it('fails with a ConfigError and a hint when nothing listens', async () => {
    const port = await freePort();
    await assert.rejects(connectBus({ url: `nats://127.0.0.1:${port}` }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, 'a ConfigError');
      assert.match(error.message, new RegExp(`Could not connect to NATS at nats://127.0.0.1:${port}`));
      assert.match(error.hint ?? '', /nats-server -js/);
      return true;
    });
  });

  it('refuses a server without JetStream, naming its version and what is needed', async () => {
    await assert.rejects(connectBus({ url: plain.url }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, 'a ConfigError');
      assert.match(error.message, /\(version \d+\.\d+\.\d+\) has JetStream disabled/);
      assert.match(error.message, /needs NATS 2\.9\.0 or later with JetStream/);
      assert.match(error.hint ?? '', /-js/);
      return true;
    });
  });

  it('uses credentials from the URL and never logs them', async () => {
    const { logger, text } = captureLogger('debug');
    const bus = await connectBus({
      url: `nats://switchboard:hunter2-secret@127.0.0.1:${guarded.port}`,
      logger,
    });
    try {
      assert.equal(bus.description, `nats://127.0.0.1:${guarded.port}`);
      await bus.manager.getAccountInfo();
    } finally {
      await bus.close();
    }
    assert.ok(!text().includes('hunter2'), 'no password in the logs');
    await assert.rejects(
      connectBus({ url: `nats://switchboard:wrong-hunter2@127.0.0.1:${guarded.port}` }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, 'a ConfigError');
        assert.match(error.message, /refused the credentials/);
        assert.ok(!error.message.includes('hunter2'), 'no password in the message');
        return true;
      },
    );
  });

  it('compares versions', () => {
    assert.equal(versionAtLeast('2.9.10', '2.9.0'), true);
    assert.equal(versionAtLeast('2.10.0-beta.1', '2.9.0'), true);
    assert.equal(versionAtLeast('2.8.4', '2.9.0'), false);
    assert.equal(versionAtLeast('1.99.99', '2.9.0'), false);
    assert.equal(versionAtLeast('unknown', '2.9.0'), false);
  });
});
