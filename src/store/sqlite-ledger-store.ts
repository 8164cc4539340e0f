/**
 * The proactive ledger in the SQLite store's database (tables from its migrations); see store.ts for what the
 * ledger is and promises.
 */
import type Database from 'better-sqlite3';
import {
  LEDGER_COLUMNS as COLUMNS,
  type LedgerRow,
  ledgerEntryFromRow,
  ledgerInsertFields,
  toColumnValue,
} from './ledger-columns.js';
import { defaultReplicaId } from './replica-id.js';
import type {
  ClaimGuard,
  ClaimResult,
  LedgerEntry,
  LedgerEvent,
  LedgerPatch,
  LedgerQuery,
  LedgerStatus,
  LedgerStore,
  ListInDoubtOptions,
  NewLedgerEntry,
} from './store.js';

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
