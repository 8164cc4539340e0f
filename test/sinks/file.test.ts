import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createFileSink } from '../../src/sinks/file.js';
import { waitFor } from '../helpers/wait-for.js';
import { joinedEvent, tempDir } from './helpers.js';

const lineOf = (event: object) => `${JSON.stringify(event)}\n`;

async function ids(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

describe('file sink', () => {
  it('creates missing directories and appends after existing content', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'a', 'b', 'events.jsonl');
      const first = createFileSink({ path });
      const events = Array.from({ length: 3 }, () => joinedEvent());
      first.write(events[0]!);
      await first.close();
      const second = createFileSink({ path });
      second.write(events[1]!);
      second.write(events[2]!);
      await second.close();
      assert.equal(await readFile(path, 'utf8'), events.map(lineOf).join(''));
      assert.equal(second.health().delivered, 2);
    } finally {
      await cleanup();
    }
  });

  it('ends a line a killed process cut short before appending, so the next event stays whole', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'events.jsonl');
      const cut = joinedEvent();
      const whole = lineOf(cut);
      await writeFile(path, whole.slice(0, whole.length - 20)); // the write a SIGKILL interrupted
      const sink = createFileSink({ path });
      const next = joinedEvent();
      sink.write(cut); // written again: it was never acknowledged
      sink.write(next);
      await sink.close();
      const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
      assert.equal(lines.length, 3);
      assert.throws(() => JSON.parse(lines[0]!), 'the cut line stays a line of its own');
      assert.deepEqual(
        lines.slice(1).map((line) => (JSON.parse(line) as { id: string }).id),
        [cut.id, next.id],
      );
    } finally {
      await cleanup();
    }
  });

  it('rotates by size and keeps only `keep` rotated files, newest events in the live file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'events.jsonl');
      const events = Array.from({ length: 40 }, () => joinedEvent());
      const lineBytes = Buffer.byteLength(lineOf(events[0]!));
      const maxBytes = lineBytes * 3 + 10; // three lines per file
      const sink = createFileSink({ path, maxBytes, keep: 2, batchSize: 7 });
      for (const event of events) sink.write(event);
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      await sink.close();

      const files = (await readdir(dir)).sort();
      assert.deepEqual(files, ['events.jsonl', 'events.jsonl.1', 'events.jsonl.2']);
      for (const file of files)
        assert.ok((await stat(join(dir, file))).size <= maxBytes, `${file} within maxBytes`);
      // 40 events at 3 per file: the live file has the last one, .1 and .2 the three before each.
      assert.deepEqual(await ids(path), [events[39]!.id]);
      assert.deepEqual(
        await ids(`${path}.1`),
        events.slice(36, 39).map((e) => e.id),
      );
      assert.deepEqual(
        await ids(`${path}.2`),
        events.slice(33, 36).map((e) => e.id),
      );
      assert.equal(sink.health().delivered, 40);
    } finally {
      await cleanup();
    }
  });

  it('with keep=0 starts over in the same file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'events.jsonl');
      const events = Array.from({ length: 5 }, () => joinedEvent());
      const sink = createFileSink({ path, maxBytes: Buffer.byteLength(lineOf(events[0]!)) * 2, keep: 0 });
      for (const event of events) sink.write(event);
      await sink.close();
      assert.deepEqual(await readdir(dir), ['events.jsonl']);
      assert.deepEqual(await ids(path), [events[4]!.id]);
    } finally {
      await cleanup();
    }
  });

  it('rotates when the UTC day changes', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'events.jsonl');
      let clock = Date.parse('2025-03-01T23:59:59.000Z');
      const sink = createFileSink({ path, rotateDaily: true, now: () => clock });
      const before = joinedEvent();
      const after = joinedEvent();
      sink.write(before);
      assert.equal(await sink.flush({ timeoutMs: 2_000 }), true);
      clock = Date.parse('2025-03-02T00:00:01.000Z');
      sink.write(after);
      await sink.close();
      assert.deepEqual(await ids(`${path}.1`), [before.id]);
      assert.deepEqual(await ids(path), [after.id]);
    } finally {
      await cleanup();
    }
  });

  it('retries when the file cannot be written and delivers once it can', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // A plain file where the directory should be: mkdir fails until it is replaced.
      const blocker = join(dir, 'logs');
      await writeFile(blocker, 'not a directory');
      const path = join(blocker, 'events.jsonl');
      const sink = createFileSink({ path, retry: { initialDelayMs: 20, maxDelayMs: 40 } });
      const event = joinedEvent();
      sink.write(event);
      await waitFor(() => sink.health().retries >= 1, 'a retry', 3_000);
      const failing = sink.health();
      assert.ok(failing.retries >= 1, 'it retried');
      assert.equal(failing.lastError?.code, 'file_error');
      assert.equal(failing.status, 'degraded');
      assert.equal(failing.inFlight, 1);
      await rm(blocker);
      assert.equal(await sink.flush({ timeoutMs: 2_000 }), true);
      assert.deepEqual(await ids(path), [event.id]);
      assert.equal(sink.health().failed, 0);
      await sink.close();
    } finally {
      await cleanup();
    }
  });
});
