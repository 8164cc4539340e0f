/** The outbox on disk: order, acknowledgement, read-back in windows, and what survives an abandoned process. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MemoryOutbox } from '../../src/sinks/outbox.js';
import { SqliteOutbox } from '../../src/sinks/sqlite-outbox.js';
import { joinedEvent, tempDir } from './helpers.js';

describe('SqliteOutbox', () => {
  it('hands events out in order and keeps what was not acknowledged for the next open', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'hook.outbox.db');
      const events = Array.from({ length: 10 }, () => joinedEvent());
      const first = new SqliteOutbox(path);
      for (const [index, event] of events.entries()) first.append(event, 1_000 + index);
      assert.equal(first.pending, 10);
      const taken = [first.take()!, first.take()!, first.take()!];
      assert.deepEqual(
        taken.map((item) => item.event.id),
        events.slice(0, 3).map((e) => e.id),
      );
      first.ack(taken[0]!);
      first.ack(taken[2]!); // out of order: the second is still in flight
      assert.equal(first.pending, 8);
      assert.equal(first.waiting, 7);
      first.close();

      const second = new SqliteOutbox(path);
      assert.equal(second.pending, 8, 'the unacknowledged one and the seven never handed out');
      const ids: string[] = [];
      for (let item = second.take(); item; item = second.take()) ids.push(item.event.id);
      assert.deepEqual(ids, [events[1]!.id, ...events.slice(3).map((e) => e.id)]);
      assert.equal(second.take(), undefined);
      second.close();
    } finally {
      await cleanup();
    }
  });

  it('reads a backlog larger than its window back in order, appends arriving meanwhile included', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const outbox = new SqliteOutbox(join(dir, 'big.outbox.db'), 16);
      const events = Array.from({ length: 100 }, () => joinedEvent());
      for (const event of events.slice(0, 60)) outbox.append(event, Date.now());
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const item = outbox.take()!;
        ids.push(item.event.id);
        outbox.ack(item);
      }
      for (const event of events.slice(60)) outbox.append(event, Date.now());
      for (let item = outbox.take(); item; item = outbox.take()) {
        ids.push(item.event.id);
        outbox.ack(item);
      }
      assert.deepEqual(
        ids,
        events.map((e) => e.id),
      );
      assert.equal(outbox.pending, 0);
      assert.equal(outbox.pendingSize, 0);
      outbox.close();
    } finally {
      await cleanup();
    }
  });

  it('measures what it holds, so a sink can bound it by size', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const outbox = new SqliteOutbox(join(dir, 'size.outbox.db'));
      const event = joinedEvent();
      outbox.append(event, 1);
      assert.equal(outbox.pendingSize, JSON.stringify(event).length);
      const item = outbox.take()!;
      assert.equal(item.size, JSON.stringify(event).length);
      outbox.ack(item);
      assert.equal(outbox.pendingSize, 0);
      outbox.close();
    } finally {
      await cleanup();
    }
  });

  it('commits appends without close, so a killed process leaves them for the next run', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'killed.outbox.db');
      const abandoned = new SqliteOutbox(path);
      const events = [joinedEvent(), joinedEvent()];
      for (const event of events) abandoned.append(event, 5);
      abandoned.commit(); // what a checkpoint does before it moves past these events; then the process dies
      const reader = new SqliteOutbox(path);
      assert.deepEqual(
        [reader.take()?.event.id, reader.take()?.event.id],
        events.map((e) => e.id),
      );
      reader.close();
      abandoned.close();
    } finally {
      await cleanup();
    }
  });

  it('skips and removes a stored row that is not an event', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'odd.outbox.db');
      const outbox = new SqliteOutbox(path);
      const good = joinedEvent();
      outbox.append(good, 1);
      outbox.close();
      const db = new Database(path);
      db.prepare('INSERT INTO outbox (seq, accepted_at, event) VALUES (99, 0, ?)').run('{"not":"an event"}');
      db.close();
      const reopened = new SqliteOutbox(path);
      assert.equal(reopened.pending, 2);
      assert.equal(reopened.take()?.event.id, good.id);
      assert.equal(reopened.malformed, 1);
      assert.equal(reopened.pending, 1);
      reopened.close();
    } finally {
      await cleanup();
    }
  });
});

describe('MemoryOutbox', () => {
  it('counts what is handed out until it is acknowledged', () => {
    const outbox = new MemoryOutbox();
    const events = [joinedEvent(), joinedEvent(), joinedEvent()];
    for (const event of events) outbox.append(event, 1);
    const first = outbox.take()!;
    assert.equal(first.event.id, events[0]!.id);
    assert.equal(outbox.pending, 3);
    assert.equal(outbox.waiting, 2);
    outbox.ack(first);
    assert.equal(outbox.pending, 2);
    assert.equal(outbox.peek()?.event.id, events[1]!.id);
  });
});
