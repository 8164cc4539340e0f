import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/errors.js';
import { ledgerOf, openSqliteStore } from '../../src/store/index.js';
import { checkpointBehaviours, entry } from './store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore', () => {
  checkpointBehaviours(async (name) => openSqliteStore({ path: join(dir, 'nested', `${name}.db`) }));

  it('refuses a file written by a newer schema', () => {
    const path = join(dir, 'future.db');
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    assert.throws(
      () => openSqliteStore({ path }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, 'a ConfigError');
        assert.match(error.message, /schema version 999/);
        return true;
      },
    );
  });

  it('upgrades a file of the previous schema in place, its checkpoints and ledger kept', async () => {
    const path = join(dir, 'v2.db');
    const db = new Database(path);
    // Schema version 2 as released: checkpoints and the ledger without epoch and claimer.
    db.exec(`CREATE TABLE checkpoints (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE proactive_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL UNIQUE,
        rule_id TEXT NOT NULL, customer_id TEXT NOT NULL, trigger_kind TEXT NOT NULL, trigger_id TEXT NOT NULL,
        status TEXT NOT NULL, channel TEXT, to_address TEXT, reason_code TEXT, reason TEXT, due_at TEXT,
        claimed_at TEXT, sent_at TEXT, conversation_id TEXT, message_id TEXT, platform_code TEXT,
        correlation_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, context TEXT, created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL);
      CREATE TABLE proactive_ledger_events (id INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_id INTEGER NOT NULL REFERENCES proactive_ledger (id), at TEXT NOT NULL, status TEXT NOT NULL,
        reason_code TEXT, reason TEXT);
      INSERT INTO checkpoints VALUES ('deriver', '{"n":1}', '2025-01-15T12:00:00.000Z');
      INSERT INTO proactive_ledger (idempotency_key, rule_id, customer_id, trigger_kind, trigger_id, status,
        claimed_at, created_at, updated_at)
        VALUES ('rule-a|contact-1|event-1', 'rule-a', 'contact-1', 'event', 'event-1', 'sending',
        '2025-01-15T12:00:00.000Z', '2025-01-15T12:00:00.000Z', '2025-01-15T12:00:00.000Z');`);
    db.pragma('user_version = 2');
    db.close();

    const store = openSqliteStore({ path, replicaId: 'replica-a' });
    assert.equal(store.database.pragma('user_version', { simple: true }), 3);
    assert.deepEqual((await store.getCheckpoint('deriver'))?.value, { n: 1 });
    assert.equal(await store.putCheckpoint('deriver', { n: 2 }, { epoch: 1 }), true);
    const ledger = ledgerOf(store);
    const old = await ledger.getByKey('rule-a|contact-1|event-1');
    assert.equal(old?.status, 'sending');
    assert.equal(old?.claimedBy, undefined);
    const claimed = await ledger.claimNew(entry({ key: 'new', customerId: 'contact-2' }));
    assert.ok(claimed.outcome === 'claimed', 'a new claim after the upgrade');
    assert.equal(claimed.entry.claimedBy, 'replica-a');
    await store.close();
  });

  it('keeps its own ledger, which ledgerOf gives; a store without one is refused with a hint', async () => {
    const store = openSqliteStore({ path: join(dir, 'own-ledger.db'), replicaId: 'replica-b' });
    assert.equal(ledgerOf(store), store.ledger);
    assert.equal(store.ledger, store.ledger, 'one ledger per store');
    const claimed = await ledgerOf(store).claimNew(entry({ key: 'own', customerId: 'contact-3' }));
    assert.ok(claimed.outcome === 'claimed' && claimed.entry.claimedBy === 'replica-b');
    await store.close();
    const bare = {
      description: 'memory:checkpoints-only',
      getCheckpoint: async () => undefined,
      putCheckpoint: async () => true,
      deleteCheckpoint: async () => {},
      close: async () => {},
    };
    assert.throws(
      () => ledgerOf(bare),
      (error) =>
        error instanceof ConfigError && /memory:checkpoints-only has no proactive ledger/.test(error.message),
    );
  });
});
