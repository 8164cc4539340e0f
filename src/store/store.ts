/**
 * The storage interfaces. Everything Switchboard persists goes through them, so that the embedded default (SQLite)
 * and a shared database (PostgreSQL, for several replicas) are interchangeable. Methods are async even where the
 * embedded engine is synchronous, because a networked one is not. Each engine lives beside this file
 * (sqlite-*.ts, postgres-*.ts); open-store.ts picks one.
 *
 * The proactive ledger: one entry per idempotency key (rule + customer + trigger) holding the current decision,
 * and an append-only log of every status an entry went through. The unique key is what makes a second send
 * impossible: a send is claimed (INSERT, or a conditional UPDATE of a deferred entry) and committed before the
 * platform is called, and cooldown and daily-cap guards are checked in the same transaction as the claim.
 */
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
  /** The proactive ledger, when the store keeps one (both engines do; see `ledgerOf`). */
  readonly ledger?: LedgerStore;
  close(): Promise<void>;
}

/**
 * Where a decision stands. `sending`: claimed, the platform's answer not yet recorded (after a crash it stays so);
 * `unknown`: the platform may or may not have acted (timeout, 5xx after the request went out). Both are "in doubt"
 * and are reconciled against analytics before anything is sent again.
 */
export type LedgerStatus = 'planned' | 'deferred' | 'sending' | 'sent' | 'skipped' | 'failed' | 'unknown';

export const LEDGER_STATUSES: readonly LedgerStatus[] = [
  'planned',
  'deferred',
  'sending',
  'sent',
  'skipped',
  'failed',
  'unknown',
];

/** Statuses that count as "this customer was (or may have been) contacted". */
export const CONTACTED_STATUSES: readonly LedgerStatus[] = ['sending', 'sent', 'unknown'];

/** One decision. Times are ISO-8601 UTC strings from the engine's clock. */
export interface LedgerEntry {
  id: number;
  key: string;
  ruleId: string;
  /** External contact id, or `anonymous:<conversationId>` for a guest. */
  customerId: string;
  triggerKind: 'event' | 'sweep';
  /** The triggering event id, or the sweep window. */
  triggerId: string;
  status: LedgerStatus;
  channel?: string;
  /** Where the message went (or goes); kept for reconciliation, never logged or printed unredacted. */
  toAddress?: string;
  /** Stable code of the reason (`opted_out`, `quiet_hours`, `platform_rejected`, ...). */
  reasonCode?: string;
  reason?: string;
  dueAt?: string;
  claimedAt?: string;
  /** The replica that made the latest claim (the store's replica id unless the claim names one). */
  claimedBy?: string;
  sentAt?: string;
  conversationId?: string;
  messageId?: string;
  platformCode?: string;
  correlationId?: string;
  /** Send attempts made for this entry. */
  attempts: number;
  /** What the engine needs to pick a deferred entry up again (trigger details); JSON. */
  context?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** Fields of a new entry. */
export type NewLedgerEntry = Omit<LedgerEntry, 'id' | 'attempts' | 'updatedAt'> & { attempts?: number };

/** Fields an update may change. */
export type LedgerPatch = Partial<
  Omit<LedgerEntry, 'id' | 'key' | 'ruleId' | 'customerId' | 'triggerKind' | 'triggerId' | 'createdAt'>
> & { updatedAt: string };

/** One status an entry went through. */
export interface LedgerEvent {
  entryId: number;
  at: string;
  status: LedgerStatus;
  reasonCode?: string;
  reason?: string;
}

/** Conditions checked atomically with a claim. */
export interface ClaimGuard {
  /** No contacted entry of the same rule and customer claimed at or after this time. */
  cooldownSince?: string;
  /** At most `max` contacted entries of the customer (any rule) claimed at or after `since`. */
  cap?: { since: string; max: number };
}

/** What a claim found. */
export type ClaimResult =
  | { outcome: 'claimed'; entry: LedgerEntry }
  | { outcome: 'duplicate'; existing: LedgerEntry }
  | { outcome: 'cooldown'; blocking: LedgerEntry }
  | { outcome: 'pending'; blocking: LedgerEntry }
  | { outcome: 'cap'; count: number }
  /** A conditional claim of an existing entry found it no longer in the expected status. */
  | { outcome: 'moved'; existing: LedgerEntry | undefined };

/** Filters of {@link LedgerStore.list}. */
export interface LedgerQuery {
  status?: LedgerStatus | readonly LedgerStatus[];
  ruleId?: string;
  customerId?: string;
  /** Newest first; default 100. */
  limit?: number;
}

/** Options of {@link LedgerStore.listInDoubt}. */
export interface ListInDoubtOptions {
  /**
   * Leave out `sending` entries claimed at or after this time (ISO-8601): with a store shared by several
   * replicas their claimer may still be sending. `unknown` entries are included unless `includeUnknown` is false.
   */
  sendingClaimedBefore?: string;
  /** `unknown` entries too (default true); false lists only `sending` ones. */
  includeUnknown?: boolean;
}

/** Storage of the proactive ledger. Async so that a networked database can implement it. */
export interface LedgerStore {
  /** Records a decision that sends nothing (skipped, deferred, failed); `duplicate` when the key exists. */
  record(entry: NewLedgerEntry): Promise<ClaimResult>;
  /** Inserts a `sending` entry if the key is new and the guard holds, in one transaction. */
  claimNew(entry: NewLedgerEntry, guard?: ClaimGuard): Promise<ClaimResult>;
  /** Moves an existing entry from one of `from` to `sending` if the guard holds, in one transaction. */
  claimExisting(
    id: number,
    from: readonly LedgerStatus[],
    patch: LedgerPatch,
    guard?: ClaimGuard,
  ): Promise<ClaimResult>;
  /** Updates an entry (only if its status is one of `from`, when given); undefined when it did not apply. */
  update(id: number, patch: LedgerPatch, from?: readonly LedgerStatus[]): Promise<LedgerEntry | undefined>;
  get(id: number): Promise<LedgerEntry | undefined>;
  getByKey(key: string): Promise<LedgerEntry | undefined>;
  /**
   * Entries in one of `statuses` whose due time has come (`dueAt <= now`), oldest due first. A store shared by
   * several processes hands each entry to one caller at a time (it is picked for a short lease).
   */
  listDue(now: string, statuses: readonly LedgerStatus[], limit?: number): Promise<LedgerEntry[]>;
  /**
   * Entries claimed but never settled: `sending` and `unknown`. A shared store picks what it returns when
   * `options` are given, as `listDue` does.
   */
  listInDoubt(limit?: number, options?: ListInDoubtOptions): Promise<LedgerEntry[]>;
  /** Contacted entries of a customer (and rule, when given) claimed at or after `since`, `excludeId` left out. */
  countContacted(customerId: string, since: string, ruleId?: string, excludeId?: number): Promise<number>;
  list(query?: LedgerQuery): Promise<LedgerEntry[]>;
  /** The statuses an entry went through, oldest first. */
  events(entryId: number): Promise<LedgerEvent[]>;
}
