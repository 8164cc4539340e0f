export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { Checkpoint, CheckpointStore, SwitchboardStore } from './store.js';
