import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore', () => {
  it('keeps checkpoints across a close and reopen', async () => {
    const path = join(dir, 'nested', 'a.db');
    const first = openSqliteStore({ path });
    await first.putCheckpoint('deriver', { conversations: 3, lastFrameAt: '2026-11-23T10:00:00.000Z' });
    await first.putCheckpoint('deriver', { conversations: 4, lastFrameAt: '2026-11-23T10:00:01.000Z' });
    await first.close();

    const second = openSqliteStore({ path });
    const checkpoint = await second.getCheckpoint<{ conversations: number }>('deriver');
    assert.equal(checkpoint?.value.conversations, 4);
    assert.match(checkpoint?.updatedAt ?? '', /^\d{4}-\d{2}-\d{2}T/);
    await second.deleteCheckpoint('deriver');
    assert.equal(await second.getCheckpoint('deriver'), undefined);
    await second.close();
  });

  it('refuses a file written by a newer schema', () => {
    const path = join(dir, 'future.db');
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    assert.throws(
      () => openSqliteStore({ path }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /schema version 999/);
        return true;
      },
    );
  });
});
