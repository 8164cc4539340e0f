/**
 * Schema migrations of the PostgreSQL store: numbered, append-only, recorded in `schema_migrations`, and applied
 * in one transaction under an advisory lock, so that replicas starting together wait for the first one instead
 * of racing it (and then find nothing left to do).
 */
import type pg from 'pg';
import { ConfigError } from '../errors.js';

/** Advisory lock class of migrations (the object is the schema's hash). */
export const MIGRATION_LOCK_CLASS = 0x53420000;

/** Numbered migrations; index + 1 is the version each one brings the schema to. Append only. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: checkpoints (the JSON text is kept as written).
  `CREATE TABLE checkpoints (
     key text PRIMARY KEY,
     value json NOT NULL,
     updated_at timestamptz NOT NULL
   )`,
  // 2: the proactive ledger (src/store/store.ts): one entry per idempotency key, and its status history.
  `CREATE TABLE proactive_ledger (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     idempotency_key text NOT NULL UNIQUE,
     rule_id text NOT NULL,
     customer_id text NOT NULL,
     trigger_kind text NOT NULL,
     trigger_id text NOT NULL,
     status text NOT NULL,
     channel text,
     to_address text,
     reason_code text,
     reason text,
     due_at timestamptz,
     claimed_at timestamptz,
     sent_at timestamptz,
     conversation_id text,
     message_id text,
     platform_code text,
     correlation_id text,
     attempts integer NOT NULL DEFAULT 0,
     context json,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   );
   CREATE INDEX proactive_ledger_customer ON proactive_ledger (customer_id, claimed_at);
   CREATE INDEX proactive_ledger_status_due ON proactive_ledger (status, due_at);
   CREATE TABLE proactive_ledger_events (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     entry_id bigint NOT NULL REFERENCES proactive_ledger (id),
     at timestamptz NOT NULL,
     status text NOT NULL,
     reason_code text,
     reason text
   );
   CREATE INDEX proactive_ledger_events_entry ON proactive_ledger_events (entry_id);`,
  // 3: checkpoint fencing (a writer's epoch), the replica that claimed a send, and the pick of due work.
  `ALTER TABLE checkpoints ADD COLUMN epoch bigint;
   ALTER TABLE proactive_ledger
     ADD COLUMN claimed_by text,
     ADD COLUMN picked_by text,
     ADD COLUMN picked_until timestamptz;`,
];

/** Double-quotes an identifier (the schema name is checked when the URL is read; this keeps SQL sound anyway). */
export const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Brings the schema up to date; returns the versions applied (none when another replica was first). Creates the
 * schema when one is named. Refuses a schema newer than this code.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  target: { schema: string | undefined; description: string },
  migrations: readonly string[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      MIGRATION_LOCK_CLASS,
      target.schema ?? '',
    ]);
    if (target.schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(target.schema)}`);
      await client.query(`SET LOCAL search_path TO ${quoteIdentifier(target.schema)}`);
    }
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ current: number | null }>(
      'SELECT max(version) AS current FROM schema_migrations',
    );
    const current = rows[0]?.current ?? 0;
    if (current > migrations.length) {
      throw new ConfigError(
        `The PostgreSQL store at ${target.description} has schema version ${current}, newer than this Switchboard knows (${migrations.length}).`,
        {
          hint: 'Upgrade this Switchboard to the version the other replicas run, or point the store at another database or schema.',
        },
      );
    }
    const applied: number[] = [];
    for (let version = current + 1; version <= migrations.length; version++) {
      await client.query(migrations[version - 1]!);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [version]);
      applied.push(version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
