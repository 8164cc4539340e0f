/** One transaction on a pooled PostgreSQL connection. */
import type pg from 'pg';

/**
 * Runs `work` between BEGIN and COMMIT on one connection of the pool; rolls back when it throws. A connection
 * whose rollback failed is discarded, not returned to the pool.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
