/**
 * The proactive ledger in PostgreSQL, shared by several replicas. Same semantics as the SQLite ledger, made safe
 * across processes: a claim's guards (pending, cooldown, daily cap) are checked under a transaction-scoped
 * advisory lock on the customer, so two replicas cannot both pass them; the unique key settles a race for the same
 * key (INSERT … ON CONFLICT DO NOTHING, committed before the caller calls the platform); and due work is handed out
 * with `FOR UPDATE SKIP LOCKED` and a short pick lease, so each due entry goes to one replica at a time.
 */
import type pg from 'pg';
import {
  LEDGER_COLUMNS,
  type LedgerRow,
  ledgerEntryFromRow,
  ledgerInsertFields,
  toColumnValue,
} from './ledger-columns.js';
import { inTransaction } from './postgres-tx.js';
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

/** Advisory lock class of claim guards (the object is the customer's hash). */
export const LEDGER_LOCK_CLASS = 0x53420001;

export interface PostgresLedgerStoreOptions {
  /** Recorded as `claimed_by` of claims and `picked_by` of picks (default: hostname-pid-random). */
  replicaId?: string;
  /**
   * How long an entry handed out by `listDue` (or `listInDoubt` with options) stays reserved for its picker
   * (default 60 s): longer than handling one entry takes. Measured on the database's clock.
   */
  pickLeaseMs?: number;
  /** Scopes the advisory locks (the schema), so stores in other schemas of the database do not wait on these. */
  lockScope?: string;
}

type Row = LedgerRow;

/** timestamptz back to the ledger's format: ISO-8601 UTC with milliseconds, as written. */
function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

const fromRow = (row: Row): LedgerEntry => ledgerEntryFromRow(row, iso);

const CONTACTED = `('sending', 'sent', 'unknown')`;

/** Orders rows as the SQLite ledger does (NULL claim times first). */
const byDue = (a: LedgerEntry, b: LedgerEntry) => (a.dueAt ?? '').localeCompare(b.dueAt ?? '') || a.id - b.id;
const byClaim = (a: LedgerEntry, b: LedgerEntry) =>
  (a.claimedAt ?? '').localeCompare(b.claimedAt ?? '') || a.id - b.id;

