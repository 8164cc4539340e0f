/**
 * The proactive ledger: one entry per idempotency key (rule + customer + trigger) holding the current decision,
 * and an append-only log of every status an entry went through. The unique key is what makes a second send
 * impossible: a send is claimed (INSERT, or a conditional UPDATE of a deferred entry) and committed before the
 * platform is called, and cooldown and daily-cap guards are checked in the same transaction as the claim.
 */
import type Database from 'better-sqlite3';
import { ConfigError } from '../errors.js';
import {
  LEDGER_COLUMNS as COLUMNS,
  type LedgerRow,
  ledgerEntryFromRow,
  ledgerInsertFields,
  toColumnValue,
} from './ledger-columns.js';
import { defaultReplicaId } from './replica-id.js';
import { SqliteStore } from './sqlite-store.js';
import type { SwitchboardStore } from './store.js';

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

type Row = LedgerRow & { id: number; context: string | null };

const fromRow = (row: Row): LedgerEntry => ledgerEntryFromRow(row);

const placeholders = (statuses: readonly string[]) => statuses.map(() => '?').join(', ');

/** {@link LedgerStore} on the SQLite store's database (tables from its migrations). */
export class SqliteLedgerStore implements LedgerStore {
  private readonly byId: Database.Statement<[number], Row>;
  private readonly byKey: Database.Statement<[string], Row>;
  private readonly addEvent: Database.Statement<[number, string, string, string | null, string | null]>;
  private readonly replicaId: string;

  constructor(
    private readonly db: Database.Database,
    options: { replicaId?: string } = {},
  ) {
    this.replicaId = options.replicaId ?? defaultReplicaId();
    this.byId = db.prepare('SELECT * FROM proactive_ledger WHERE id = ?');
    this.byKey = db.prepare('SELECT * FROM proactive_ledger WHERE idempotency_key = ?');
    this.addEvent = db.prepare(
      'INSERT INTO proactive_ledger_events (entry_id, at, status, reason_code, reason) VALUES (?, ?, ?, ?, ?)',
    );
  }

  async record(entry: NewLedgerEntry): Promise<ClaimResult> {
    return this.db.transaction(() => this.insertOrDuplicate(entry))();
  }

  async claimNew(entry: NewLedgerEntry, guard: ClaimGuard = {}): Promise<ClaimResult> {
    return this.db.transaction((): ClaimResult => {
      const existing = this.byKey.get(entry.key);
      if (existing) return { outcome: 'duplicate', existing: fromRow(existing) };
      const blocked = this.checkGuard(entry.ruleId, entry.customerId, guard, undefined);
      if (blocked) return blocked;
      return this.insertOrDuplicate({
        ...entry,
        status: 'sending',
        claimedBy: entry.claimedBy ?? this.replicaId,
      });
    })();
  }

  async claimExisting(
    id: number,
    from: readonly LedgerStatus[],
    patch: LedgerPatch,
    guard: ClaimGuard = {},
  ): Promise<ClaimResult> {
    return this.db.transaction((): ClaimResult => {
      const row = this.byId.get(id);
      if (!row || !from.includes(row.status as LedgerStatus)) {
        return { outcome: 'moved', existing: row ? fromRow(row) : undefined };
      }
      const blocked = this.checkGuard(row.rule_id, row.customer_id, guard, id);
      if (blocked) return blocked;
      const entry = this.applyUpdate(
        id,
        { ...patch, status: 'sending', claimedBy: patch.claimedBy ?? this.replicaId },
        from,
      );
      return entry ? { outcome: 'claimed', entry } : { outcome: 'moved', existing: fromRow(row) };
    })();
  }

  async update(
    id: number,
    patch: LedgerPatch,
    from?: readonly LedgerStatus[],
  ): Promise<LedgerEntry | undefined> {
    return this.db.transaction(() => this.applyUpdate(id, patch, from))();
  }

  async get(id: number): Promise<LedgerEntry | undefined> {
    const row = this.byId.get(id);
    return row ? fromRow(row) : undefined;
  }

  async getByKey(key: string): Promise<LedgerEntry | undefined> {
    const row = this.byKey.get(key);
    return row ? fromRow(row) : undefined;
  }

  async listDue(now: string, statuses: readonly LedgerStatus[], limit = 500): Promise<LedgerEntry[]> {
    if (statuses.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT * FROM proactive_ledger WHERE status IN (${placeholders(statuses)}) AND due_at IS NOT NULL
         AND due_at <= ? ORDER BY due_at, id LIMIT ?`,
      )
      .all(...statuses, now, limit) as Row[];
    return rows.map(fromRow);
  }

  async listInDoubt(limit = 500, options: ListInDoubtOptions = {}): Promise<LedgerEntry[]> {
    const before = options.sendingClaimedBefore;
    // A `sending` entry without a claim time has no age to protect it: it counts as old.
    const sending =
      before === undefined
        ? `status = 'sending'`
        : `(status = 'sending' AND (claimed_at IS NULL OR claimed_at < ?))`;
    const unknown = options.includeUnknown === false ? '' : ` OR status = 'unknown'`;
    const rows = this.db
      .prepare(`SELECT * FROM proactive_ledger WHERE ${sending}${unknown} ORDER BY claimed_at, id LIMIT ?`)
      .all(...(before === undefined ? [] : [before]), limit) as Row[];
    return rows.map(fromRow);
  }

  async countContacted(
    customerId: string,
    since: string,
    ruleId?: string,
    excludeId?: number,
  ): Promise<number> {
    return this.contactedSince(customerId, since, ruleId, excludeId).length;
  }

  async list(query: LedgerQuery = {}): Promise<LedgerEntry[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.status !== undefined) {
      const statuses = typeof query.status === 'string' ? [query.status] : query.status;
      where.push(`status IN (${placeholders(statuses)})`);
      values.push(...statuses);
    }
    if (query.ruleId !== undefined) {
      where.push('rule_id = ?');
      values.push(query.ruleId);
    }
    if (query.customerId !== undefined) {
      where.push('customer_id = ?');
      values.push(query.customerId);
    }
    const sql = `SELECT * FROM proactive_ledger ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...values, query.limit ?? 100) as Row[];
    return rows.map(fromRow);
  }

