import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bus } from '../../src/bus/index.js';
import { ConfigError } from '../../src/errors.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { NatsSink } from '../../src/sinks/index.js';
import { createSinks, parseSinkSpec } from '../../src/sinks/spec.js';
import {
  conversationId,
  deleteStreams,
  eventOf,
  readStream,
  testBus,
  uniqueName,
  uniquePrefix,
} from '../bus/helpers.js';
import { captureLogger } from './helpers.js';

const env = {
  GENESYS_CLOUD_REGION: 'mypurecloud.ie',
  GENESYS_CLOUD_CLIENT_ID: 'client-from-env',
  GENESYS_CLOUD_CLIENT_SECRET: 'secret-from-env',
  NATS_PASSWORD: 'hunter2-nats',
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('nats sink specs', () => {
  it('reads nats:, nats://host:port and their options', () => {
    assert.deepEqual(parseSinkSpec('nats:'), { kind: 'nats', url: 'nats://127.0.0.1:4222' });
    assert.deepEqual(parseSinkSpec('nats'), { kind: 'nats', url: 'nats://127.0.0.1:4222' });
    assert.deepEqual(parseSinkSpec('nats://10.1.2.3:4333?stream=EVENTS&prefix=acme.events'), {
      kind: 'nats',
      url: 'nats://10.1.2.3:4333',
      stream: 'EVENTS',
      subjectPrefix: 'acme.events',
    });
    assert.deepEqual(
      parseSinkSpec(
        'nats:bus.internal:4222?duplicateWindowMs=900000&concurrency=8&publishTimeoutMs=2000&name=bus&capacity=500',
      ),
      {
        kind: 'nats',
        url: 'bus.internal:4222',
        name: 'bus',
        outbox: { capacity: 500 },
        duplicateWindowMs: 900_000,
        concurrency: 8,
        publishTimeoutMs: 2_000,
      },
    );
  });

  it('refuses bad URLs, names and options without showing credentials', () => {
    assert.match(configError(() => parseSinkSpec('nats://h:4222?stream=a.b')).message, /stream name/);
    assert.match(configError(() => parseSinkSpec('nats://h:4222?prefix=a.>')).message, /subject prefix/);
    assert.match(
      configError(() => parseSinkSpec('nats://h:4222?colour=blue')).message,
      /unknown option "colour"/,
    );
    const error = configError(() => parseSinkSpec('nats://svc:hunter2@h:4222?concurrency=0'));
    assert.match(error.message, /^nats:nats:\/\/h:4222: concurrency must be/);
    assert.ok(!error.message.includes('hunter2'), 'no password in the message');
    assert.match(configError(() => parseSinkSpec('nats:http://h')).message, /nats:\/\/ or tls:\/\//);
  });

  it('takes the object form in the service config, with the password from the environment', () => {
    const config = parseServiceConfig(
      `
sinks:
  - kind: nats
    url: nats://switchboard:\${NATS_PASSWORD}@bus.internal:4222
    stream: EVENTS
    subjectPrefix: acme.events
    duplicateWindowMs: 15m
    concurrency: 4
`,
      { env, file: '/srv/sb/switchboard.yaml' },
    );
    assert.deepEqual(config.sinks, [
      {
        kind: 'nats',
        url: 'nats://switchboard:hunter2-nats@bus.internal:4222',
        stream: 'EVENTS',
        subjectPrefix: 'acme.events',
        duplicateWindowMs: 900_000,
        concurrency: 4,
      },
    ]);
    const error = configError(() =>
      parseServiceConfig(
        `sinks: [{ kind: nats, url: "nats://switchboard:\${NATS_PASSWORD}@bus.internal:4222/x" }]`,
        {
          env,
        },
      ),
    );
    assert.match(error.message, /has a path or query/);
    assert.ok(!error.message.includes('hunter2'), 'no password in the message');
    assert.match(
      configError(() =>
        parseServiceConfig(['sinks:', '  - kind: nats', '    url: nats://h', '    stream: a b'].join('\n'), {
          env,
        }),
      ).message,
      /cannot be a JetStream stream name/,
    );
  });
});

describe('createSinks with a nats sink', () => {
  let bus: Bus;
  const stream = uniqueName('spec');
  const streams = [stream];
  before(async () => {
    bus = await testBus();
  });
  after(async () => {
    await deleteStreams(bus, ...streams);
    await bus.close();
  });

  it('builds a NatsSink from the spec that publishes, stamps, and never logs the password', async () => {
    const prefix = uniquePrefix('spec');
    const { logger, text } = captureLogger('debug');
    const url = new URL(bus.description);
    const dispatcher = createSinks([`nats://${url.host}?stream=${stream}&prefix=${prefix}`], {
      logger,
      nats: { stamp: () => ({ allowed: true, headers: { 'Switchboard-Replica': 'r1' } }) },
    });
    const [sink] = dispatcher.sinks;
    assert.ok(sink instanceof NatsSink, 'a NatsSink');
    assert.equal(sink.name, `nats:${url.host}/${stream}`);
    const event = eventOf(conversationId(), 'started');
    dispatcher.publish(event);
    assert.equal(await dispatcher.flush({ timeoutMs: 10_000 }), true);
    await dispatcher.close();
    const stored = await readStream(bus, stream);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.header.get('Switchboard-Replica'), 'r1');
    assert.equal(stored[0]!.subject, `${prefix}.started.${event.conversationId}`);
    assert.match(text(), /sink ready/);
  });

  it('borrows a bus given in the options and leaves it open', async () => {
    const other = uniqueName('borrowed');
    streams.push(other);
    const dispatcher = createSinks(
      [`nats:${bus.description}?stream=${other}&prefix=${uniquePrefix('borrowed')}`],
      {
        nats: { bus },
      },
    );
    const [sink] = dispatcher.sinks as NatsSink[];
    assert.equal(await sink!.ready(), bus);
    await dispatcher.close();
    assert.equal(bus.connection.isClosed(), false, 'the borrowed bus stays open');
  });
});
