import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { EventDispatcher } from '../../src/sinks/dispatcher.js';
import { createFileSink } from '../../src/sinks/file.js';
import { createStdoutSink } from '../../src/sinks/stdout.js';
import type { EventSink } from '../../src/sinks/types.js';
import { createWebhookSink } from '../../src/sinks/webhook.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLogger, joinedEvent, tempDir } from './helpers.js';
import { startReceiver } from './http-receiver.js';

describe('EventDispatcher', () => {
  it('keeps the file sink going while a webhook hangs', async () => {
    const { dir, cleanup } = await tempDir();
    const receiver = await startReceiver(() => {}); // accepts connections, never answers
    const path = join(dir, 'events.jsonl');
    const file = createFileSink({ path });
    const webhook = createWebhookSink({ url: receiver.url, secret: 's3cret-value', timeoutMs: 30_000 });
    const dispatcher = new EventDispatcher([file, webhook]);
    try {
      const events = Array.from({ length: 20 }, (_, i) => joinedEvent(i % 2 === 0 ? 'conv-a' : 'conv-b'));
      for (const event of events) assert.equal(dispatcher.publish(event), true);
      assert.equal(await file.flush({ timeoutMs: 2_000 }), true, 'the file sink drained on its own');
      const lines = (await readFile(path, 'utf8')).trim().split('\n');
      assert.deepEqual(
        lines.map((line) => (JSON.parse(line) as { id: string }).id),
        events.map((e) => e.id),
      );
      await waitFor(() => receiver.received.length === 2, 'one request per conversation', 2_000);
      const [fileHealth, webhookHealth] = dispatcher.health();
      assert.equal(fileHealth?.delivered, 20);
      assert.equal(webhookHealth?.delivered, 0);
      assert.equal(webhookHealth?.inFlight, 2);
      assert.equal(webhookHealth?.depth, 18, 'the slow sink shows its backlog');
      assert.ok((webhookHealth?.oldestPendingAgeMs ?? -1) >= 0);
      assert.equal(await dispatcher.flush({ timeoutMs: 50 }), false, 'not everything is delivered');
    } finally {
      await dispatcher.close({ timeoutMs: 50 });
      await receiver.close();
      await cleanup();
    }
    assert.equal(webhook.health().failed, 20, 'what the webhook never took is counted, not lost silently');
    assert.equal(file.health().status, 'closed');
  });

  it('survives a sink that throws, and tells the producer to wait for the slowest sink', async () => {
    const { logger, records } = captureLogger();
    const broken: EventSink = {
      name: 'broken',
      kind: 'custom',
      write: () => {
        throw Object.assign(new Error('boom'), { code: 'custom_failure' });
      },
      whenWritable: async () => true,
      flush: async () => true,
      close: async () => {
        throw new Error('cannot close');
      },
      health: () => {
        throw new Error('not used');
      },
    };
    let release: (() => void) | undefined;
    const gate = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        release = callback;
      },
    });
    const slow = createStdoutSink({ stream: gate, name: 'slow', batchSize: 1, outbox: { capacity: 2 } });
    const collected: string[] = [];
    const fast = createStdoutSink({
      name: 'fast',
      stream: new Writable({
        write(chunk, _encoding, callback) {
          collected.push(String(chunk));
          callback();
        },
      }),
    });
    const dispatcher = new EventDispatcher([broken, slow, fast], { logger });
    const results = Array.from({ length: 4 }, () => dispatcher.publish(joinedEvent()));
    assert.deepEqual(results, [true, true, false, false], 'the slow sink passed its bound of two');
    let writable: boolean | undefined;
    const waiting = dispatcher.whenWritable({ timeoutMs: 2_000 }).then((value) => {
      writable = value;
    });
    await fast.flush({ timeoutMs: 1_000 });
    assert.equal(collected.join('').trim().split('\n').length, 4, 'the fast sink got everything meanwhile');
    assert.equal(writable, undefined, 'still waiting for the slow sink');
    while (writable === undefined) {
      release?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waiting;
    assert.equal(writable, true);
    assert.deepEqual(dispatcher.refusedWrites(), { broken: 4 });
    assert.equal(records().filter((r) => r.msg === 'sink refused an event').length, 4);
    const closing = dispatcher.close({ timeoutMs: 200 });
    const releaser = setInterval(() => release?.(), 5);
    await closing;
    clearInterval(releaser);
    assert.ok(records().some((r) => r.msg === 'sink failed to close' && r.sink === 'broken'));
    assert.equal(slow.health().delivered, 4);
  });

  it('refuses two sinks with the same name', () => {
    const a = createStdoutSink({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
    const b = createStdoutSink({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
    assert.throws(() => new EventDispatcher([a, b]), { code: 'config_invalid', message: /"stdout"/ });
  });
});
