/**
 * PostgreSQL for store tests: the server from SWITCHBOARD_TEST_PG (default the loopback one), one unique schema
 * prefix per test file run, every schema made under it dropped at the end. Off CI an unreachable server skips
 * these tests; with CI=true they run (and fail).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.SWITCHBOARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL tests are skipped here, or false when they run. */
export async function pgSkip(): Promise<string | false> {
  if (process.env.CI === 'true') return false;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return false;
  } catch (error) {
    return `PostgreSQL not reachable at SWITCHBOARD_TEST_PG (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Schemas of one test file run: `schema(name)` names a fresh one, `dropAll()` removes them all. */
export function testSchemas(prefix: string) {
  const run = `${prefix}_${randomBytes(4).toString('hex')}`;
  const made = new Set<string>();
  return {
    schema(name = 'main'): string {
      const schema = `${run}_${name.replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
      made.add(schema);
      return schema;
    },
    /** The store URL for a schema. */
    url(schema: string): string {
      const url = new URL(PG_URL);
      url.searchParams.set('schema', schema);
      return url.toString();
    },
    async dropAll(): Promise<void> {
      if (made.size === 0) return;
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } catch {
        // Nothing was made when the server is unreachable.
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

/** Runs SQL on the test server directly (e.g. to play a newer Switchboard), in the given schema. */
export async function pgQuery(schema: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
