import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { createSink, createSinks, parseSinkSpec } from '../../src/sinks/spec.js';
import { captureLogger, joinedEvent, tempDir } from './helpers.js';
import { startReceiver } from './http-receiver.js';

const env = { HOOK_SECRET: 'env-secret-5b1e0c9d' };

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('parseSinkSpec', () => {
  it('reads stdout, file and webhook specs with their options', () => {
    assert.deepEqual(parseSinkSpec('stdout'), { kind: 'stdout' });
    assert.deepEqual(parseSinkSpec('stdout?capacity=50&policy=drop-oldest'), {
      kind: 'stdout',
      outbox: { capacity: 50, policy: 'drop-oldest' },
    });
    assert.deepEqual(parseSinkSpec('file:./events.jsonl'), { kind: 'file', path: './events.jsonl' });
    assert.deepEqual(
      parseSinkSpec('file:./out/events.jsonl?maxBytes=10485760&keep=5&daily=true&fsync=batch'),
      {
        kind: 'file',
        path: './out/events.jsonl',
        maxBytes: 10_485_760,
        keep: 5,
        rotateDaily: true,
        syncEachBatch: true,
      },
    );
    assert.deepEqual(
      parseSinkSpec(
        'webhook:https://example.test/hook?secret=env:HOOK_SECRET&tenant=t1&timeoutMs=5000&concurrency=8&maxAttempts=0',
        env,
      ),
      {
        kind: 'webhook',
        url: 'https://example.test/hook?tenant=t1',
        secret: env.HOOK_SECRET,
        timeoutMs: 5_000,
        concurrency: 8,
        retry: { maxAttempts: Number.POSITIVE_INFINITY },
      },
    );
    assert.deepEqual(parseSinkSpec('file:/var/x.jsonl?policy=stop&outboxDir=/var/outbox&name=archive'), {
      kind: 'file',
      path: '/var/x.jsonl',
      name: 'archive',
      outbox: { dir: '/var/outbox', policy: 'stop' },
    });
  });

  it('says clearly what is wrong with a bad spec', () => {
    assert.match(configError(() => parseSinkSpec('kafka:broker:9092')).message, /Unknown sink kind "kafka"/);
    assert.match(configError(() => parseSinkSpec('')).message, /empty or malformed/);
    assert.match(configError(() => parseSinkSpec('file:')).message, /needs a path/);
    assert.match(configError(() => parseSinkSpec('stdout:foo')).message, /takes no target/);
    assert.match(configError(() => parseSinkSpec('stdoutx')).message, /Unknown sink kind/);
    const unknown = configError(() => parseSinkSpec('file:./e.jsonl?maxbytes=10'));
    assert.match(unknown.message, /unknown option "maxbytes"/);
    assert.match(unknown.hint ?? '', /maxBytes/);
    assert.match(
      configError(() => parseSinkSpec('file:./e.jsonl?keep=-1')).message,
      /keep must be a whole number/,
    );
    assert.match(configError(() => parseSinkSpec('file:./e.jsonl?keep=two')).message, /got "two"/);
    assert.match(configError(() => parseSinkSpec('stdout?policy=yolo')).message, /policy must be one of/);
    assert.match(
      configError(() => parseSinkSpec('stdout?outboxDir=')).message,
      /outboxDir must not be empty/,
    );
    assert.match(configError(() => parseSinkSpec('webhook:not a url')).message, /absolute http\(s\) URL/);
    assert.match(
      configError(() => parseSinkSpec('webhook:ftp://example.test/x?secret=env:A', env)).message,
      /http or https/,
    );
    assert.match(
      configError(() => parseSinkSpec('webhook:https://example.test/x', env)).message,
      /secret is required/,
    );
  });

  it('takes webhook secrets only from the environment and never echoes them', () => {
    const literal = configError(() =>
      parseSinkSpec('webhook:https://example.test/x?secret=plain-text-secret', env),
    );
    assert.match(literal.message, /must name an environment variable/);
    assert.ok(!JSON.stringify({ ...literal.toJSON(), hint: literal.hint }).includes('plain-text-secret'));
    const missing = configError(() => parseSinkSpec('webhook:https://example.test/x?secret=env:NOPE', env));
    assert.match(missing.message, /environment variable NOPE .* is not set/);
  });
});

