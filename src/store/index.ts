export { describeStoreSpec, ledgerOf, type OpenStoreOptions, openStore } from './open-store.js';
export { PostgresLedgerStore, type PostgresLedgerStoreOptions } from './postgres-ledger-store.js';
export { openPostgresStore, PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { isPostgresSpec } from './postgres-url.js';
export { defaultReplicaId } from './replica-id.js';
export { SqliteLedgerStore } from './sqlite-ledger-store.js';
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export {
  type Checkpoint,
  type CheckpointStore,
  type ClaimGuard,
  type ClaimResult,
  CONTACTED_STATUSES,
  LEDGER_STATUSES,
  type LedgerEntry,
  type LedgerEvent,
  type LedgerPatch,
  type LedgerQuery,
  type LedgerStatus,
  type LedgerStore,
  type ListInDoubtOptions,
  type NewLedgerEntry,
  type PutCheckpointOptions,
  type SwitchboardStore,
} from './store.js';