  async events(entryId: number): Promise<LedgerEvent[]> {
    const rows = this.db
      .prepare('SELECT * FROM proactive_ledger_events WHERE entry_id = ? ORDER BY id')
      .all(entryId) as {
      entry_id: number;
      at: string;
      status: string;
      reason_code: string | null;
      reason: string | null;
    }[];
    return rows.map((row) => {
      const event: LedgerEvent = { entryId: row.entry_id, at: row.at, status: row.status as LedgerStatus };
      if (row.reason_code !== null) event.reasonCode = row.reason_code;
      if (row.reason !== null) event.reason = row.reason;
      return event;
    });
  }

  private insertOrDuplicate(entry: NewLedgerEntry): ClaimResult {
    const existing = this.byKey.get(entry.key);
    if (existing) return { outcome: 'duplicate', existing: fromRow(existing) };
    const fields = ledgerInsertFields(entry);
    const columns = Object.keys(fields);
    const result = this.db
      .prepare(`INSERT INTO proactive_ledger (${columns.join(', ')}) VALUES (${placeholders(columns)})`)
      .run(...Object.values(fields));
    const id = Number(result.lastInsertRowid);
    this.addEvent.run(id, entry.createdAt, entry.status, entry.reasonCode ?? null, entry.reason ?? null);
    return { outcome: 'claimed', entry: fromRow(this.byId.get(id)!) };
  }

  private applyUpdate(
    id: number,
    patch: LedgerPatch,
    from?: readonly LedgerStatus[],
  ): LedgerEntry | undefined {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, value] of Object.entries(patch)) {
      const column = COLUMNS[field];
      if (!column) continue;
      sets.push(`${column} = ?`);
      values.push(toColumnValue(field, value));
    }
    let sql = `UPDATE proactive_ledger SET ${sets.join(', ')} WHERE id = ?`;
    values.push(id);
    if (from && from.length > 0) {
      sql += ` AND status IN (${placeholders(from)})`;
      values.push(...from);
    }
    const changed = this.db.prepare(sql).run(...values).changes;
    if (changed === 0) return undefined;
    const entry = fromRow(this.byId.get(id)!);
    if (patch.status !== undefined) {
      this.addEvent.run(id, patch.updatedAt, patch.status, patch.reasonCode ?? null, patch.reason ?? null);
    }
    return entry;
  }

  private contactedSince(
    customerId: string,
    since: string,
    ruleId: string | undefined,
    excludeId: number | undefined,
  ) {
    const rows = this.db
      .prepare(
        `SELECT * FROM proactive_ledger WHERE customer_id = ? AND status IN ('sending', 'sent', 'unknown')
         AND claimed_at >= ? ${ruleId !== undefined ? 'AND rule_id = ?' : ''} ${excludeId !== undefined ? 'AND id != ?' : ''}
         ORDER BY claimed_at DESC`,
      )
      .all(
        customerId,
        since,
        ...(ruleId !== undefined ? [ruleId] : []),
        ...(excludeId !== undefined ? [excludeId] : []),
      ) as Row[];
    return rows.map(fromRow);
  }

  private checkGuard(
    ruleId: string,
    customerId: string,
    guard: ClaimGuard,
    excludeId: number | undefined,
  ): ClaimResult | undefined {
    const pending = this.db
      .prepare(
        `SELECT * FROM proactive_ledger WHERE rule_id = ? AND customer_id = ? AND status IN ('deferred', 'sending', 'unknown')
         ${excludeId !== undefined ? 'AND id != ?' : ''} LIMIT 1`,
      )
      .get(ruleId, customerId, ...(excludeId !== undefined ? [excludeId] : [])) as Row | undefined;
    if (pending) return { outcome: 'pending', blocking: fromRow(pending) };
    if (guard.cooldownSince !== undefined) {
      const recent = this.contactedSince(customerId, guard.cooldownSince, ruleId, excludeId);
      if (recent.length > 0) return { outcome: 'cooldown', blocking: recent[0]! };
    }
    if (guard.cap !== undefined) {
      const count = this.contactedSince(customerId, guard.cap.since, undefined, excludeId).length;
      if (count >= guard.cap.max) return { outcome: 'cap', count };
    }
    return undefined;
  }
}

/** The ledger of a store: its own when it has one, else one on the SQLite store's database. */
export function ledgerOf(store: SwitchboardStore): LedgerStore {
  if (store.ledger) return store.ledger;
  if (store instanceof SqliteStore)
    return new SqliteLedgerStore(store.database, { replicaId: store.replicaId });
  throw new ConfigError(`The store ${store.description} has no proactive ledger.`, {
    hint: 'Use the SQLite store (--db path), a postgres:// store, or a store that implements the ledger.',
  });
}
