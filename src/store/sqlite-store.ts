/**
 * The embedded default store: one SQLite file (WAL mode) through better-sqlite3. Schema changes are numbered
 * migrations tracked in `PRAGMA user_version`, applied in one transaction at open.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../errors.js';
import { defaultReplicaId } from './replica-id.js';
import { SqliteLedgerStore } from './sqlite-ledger-store.js';
import type { Checkpoint, LedgerStore, PutCheckpointOptions, SwitchboardStore } from './store.js';

/** Numbered schema migrations; index + 1 is the version each one brings the file to. Append only. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE checkpoints (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  // 2: the proactive ledger (src/store/sqlite-ledger-store.ts): one entry per idempotency key, and its status history.
  `CREATE TABLE proactive_ledger (
   id INTEGER PRIMARY KEY AUTOINCREMENT,
   idempotency_key TEXT NOT NULL UNIQUE,
   rule_id TEXT NOT NULL,
   customer_id TEXT NOT NULL,
   trigger_kind TEXT NOT NULL,
   trigger_id TEXT NOT NULL,
   status TEXT NOT NULL,
   channel TEXT,
   to_address TEXT,
   reason_code TEXT,
   reason TEXT,
   due_at TEXT,
   claimed_at TEXT,
   sent_at TEXT,
   conversation_id TEXT,
   message_id TEXT,
   platform_code TEXT,
   correlation_id TEXT,
   attempts INTEGER NOT NULL DEFAULT 0,
   context TEXT,
   created_at TEXT NOT NULL,
   updated_at TEXT NOT NULL
 );
 CREATE INDEX proactive_ledger_customer ON proactive_ledger (customer_id, claimed_at);
 CREATE INDEX proactive_ledger_status_due ON proactive_ledger (status, due_at);
 CREATE TABLE proactive_ledger_events (
   id INTEGER PRIMARY KEY AUTOINCREMENT,
   entry_id INTEGER NOT NULL REFERENCES proactive_ledger (id),
   at TEXT NOT NULL,
   status TEXT NOT NULL,
   reason_code TEXT,
   reason TEXT
 );
 CREATE INDEX proactive_ledger_events_entry ON proactive_ledger_events (entry_id);`,
  // 3: checkpoint fencing (a writer's epoch) and the replica that claimed a send.
  `ALTER TABLE checkpoints ADD COLUMN epoch INTEGER;
 ALTER TABLE proactive_ledger ADD COLUMN claimed_by TEXT;`,
];

export interface SqliteStoreOptions {
  /** File path, or `:memory:` for a throwaway store. */
  path: string;
  /** Recorded as the claimer of sends (default: hostname-pid-random). */
  replicaId?: string;
}

/** Opens (creating if needed) a SQLite store and brings its schema up to date. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(options.path);
  } catch (cause) {
    throw new ConfigError(`Cannot open the SQLite store at ${options.path}: ${(cause as Error).message}`, {
      hint: 'Check that the directory exists and is writable, or pass another path with --db.',
      cause,
    });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db, options.path);
  return new SqliteStore(db, options.path, options.replicaId);
}

function migrate(db: Database.Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new ConfigError(
      `The store at ${path} has schema version ${current}, newer than this Switchboard knows (${MIGRATIONS.length}).`,
      { hint: 'Upgrade Switchboard, or point --db at another file.' },
    );
  }
  const apply = db.transaction(() => {
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version]!);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  apply();
}

/** SQLite implementation of {@link SwitchboardStore}. */
export class SqliteStore implements SwitchboardStore {
  readonly description: string;
  /** Recorded as the claimer of sends made through this store's ledger. */
  readonly replicaId: string;
  private ledgerStore: SqliteLedgerStore | undefined;
  private readonly getStatement: Database.Statement<
    [string],
    { value: string; updated_at: string; epoch: number | null }
  >;
  private readonly putStatement: Database.Statement<
    [{ key: string; value: string; updatedAt: string; epoch: number | null }]
  >;
  private readonly deleteStatement: Database.Statement<[string]>;

  constructor(
    private readonly db: Database.Database,
    path: string,
    replicaId: string = defaultReplicaId(),
  ) {
    this.description = `sqlite:${path}`;
    this.replicaId = replicaId;
    this.getStatement = db.prepare('SELECT value, updated_at, epoch FROM checkpoints WHERE key = ?');
    // One statement: the epoch check and the write cannot be separated by another writer.
    this.putStatement = db.prepare(
      `INSERT INTO checkpoints (key, value, updated_at, epoch) VALUES (@key, @value, @updatedAt, @epoch)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
         epoch = coalesce(excluded.epoch, checkpoints.epoch)
       WHERE excluded.epoch IS NULL OR checkpoints.epoch IS NULL OR checkpoints.epoch <= excluded.epoch`,
    );
    this.deleteStatement = db.prepare('DELETE FROM checkpoints WHERE key = ?');
  }

  /** The proactive ledger, in this file's tables; made at first use. */
  get ledger(): LedgerStore {
    this.ledgerStore ??= new SqliteLedgerStore(this.db, { replicaId: this.replicaId });
    return this.ledgerStore;
  }

  /** The underlying handle, for modules that add their own tables through migrations here. */
  get database(): Database.Database {
    return this.db;
  }

  async getCheckpoint<T = unknown>(key: string): Promise<Checkpoint<T> | undefined> {
    const row = this.getStatement.get(key);
    if (!row) return undefined;
    const checkpoint: Checkpoint<T> = { key, value: JSON.parse(row.value) as T, updatedAt: row.updated_at };
    if (row.epoch !== null) checkpoint.epoch = row.epoch;
    return checkpoint;
  }

  async putCheckpoint<T = unknown>(
    key: string,
    value: T,
    options: PutCheckpointOptions = {},
  ): Promise<boolean> {
    const result = this.putStatement.run({
      key,
      value: JSON.stringify(value),
      updatedAt: new Date().toISOString(),
      epoch: options.epoch ?? null,
    });
    return result.changes > 0;
  }

  async deleteCheckpoint(key: string): Promise<void> {
    this.deleteStatement.run(key);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