/** {@link LedgerStore} on a PostgreSQL pool (tables from the PostgreSQL store's migrations). */
export class PostgresLedgerStore implements LedgerStore {
  readonly replicaId: string;
  private readonly pickLeaseMs: number;
  private readonly lockScope: string;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresLedgerStoreOptions = {},
  ) {
    this.replicaId = options.replicaId ?? defaultReplicaId();
    this.pickLeaseMs = options.pickLeaseMs ?? 60_000;
    this.lockScope = options.lockScope ?? '';
  }

  async record(entry: NewLedgerEntry): Promise<ClaimResult> {
    return inTransaction(this.pool, async (client) => {
      await this.lockCustomer(client, entry.customerId);
      return this.insertOrDuplicate(client, entry);
    });
  }

  async claimNew(entry: NewLedgerEntry, guard: ClaimGuard = {}): Promise<ClaimResult> {
    // Committed before returning: the caller calls the platform only once the claim is durable.
    return inTransaction(this.pool, async (client) => {
      await this.lockCustomer(client, entry.customerId);
      const existing = await this.byKey(client, entry.key);
      if (existing) return { outcome: 'duplicate', existing };
      const blocked = await this.checkGuard(client, entry.ruleId, entry.customerId, guard, undefined);
      if (blocked) return blocked;
      return this.insertOrDuplicate(client, {
        ...entry,
        status: 'sending',
        claimedBy: entry.claimedBy ?? this.replicaId,
      });
    });
  }

  async claimExisting(
    id: number,
    from: readonly LedgerStatus[],
    patch: LedgerPatch,
    guard: ClaimGuard = {},
  ): Promise<ClaimResult> {
    return inTransaction(this.pool, async (client): Promise<ClaimResult> => {
      const owner = await client.query<{ customer_id: string }>(
        'SELECT customer_id FROM proactive_ledger WHERE id = $1',
        [id],
      );
      if (!owner.rows[0]) return { outcome: 'moved', existing: undefined };
      await this.lockCustomer(client, owner.rows[0].customer_id);
      const { rows } = await client.query<Row & { picked_elsewhere: boolean }>(
        `SELECT *, (picked_by IS DISTINCT FROM $2 AND picked_until > clock_timestamp()) AS picked_elsewhere
         FROM proactive_ledger WHERE id = $1 FOR UPDATE`,
        [id, this.replicaId],
      );
      const row = rows[0];
      // An entry another replica picked and is handling now is theirs to claim.
      if (!row || !from.includes(row.status as LedgerStatus) || row.picked_elsewhere) {
        return { outcome: 'moved', existing: row ? fromRow(row) : undefined };
      }
      const blocked = await this.checkGuard(client, row.rule_id, row.customer_id, guard, id);
      if (blocked) return blocked;
      const entry = await this.applyUpdate(
        client,
        id,
        { ...patch, status: 'sending', claimedBy: patch.claimedBy ?? this.replicaId },
        from,
      );
      return entry ? { outcome: 'claimed', entry } : { outcome: 'moved', existing: fromRow(row) };
    });
  }

  async update(
    id: number,
    patch: LedgerPatch,
    from?: readonly LedgerStatus[],
  ): Promise<LedgerEntry | undefined> {
    return inTransaction(this.pool, (client) => this.applyUpdate(client, id, patch, from));
  }

  async get(id: number): Promise<LedgerEntry | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM proactive_ledger WHERE id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async getByKey(key: string): Promise<LedgerEntry | undefined> {
    return this.byKey(this.pool, key);
  }

  /**
   * Picks due entries for this replica: rows locked by another transaction are skipped, and so are rows another
   * replica picked whose lease has not run out. The pick ends when the lease runs out or the entry's status
   * changes.
   */
  async listDue(now: string, statuses: readonly LedgerStatus[], limit = 500): Promise<LedgerEntry[]> {
    if (statuses.length === 0) return [];
    const rows = await this.pick(
      `status = ANY($3::text[]) AND due_at IS NOT NULL AND due_at <= $4`,
      'due_at, id',
      [[...statuses], now],
      limit,
    );
    return rows.map(fromRow).sort(byDue);
  }

  /**
   * Without options, every `sending` and `unknown` entry (a store one process uses). With options, what it
   * returns is picked as by {@link listDue}, so that several replicas settle disjoint entries.
   */
  async listInDoubt(limit = 500, options?: ListInDoubtOptions): Promise<LedgerEntry[]> {
    if (!options) {
      const { rows } = await this.pool.query<Row>(
        `SELECT * FROM proactive_ledger WHERE status IN ('sending', 'unknown')
         ORDER BY claimed_at NULLS FIRST, id LIMIT $1`,
        [limit],
      );
      return rows.map(fromRow);
    }
    const before = options.sendingClaimedBefore;
    // A `sending` entry without a claim time has no age to protect it: it counts as old.
    const sending =
      before === undefined
        ? `status = 'sending'`
        : `(status = 'sending' AND (claimed_at IS NULL OR claimed_at < $3))`;
    const unknown = options.includeUnknown === false ? '' : ` OR status = 'unknown'`;
    const rows = await this.pick(
      `(${sending}${unknown})`,
      'claimed_at NULLS FIRST, id',
      before === undefined ? [] : [before],
      limit,
    );
    return rows.map(fromRow).sort(byClaim);
  }

  async countContacted(
    customerId: string,
    since: string,
    ruleId?: string,
    excludeId?: number,
  ): Promise<number> {
    return this.countContactedOn(this.pool, customerId, since, ruleId, excludeId);
  }

  async list(query: LedgerQuery = {}): Promise<LedgerEntry[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (query.status !== undefined) {
      const statuses = typeof query.status === 'string' ? [query.status] : [...query.status];
      where.push(`status = ANY(${param(statuses)}::text[])`);
    }
    if (query.ruleId !== undefined) where.push(`rule_id = ${param(query.ruleId)}`);
    if (query.customerId !== undefined) where.push(`customer_id = ${param(query.customerId)}`);
    const sql = `SELECT * FROM proactive_ledger ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ${param(query.limit ?? 100)}`;
    const { rows } = await this.pool.query<Row>(sql, values);
    return rows.map(fromRow);
  }

  async events(entryId: number): Promise<LedgerEvent[]> {
    const { rows } = await this.pool.query<{
      entry_id: string | number;
      at: Date | string;
      status: string;
      reason_code: string | null;
      reason: string | null;
    }>('SELECT * FROM proactive_ledger_events WHERE entry_id = $1 ORDER BY id', [entryId]);
    return rows.map((row) => {
      const event: LedgerEvent = {
        entryId: Number(row.entry_id),
        at: iso(row.at),
        status: row.status as LedgerStatus,
      };
      if (row.reason_code !== null) event.reasonCode = row.reason_code;
      if (row.reason !== null) event.reason = row.reason;
      return event;
    });
  }

  /** Claims of one customer wait for each other, in every replica, until the claiming transaction ends. */
  private async lockCustomer(client: pg.ClientBase, customerId: string): Promise<void> {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      LEDGER_LOCK_CLASS,
      `${this.lockScope}:${customerId}`,
    ]);
  }

  /** One statement: select free rows matching `where` ($3… are `values`), lock them, mark them picked. */
  private async pick(where: string, order: string, values: unknown[], limit: number): Promise<Row[]> {
    const { rows } = await this.pool.query<Row>(
      `WITH free AS (
         SELECT id FROM proactive_ledger
         WHERE ${where}
           AND (picked_until IS NULL OR picked_until <= clock_timestamp() OR picked_by = $1)
         ORDER BY ${order} LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE proactive_ledger AS l
       SET picked_by = $1, picked_until = clock_timestamp() + make_interval(secs => $${values.length + 3}::float8)
       FROM free WHERE l.id = free.id
       RETURNING l.*`,
      [this.replicaId, limit, ...values, this.pickLeaseMs / 1000],
    );
    return rows;
  }

  private async byKey(client: pg.Pool | pg.ClientBase, key: string): Promise<LedgerEntry | undefined> {
    const { rows } = await client.query<Row>('SELECT * FROM proactive_ledger WHERE idempotency_key = $1', [
      key,
    ]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  private async insertOrDuplicate(client: pg.ClientBase, entry: NewLedgerEntry): Promise<ClaimResult> {
    const fields = ledgerInsertFields(entry);
    const columns = Object.keys(fields);
    const { rows } = await client.query<Row>(
      `INSERT INTO proactive_ledger (${columns.join(', ')})
       VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *`,
      Object.values(fields),
    );
    if (!rows[0]) {
      const existing = await this.byKey(client, entry.key);
      if (existing) return { outcome: 'duplicate', existing };
      throw new Error(`ledger entry ${entry.key} conflicted on insert but cannot be read`);
    }
    await this.addEvent(
      client,
      Number(rows[0].id),
      entry.createdAt,
      entry.status,
      entry.reasonCode,
      entry.reason,
    );
    return { outcome: 'claimed', entry: fromRow(rows[0]) };
  }

  private async applyUpdate(
    client: pg.ClientBase,
    id: number,
    patch: LedgerPatch,
    from?: readonly LedgerStatus[],
  ): Promise<LedgerEntry | undefined> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, value] of Object.entries(patch)) {
      const column = LEDGER_COLUMNS[field];
      if (!column) continue;
      values.push(toColumnValue(field, value));
      sets.push(`${column} = $${values.length}`);
    }
    // A new status is the picker's outcome: the entry is free for whoever's turn comes next.
    if (patch.status !== undefined) sets.push('picked_by = NULL', 'picked_until = NULL');
    values.push(id);
    let sql = `UPDATE proactive_ledger SET ${sets.join(', ')} WHERE id = $${values.length}`;
    if (from && from.length > 0) {
      values.push([...from]);
      sql += ` AND status = ANY($${values.length}::text[])`;
    }
    const { rows } = await client.query<Row>(`${sql} RETURNING *`, values);
    if (!rows[0]) return undefined;
    if (patch.status !== undefined) {
      await this.addEvent(client, id, patch.updatedAt, patch.status, patch.reasonCode, patch.reason);
    }
    return fromRow(rows[0]);
  }

  private async addEvent(
    client: pg.ClientBase,
    entryId: number,
    at: string,
    status: LedgerStatus,
    reasonCode: string | undefined,
    reason: string | undefined,
  ): Promise<void> {
    await client.query(
      'INSERT INTO proactive_ledger_events (entry_id, at, status, reason_code, reason) VALUES ($1, $2, $3, $4, $5)',
      [entryId, at, status, reasonCode ?? null, reason ?? null],
    );
  }

  private contactedWhere(
    customerId: string,
    since: string,
    ruleId: string | undefined,
    excludeId: number | undefined,
  ): { where: string; values: unknown[] } {
    const values: unknown[] = [customerId, since];
    let where = `customer_id = $1 AND status IN ${CONTACTED} AND claimed_at >= $2`;
    if (ruleId !== undefined) {
      values.push(ruleId);
      where += ` AND rule_id = $${values.length}`;
    }
    if (excludeId !== undefined) {
      values.push(excludeId);
      where += ` AND id <> $${values.length}`;
    }
    return { where, values };
  }

  private async countContactedOn(
    client: pg.Pool | pg.ClientBase,
    customerId: string,
    since: string,
    ruleId: string | undefined,
    excludeId: number | undefined,
  ): Promise<number> {
    const { where, values } = this.contactedWhere(customerId, since, ruleId, excludeId);
    const { rows } = await client.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM proactive_ledger WHERE ${where}`,
      values,
    );
    return rows[0]?.count ?? 0;
  }

  private async checkGuard(
    client: pg.ClientBase,
    ruleId: string,
    customerId: string,
    guard: ClaimGuard,
    excludeId: number | undefined,
  ): Promise<ClaimResult | undefined> {
    const pending = await client.query<Row>(
      `SELECT * FROM proactive_ledger WHERE rule_id = $1 AND customer_id = $2
       AND status IN ('deferred', 'sending', 'unknown') ${excludeId !== undefined ? 'AND id <> $3' : ''} LIMIT 1`,
      [ruleId, customerId, ...(excludeId !== undefined ? [excludeId] : [])],
    );
    if (pending.rows[0]) return { outcome: 'pending', blocking: fromRow(pending.rows[0]) };
    if (guard.cooldownSince !== undefined) {
      const { where, values } = this.contactedWhere(customerId, guard.cooldownSince, ruleId, excludeId);
      const recent = await client.query<Row>(
        `SELECT * FROM proactive_ledger WHERE ${where} ORDER BY claimed_at DESC LIMIT 1`,
        values,
      );
      if (recent.rows[0]) return { outcome: 'cooldown', blocking: fromRow(recent.rows[0]) };
    }
    if (guard.cap !== undefined) {
      const count = await this.countContactedOn(client, customerId, guard.cap.since, undefined, excludeId);
      if (count >= guard.cap.max) return { outcome: 'cap', count };
    }
    return undefined;
  }
}
