import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createStdoutSink } from '../../src/sinks/stdout.js';
import { waitFor } from '../helpers/wait-for.js';
import { joinedEvent } from './helpers.js';

/** A writable that takes 1 ms per chunk and records how much was ever buffered in front of it. */
function slowWritable(highWaterMark: number) {
  const received: string[] = [];
  let maxBuffered = 0;
  let drains = 0;
  const stream = new Writable({
    highWaterMark,
    write(chunk, _encoding, callback) {
      received.push(String(chunk));
      setTimeout(callback, 1);
    },
  });
  const original = stream.write.bind(stream);
  stream.write = ((...args: Parameters<Writable['write']>) => {
    const accepted = original(...args);
    maxBuffered = Math.max(maxBuffered, stream.writableLength);
    return accepted;
  }) as Writable['write'];
  stream.on('drain', () => {
    drains += 1;
  });
  return {
    stream,
    lines: () => received.join('').split('\n').filter(Boolean),
    maxBuffered: () => maxBuffered,
    drains: () => drains,
  };
}

describe('stdout sink', () => {
  it('writes one JSON event per line, in order, waiting for drain instead of over-filling the stream', async () => {
    const slow = slowWritable(512);
    const sink = createStdoutSink({ stream: slow.stream, batchSize: 5, outbox: { capacity: 1_000 } });
    const events = Array.from({ length: 300 }, () => joinedEvent());
    for (const event of events) sink.write(event);
    const totalBytes = events.reduce((sum, e) => sum + JSON.stringify(e).length + 1, 0);
    const batchBytes = Math.max(...events.map((e) => JSON.stringify(e).length + 1)) * 5;

    await waitFor(() => sink.health().delivered > 20, 'first deliveries', 3_000);
    const midway = sink.health();
    assert.ok(midway.depth > 0, 'the slow stream leaves events queued');
    assert.ok(midway.oldestPendingAgeMs >= 0);

    assert.equal(await sink.flush({ timeoutMs: 5_000 }), true);
    const lines = slow.lines();
    assert.equal(lines.length, events.length);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { id: string }).id),
      events.map((e) => e.id),
    );
    assert.deepEqual(JSON.parse(lines[0]!), events[0], 'the line is the event itself');
    assert.ok(slow.drains() > 10, `waited for drain (${slow.drains()} times)`);
    assert.ok(
      slow.maxBuffered() <= 512 + batchBytes,
      `buffered at most one batch past the high-water mark (${slow.maxBuffered()} of ${totalBytes} bytes)`,
    );
    const health = sink.health();
    assert.equal(health.delivered, 300);
    assert.equal(health.depth, 0);
    assert.equal(health.failed, 0);
    await sink.close();
    assert.equal(sink.health().status, 'closed');
    assert.equal(slow.stream.writableEnded, false, 'the sink does not end a stream it does not own');
  });

  it('asks the producer to stop when its outbox passes its bound behind a slow stream, keeping every event', async () => {
    const slow = slowWritable(64);
    const sink = createStdoutSink({
      stream: slow.stream,
      batchSize: 2,
      outbox: { capacity: 10 },
    });
    let refusals = 0;
    let waits = 0;
    for (let i = 0; i < 60; i++) {
      if (!sink.write(joinedEvent())) {
        refusals += 1;
        assert.equal(sink.health().full, true);
        assert.equal(sink.health().status, 'failed');
        assert.match(sink.health().failedBecause ?? '', /past its bound/);
        assert.equal(await sink.whenWritable({ timeoutMs: 3_000 }), true);
        assert.ok(sink.health().pending <= 5, 'writable again at half the bound');
        waits += 1;
      }
      assert.ok(sink.health().pending <= 11, 'the producer honouring the signal keeps the outbox bounded');
    }
    assert.ok(refusals > 0 && waits === refusals);
    assert.equal(await sink.flush({ timeoutMs: 5_000 }), true);
    const health = sink.health();
    assert.equal(health.delivered, 60);
    assert.equal(health.dropped, 0);
    assert.equal(health.fullCount, refusals);
    assert.ok(health.fullMsTotal > 0);
    assert.equal(health.status, 'ok');
    assert.equal(slow.lines().length, 60);
    await sink.close();
  });

  it('counts events as failed when the stream breaks, without crashing the process', async () => {
    let chunks = 0;
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        chunks += 1;
        if (chunks === 1) return callback();
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const sink = createStdoutSink({ stream, batchSize: 1 });
    sink.write(joinedEvent());
    await waitFor(() => sink.health().delivered + sink.health().failed >= 1, 'first write', 2_000);
    sink.write(joinedEvent());
    await waitFor(() => sink.health().failed >= 1, 'the broken write', 2_000);
    sink.write(joinedEvent());
    assert.equal(await sink.flush({ timeoutMs: 2_000 }), true);
    const health = sink.health();
    assert.equal(health.delivered, 1);
    assert.equal(health.failed, 2, 'the broken write and the ones after it are refused, not retried forever');
    assert.equal(health.retries, 0);
    assert.match(health.lastError?.code ?? '', /^stream_(error|closed)$/);
    await sink.close();
  });
});
