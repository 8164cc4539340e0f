import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logging.js';
import {
  describeStoreSpec,
  ledgerOf,
  openPostgresStore,
  openStore,
  PostgresStore,
  SqliteStore,
} from '../../src/store/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-migrations.js';
import { PG_URL, pgQuery, pgSkip, testSchemas } from './pg-helpers.js';
import { checkpointBehaviours } from './store-suite.js';

const skip = await pgSkip();
const schemas = testSchemas('sb_store');
const dir = mkdtempSync(join(tmpdir(), 'switchboard-open-store-'));
after(async () => {
  await schemas.dropAll();
  rmSync(dir, { recursive: true, force: true });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A URL of the test server with another user and a password. */
function urlWith(user: string, password: string, schema?: string): string {
  const url = new URL(PG_URL);
  url.username = user;
  url.password = password;
  if (schema) url.searchParams.set('schema', schema);
  return url.toString();
}

describe('store specs', () => {
  it('describes a spec without its password', () => {
    assert.equal(
      describeStoreSpec(
        'postgres://switchboard:s3cret-pw@db.internal:6543/prod?schema=replicas&sslmode=require',
      ),
      'postgres://db.internal:6543/prod?schema=replicas',
    );
    assert.equal(describeStoreSpec('postgresql://db.internal/prod'), 'postgres://db.internal:5432/prod');
    assert.equal(describeStoreSpec('./data/switchboard.db'), 'sqlite:./data/switchboard.db');
    assert.doesNotMatch(describeStoreSpec('postgres://u:s3cret-pw@[bad/db'), /s3cret/);
  });

  it('opens the SQLite store for anything that is not a PostgreSQL URL', async () => {
    const store = await openStore(join(dir, 'spec.db'), { replicaId: 'replica-s' });
    assert.ok(store instanceof SqliteStore, 'a SQLite store');
    assert.equal(store.description, `sqlite:${join(dir, 'spec.db')}`);
    const claimed = await ledgerOf(store).claimNew({
      key: 'k',
      ruleId: 'r',
      customerId: 'c',
      triggerKind: 'event',
      triggerId: 't',
      status: 'sending',
      claimedAt: '2025-01-15T12:00:00.000Z',
      createdAt: '2025-01-15T12:00:00.000Z',
    });
    assert.ok(claimed.outcome === 'claimed', 'claimed');
    assert.equal(claimed.entry.claimedBy, 'replica-s');
    await store.close();
  });

  it('refuses an unusable schema name and a malformed URL without repeating the password', async () => {
    await assert.rejects(openStore(`${PG_URL}?schema=Robert');DROP`), (error: unknown) => {
      assert.ok(error instanceof ConfigError, 'a ConfigError');
      assert.match(error.hint ?? '', /lower-case/);
      return true;
    });
    await assert.rejects(openStore('postgres://u:s3cret-pw@[bad/db'), (error: unknown) => {
      assert.ok(error instanceof ConfigError, 'a ConfigError');
      assert.doesNotMatch(error.describe(), /s3cret/);
      return true;
    });
  });
});

describe('PostgresStore', { skip }, () => {
  checkpointBehaviours((name) => openPostgresStore({ url: PG_URL, schema: schemas.schema(`cp_${name}`) }));

  it('is what openStore gives for a postgres:// URL, with its own ledger and a password-free description', async () => {
    const schema = schemas.schema('open');
    const store = await openStore(schemas.url(schema).replace(/^postgres:/, 'postgresql:'), {
      replicaId: 'replica-o',
    });
    assert.ok(store instanceof PostgresStore, 'a PostgreSQL store');
    const url = new URL(PG_URL);
    assert.equal(
      store.description,
      `postgres://${url.hostname}:${url.port || 5432}${url.pathname}?schema=${schema}`,
    );
    assert.equal(ledgerOf(store), store.ledger);
    assert.equal(store.replicaId, 'replica-o');
    await store.close();
    await store.close();
  });

  it('applies the migrations once when three replicas open a new schema at the same moment', async () => {
    const schema = schemas.schema('concurrent');
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(line) },
    });
    const stores = await Promise.all(
      [1, 2, 3].map(() => openPostgresStore({ url: PG_URL, schema, logger, poolSize: 2 })),
    );
    const { rows } = await pgQuery(schema, 'SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.map((r) => r.version),
      POSTGRES_MIGRATIONS.map((_, i) => i + 1),
    );
    const migrated = lines.map((line) => JSON.parse(line)).filter((l) => l.msg === 'store schema migrated');
    assert.equal(migrated.length, 1, 'one replica applied the migrations, the others found nothing to do');
    assert.deepEqual(
      migrated[0].applied,
      POSTGRES_MIGRATIONS.map((_, i) => i + 1),
    );
    // All three work on the same tables.
    assert.equal(await stores[0]!.putCheckpoint('shared', { by: 0 }), true);
    assert.deepEqual((await stores[2]!.getCheckpoint('shared'))?.value, { by: 0 });
    for (const store of stores) await store.close();

    const again = await openPostgresStore({ url: PG_URL, schema, logger });
    await again.close();
    const after = await pgQuery(schema, 'SELECT count(*)::int AS n FROM schema_migrations');
    assert.equal(after.rows[0].n, POSTGRES_MIGRATIONS.length);
    assert.equal(
      lines.map((line) => JSON.parse(line)).filter((l) => l.msg === 'store schema migrated').length,
      1,
    );
  });

  it('refuses a schema migrated by a newer Switchboard', async () => {
    const schema = schemas.schema('future');
    const store = await openPostgresStore({ url: PG_URL, schema });
    await store.close();
    await pgQuery(schema, 'INSERT INTO schema_migrations (version, applied_at) VALUES (999, now())');
    await assert.rejects(openStore(schemas.url(schema)), (error: unknown) => {
      assert.ok(error instanceof ConfigError, 'a ConfigError');
      assert.match(error.message, /schema version 999, newer than this Switchboard knows/);
      assert.match(error.hint ?? '', /Upgrade/);
      return true;
    });
  });

  it('keeps stores of different schemas apart (every pooled connection starts in its schema)', async () => {
    const a = await openPostgresStore({ url: PG_URL, schema: schemas.schema('apart_a'), poolSize: 4 });
    const b = await openPostgresStore({ url: schemas.url(schemas.schema('apart_b')), poolSize: 4 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => a.putCheckpoint(`k${i}`, { i })));
    const seen = await Promise.all(Array.from({ length: 12 }, (_, i) => b.getCheckpoint(`k${i}`)));
    assert.deepEqual(seen, Array(12).fill(undefined));
    const mine = await Promise.all(
      Array.from({ length: 12 }, (_, i) => a.getCheckpoint<{ i: number }>(`k${i}`)),
    );
    assert.deepEqual(
      mine.map((c) => c?.value.i),
      Array.from({ length: 12 }, (_, i) => i),
    );
    await a.close();
    await b.close();
  });

  it('refuses an unknown user with a hint naming host, port and database, never the password', async () => {
    const url = new URL(PG_URL);
    await assert.rejects(
      openStore(urlWith('switchboard_no_such_role', 's3cret-pw', schemas.schema('auth'))),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, 'a ConfigError');
        const text = error.describe();
        assert.doesNotMatch(text, /s3cret/);
        assert.match(error.hint ?? '', new RegExp(`${url.hostname}:${url.port || 5432}`));
        assert.match(error.hint ?? '', /user and password/);
        return true;
      },
    );
  });
});

describe('PostgresStore without a server', () => {
  it('reports a refused connection as a ConfigError naming host, port and database, not the password', async () => {
    const port = await closedPort();
    await assert.rejects(
      openStore(`postgres://switchboard:s3cret-pw@127.0.0.1:${port}/ledger`),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, 'a ConfigError');
        const text = error.describe();
        assert.doesNotMatch(text, /s3cret/);
        assert.match(error.message, new RegExp(`postgres://127\\.0\\.0\\.1:${port}/ledger`));
        assert.match(error.hint ?? '', new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.match(error.hint ?? '', /ledger/);
        return true;
      },
    );
  });
});
