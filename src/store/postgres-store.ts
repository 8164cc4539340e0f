/**
 * The shared store: PostgreSQL through a `pg` pool, for several Switchboard replicas that share checkpoints and the
 * proactive ledger. Opening connects, creates the schema when one is named, and applies the migrations.
 */
import pg from 'pg';
import { ConfigError, SwitchboardError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import { PostgresLedgerStore } from './postgres-ledger-store.js';
import { migratePostgres } from './postgres-migrations.js';
import { type PostgresTarget, parsePostgresUrl, scrubPassword } from './postgres-url.js';
import { defaultReplicaId } from './replica-id.js';
import type { Checkpoint, PutCheckpointOptions, SwitchboardStore } from './store.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`, optionally with `?schema=name`. */
  url: string;
  /** The schema of the store's tables, created if absent (wins over `?schema=`); default: the server's. */
  schema?: string;
  /** This process in the ledger's `claimed_by` and `picked_by` (default: hostname-pid-random). */
  replicaId?: string;
  /** How long a due entry handed to this replica stays reserved for it (default 60 s). */
  pickLeaseMs?: number;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** How long connecting may take (default 10 s). */
  connectTimeoutMs?: number;
  logger?: Logger;
}

/** Error codes of a server that is there but refuses us: host, port or database are fine to name in a hint. */
const AUTH_CODES = new Set(['28P01', '28000']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

/** Connects, migrates and returns the store; a ConfigError (with a hint, never the password) when it cannot. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const target = parsePostgresUrl(options.url, options.schema);
  const logger = options.logger ?? silentLogger();
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'switchboard',
  });
  // An idle connection the server dropped must not crash the process; the next query gets a new one.
  pool.on('error', (error) =>
    logger.warn(
      { store: target.description, err: scrubPassword(error.message, target.password) },
      'PostgreSQL connection lost',
    ),
  );
  try {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw connectError(cause, target);
    }
    let failed = false;
    try {
      const applied = await migratePostgres(client, target);
      if (applied.length > 0) logger.info({ store: target.description, applied }, 'store schema migrated');
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      client.release(failed);
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof SwitchboardError) throw error;
    throw new ConfigError(
      `Cannot prepare the PostgreSQL store at ${target.description}: ${scrubPassword((error as Error).message, target.password)}`,
      {
        hint: 'The user needs the right to create a schema and tables in this database (or an existing schema to use).',
        cause: error,
      },
    );
  }
  return new PostgresStore(pool, target, options);
}

function connectError(cause: unknown, target: PostgresTarget): ConfigError {
  const code = (cause as { code?: string }).code ?? '';
  const message = scrubPassword((cause as Error).message ?? String(cause), target.password);
  let hint = `Check that PostgreSQL runs at ${target.host}:${target.port} and accepts connections from this host, and that database ${target.database} exists.`;
  if (AUTH_CODES.has(code)) {
    hint = `The server at ${target.host}:${target.port} refused the user: check the user and password in the store URL (database ${target.database}).`;
  } else if (code === '3D000') {
    hint = `Create the database ${target.database} on ${target.host}:${target.port}, or name an existing one in the store URL.`;
  } else if (NETWORK_CODES.has(code) || /timeout/i.test(message)) {
    hint = `Nothing answered at ${target.host}:${target.port}: check the host and port of the store URL and that PostgreSQL runs there (database ${target.database}).`;
  }
  return new ConfigError(`Cannot connect to the PostgreSQL store at ${target.description}: ${message}`, {
    hint,
    cause,
  });
}

/** PostgreSQL implementation of {@link SwitchboardStore}, with its own ledger. */
export class PostgresStore implements SwitchboardStore {
  readonly description: string;
  readonly ledger: PostgresLedgerStore;
  readonly replicaId: string;
  /** The schema of the tables; undefined: the server's default search_path. */
  readonly schema: string | undefined;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    target: Pick<PostgresTarget, 'description' | 'schema'>,
    options: Pick<PostgresStoreOptions, 'replicaId' | 'pickLeaseMs'> = {},
  ) {
    this.description = target.description;
    this.schema = target.schema;
    this.replicaId = options.replicaId ?? defaultReplicaId();
    const ledgerOptions: ConstructorParameters<typeof PostgresLedgerStore>[1] = {
      replicaId: this.replicaId,
      lockScope: target.schema ?? '',
    };
    if (options.pickLeaseMs !== undefined) ledgerOptions.pickLeaseMs = options.pickLeaseMs;
    this.ledger = new PostgresLedgerStore(pool, ledgerOptions);
  }

  async getCheckpoint<T = unknown>(key: string): Promise<Checkpoint<T> | undefined> {
    const { rows } = await this.pool.query<{ value: unknown; updated_at: Date; epoch: string | null }>(
      'SELECT value, updated_at, epoch FROM checkpoints WHERE key = $1',
      [key],
    );
    const row = rows[0];
    if (!row) return undefined;
    const checkpoint: Checkpoint<T> = {
      key,
      value: row.value as T,
      updatedAt: new Date(row.updated_at).toISOString(),
    };
    if (row.epoch !== null) checkpoint.epoch = Number(row.epoch);
    return checkpoint;
  }

  async putCheckpoint<T = unknown>(
    key: string,
    value: T,
    options: PutCheckpointOptions = {},
  ): Promise<boolean> {
    // One statement: the epoch check and the write cannot be separated by another replica's write.
    const result = await this.pool.query(
      `INSERT INTO checkpoints (key, value, updated_at, epoch) VALUES ($1, $2, $3, $4::bigint)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at,
         epoch = COALESCE(EXCLUDED.epoch, checkpoints.epoch)
       WHERE EXCLUDED.epoch IS NULL OR checkpoints.epoch IS NULL OR checkpoints.epoch <= EXCLUDED.epoch`,
      [key, JSON.stringify(value), new Date().toISOString(), options.epoch ?? null],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async deleteCheckpoint(key: string): Promise<void> {
    await this.pool.query('DELETE FROM checkpoints WHERE key = $1', [key]);
  }

  /** Ends the pool (waits for checked-out connections to come back). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