describe('createSink', () => {
  it('builds working sinks from specs, logging no secret', async () => {
    const { dir, cleanup } = await tempDir();
    const receiver = await startReceiver((_req, res) => res.writeHead(200).end());
    const { logger, text } = captureLogger();
    const lines: string[] = [];
    const stdout = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const dispatcher = createSinks(
      [
        'stdout',
        `file:${join(dir, 'events.jsonl')}?keep=2`,
        `webhook:${receiver.url}?secret=env:HOOK_SECRET&maxAttempts=3`,
      ],
      { env, logger, stdout },
    );
    try {
      assert.deepEqual(
        dispatcher.sinks.map((s) => [s.name, s.kind]),
        [
          ['stdout', 'stdout'],
          [`file:${join(dir, 'events.jsonl')}`, 'file'],
          [`webhook:${receiver.url}`, 'webhook'],
        ],
      );
      dispatcher.publish(joinedEvent());
      assert.equal(await dispatcher.flush({ timeoutMs: 3_000 }), true);
      assert.equal(lines.length, 1);
      assert.equal(receiver.received.length, 1);
      assert.deepEqual(
        dispatcher.health().map((h) => h.delivered),
        [1, 1, 1],
      );
      assert.ok(text().includes('sink ready'));
      assert.ok(!text().includes(env.HOOK_SECRET), 'no secret in logs');
    } finally {
      await dispatcher.close();
      await receiver.close();
      await cleanup();
    }
  });

  it('places the outbox and dead-letter files in outboxDir under the sink name', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const sink = createSink(`stdout?outboxDir=${join(dir, 'outbox')}&capacity=100&name=out`, {
        stdout: new Writable({ write: (_c, _e, cb) => setTimeout(cb, 1) }),
      });
      for (let i = 0; i < 5; i++) sink.write(joinedEvent());
      assert.equal(sink.health().durable, true);
      assert.equal(sink.health().deadLetterFile, join(dir, 'outbox', 'out.dead-letter.jsonl'));
      assert.equal(await sink.flush({ timeoutMs: 2_000 }), true);
      assert.equal(sink.health().delivered, 5);
      await sink.close();
      assert.ok((await readdir(join(dir, 'outbox'))).includes('out.outbox.db'));
    } finally {
      await cleanup();
    }
  });

  it('takes the shared outbox directory unless the spec names its own', async () => {
    const { dir, cleanup } = await tempDir();
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    try {
      const shared = createSink('stdout?name=a', { stdout: quiet, outboxDir: join(dir, 'shared') });
      const own = createSink(`stdout?name=b&outboxDir=${join(dir, 'own')}`, {
        stdout: quiet,
        outboxDir: join(dir, 'shared'),
      });
      const memory = createSink('stdout?name=c', { stdout: quiet });
      assert.equal(shared.health().outbox, join(dir, 'shared', 'a.outbox.db'));
      assert.equal(own.health().outbox, join(dir, 'own', 'b.outbox.db'));
      assert.equal(memory.health().outbox, 'memory');
      assert.equal(memory.health().durable, false);
      await Promise.all([shared.close(), own.close(), memory.close()]);
    } finally {
      await cleanup();
    }
  });

  it('reads the policies of earlier versions as stop, and explains options that are gone', () => {
    assert.deepEqual(parseSinkSpec('stdout?policy=block').outbox, { policy: 'stop' });
    assert.deepEqual(parseSinkSpec('stdout?policy=spill&outboxDir=/tmp/x').outbox, {
      dir: '/tmp/x',
      policy: 'stop',
    });
    assert.deepEqual(parseSinkSpec('stdout?policy=drop-oldest&capacity=9&outboxMaxBytes=99').outbox, {
      capacity: 9,
      maxBytes: 99,
      policy: 'drop-oldest',
    });
    assert.throws(() => parseSinkSpec('stdout?policy=sometimes'), /policy must be one of stop, drop-oldest/);
    assert.throws(() => parseSinkSpec('stdout?maxBlockMs=100'), /maxBlockMs no longer exists/);
    assert.throws(() => parseSinkSpec('stdout?spillDir=/tmp'), /spillDir is now outboxDir/);
  });
});
