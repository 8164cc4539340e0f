import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSinkSpec } from '../../src/sinks/index.js';
import { localSinkPaths, sinkKindNames, sinkObjectSchema } from '../../src/sinks/registry.js';

const env = { HOOK_SECRET: 'from-env' };

describe('sink registry', () => {
  it('reads the spec and the object form of every kind into the same config', () => {
    const pairs: Array<[string, Record<string, unknown>]> = [
      [
        'stdout?capacity=10&maxAttempts=0',
        { kind: 'stdout', outbox: { capacity: 10 }, retry: { maxAttempts: 0 } },
      ],
      [
        'file:./e.jsonl?keep=3&daily=true&policy=drop-oldest',
        { kind: 'file', path: './e.jsonl', keep: 3, rotateDaily: true, outbox: { policy: 'drop-oldest' } },
      ],
      [
        'webhook:https://hooks.test/in?secret=env:HOOK_SECRET&timeoutMs=500&name=hook',
        { kind: 'webhook', url: 'https://hooks.test/in', secret: 'from-env', timeoutMs: 500, name: 'hook' },
      ],
      [
        'nats://127.0.0.1:4222?stream=EVENTS&duplicateWindowMs=60000',
        { kind: 'nats', url: 'nats://127.0.0.1:4222', stream: 'EVENTS', duplicateWindowMs: '1m' },
      ],
    ];
    assert.deepEqual(
      pairs.map(([spec]) => parseSinkSpec(spec, env).kind),
      sinkKindNames(),
      'one pair per kind',
    );
    for (const [spec, object] of pairs) {
      assert.deepEqual(sinkObjectSchema.parse(object), parseSinkSpec(spec, env), spec);
    }
  });

  it('refuses an object of no known kind, naming the kinds', () => {
    const result = sinkObjectSchema.safeParse({ kind: 'kafka' });
    assert.equal(result.success, false);
    assert.match(result.error!.issues[0]!.message, /expected kind: stdout, file, webhook or nats/);
  });

  it("makes the file sink's path and any outbox directory relative to the config file", () => {
    const local = (path: string) => `/srv/sb/${path}`;
    assert.deepEqual(localSinkPaths({ kind: 'file', path: 'e.jsonl', outbox: { dir: 'out' } }, local), {
      kind: 'file',
      path: '/srv/sb/e.jsonl',
      outbox: { dir: '/srv/sb/out' },
    });
    assert.deepEqual(localSinkPaths({ kind: 'nats', url: 'nats://h:4222' }, local), {
      kind: 'nats',
      url: 'nats://h:4222',
    });
  });
});
