/**
 * The storage interface. Everything Switchboard persists goes through it, so that the embedded default (SQLite)
 * and a shared database (PostgreSQL, for several replicas) are interchangeable. Methods are async even where the
 * embedded engine is synchronous, because a networked one is not.
 */
import type { LedgerStore } from './ledger-store.js';

/** A stored checkpoint: an opaque JSON value under a key (e.g. `deriver`, `deriver:shard-3`). */
export interface Checkpoint<T = unknown> {
  key: string;
  value: T;
  /** When it was written (ISO-8601 UTC). */
  updatedAt: string;
}

/** Key/value checkpoints: the lifecycle deriver's state and the time of the last frame. */
export interface CheckpointStore {
  getCheckpoint<T = unknown>(key: string): Promise<Checkpoint<T> | undefined>;
  putCheckpoint<T = unknown>(key: string, value: T): Promise<void>;
  deleteCheckpoint(key: string): Promise<void>;
}

/** Everything a store provides. Grows by interfaces (the proactive ledger joins here). */
export interface SwitchboardStore extends CheckpointStore {
  /** Which engine, for logs and health: `sqlite:<path>`, `postgres://host/db`. Never includes a password. */
  readonly description: string;
  /** The proactive ledger, when the store provides its own (see `ledgerOf`). */
  readonly ledger?: LedgerStore;
  close(): Promise<void>;
}
