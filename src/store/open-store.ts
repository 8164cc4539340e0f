/**
 * One entry point for both engines: a `postgres://` (or `postgresql://`) URL opens the shared PostgreSQL store,
 * anything else is the path of the embedded SQLite file. `ledgerOf` gives a store's proactive ledger. The PostgreSQL
 * engine (and its client, pg) is loaded only for a `postgres://` spec.
 */
import { ConfigError } from '../errors.js';
import type { Logger } from '../logging.js';
import { isPostgresSpec, parsePostgresUrl } from './postgres-url.js';
import { openSqliteStore } from './sqlite-store.js';
import type { LedgerStore, SwitchboardStore } from './store.js';

export interface OpenStoreOptions {
  /** This process in a shared ledger (`claimed_by`, `picked_by`); default hostname-pid-random. */
  replicaId?: string;
  logger?: Logger;
}

/** Opens the store a spec names, its schema brought up to date; a ConfigError with a hint when it cannot. */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<SwitchboardStore> {
  if (isPostgresSpec(spec)) {
    const { openPostgresStore } = await import('./postgres-store.js');
    return openPostgresStore({
      url: spec,
      ...(options.replicaId !== undefined ? { replicaId: options.replicaId } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
  }
  return openSqliteStore({
    path: spec,
    ...(options.replicaId !== undefined ? { replicaId: options.replicaId } : {}),
  });
}

/** How a spec is named in logs and errors: `postgres://host:port/db` (never a password) or `sqlite:<path>`. */
export function describeStoreSpec(spec: string): string {
  if (!isPostgresSpec(spec)) return `sqlite:${spec}`;
  try {
    return parsePostgresUrl(spec).description;
  } catch {
    return 'postgres://(malformed URL)';
  }
}

/** The proactive ledger of a store; a ConfigError with a hint when the store keeps none. */
export function ledgerOf(store: SwitchboardStore): LedgerStore {
  if (store.ledger) return store.ledger;
  throw new ConfigError(`The store ${store.description} has no proactive ledger.`, {
    hint: 'Use the SQLite store (--db path), a postgres:// store, or a store that implements the ledger.',
  });
}
