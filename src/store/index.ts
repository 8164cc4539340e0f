export {
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
  ledgerOf,
  type NewLedgerEntry,
  SqliteLedgerStore,
} from './ledger-store.js';
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { Checkpoint, CheckpointStore, SwitchboardStore } from './store.js';
