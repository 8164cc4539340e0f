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
  /** The highest fencing epoch a write presented (see {@link PutCheckpointOptions}); absent when none ever did. */
  epoch?: number;
}

/** Options of {@link CheckpointStore.putCheckpoint}. */
export interface PutCheckpointOptions {
  /**
   * Fencing epoch of the writer (e.g. the generation of the lease it holds on the key). The write is refused when
   * the stored checkpoint carries a higher epoch: a writer that lost its lease cannot overwrite the new owner's
   * state. An equal or higher epoch (or none stored yet) writes and stores this epoch.
   */
  epoch?: number;
}

/** Key/value checkpoints: the lifecycle deriver's state and the time of the last frame. */
export interface CheckpointStore {
  getCheckpoint<T = unknown>(key: string): Promise<Checkpoint<T> | undefined>;
  /**
   * Writes a checkpoint; false (and nothing written) when `options.epoch` is lower than the stored epoch. A write
   * without an epoch always writes, as an unfenced single writer does, and leaves the stored epoch as it was, so
   * a fenced writer with a lower epoch is still refused afterwards.
   */
  putCheckpoint<T = unknown>(key: string, value: T, options?: PutCheckpointOptions): Promise<boolean>;
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
