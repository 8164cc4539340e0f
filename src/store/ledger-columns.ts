/** Ledger entry fields and the columns that hold them, shared by both engines' ledgers. */
import type { LedgerEntry, LedgerStatus, NewLedgerEntry } from './store.js';

/** Entry field → column, for the fields an insert or update writes. */
export const LEDGER_COLUMNS: Readonly<Record<string, string>> = {
  status: 'status',
  channel: 'channel',
  toAddress: 'to_address',
  reasonCode: 'reason_code',
  reason: 'reason',
  dueAt: 'due_at',
  claimedAt: 'claimed_at',
  claimedBy: 'claimed_by',
  sentAt: 'sent_at',
  conversationId: 'conversation_id',
  messageId: 'message_id',
  platformCode: 'platform_code',
  correlationId: 'correlation_id',
  attempts: 'attempts',
  context: 'context',
  updatedAt: 'updated_at',
};

/** A field's value as its column stores it: context as JSON text, absent as NULL. */
export function toColumnValue(field: string, value: unknown): unknown {
  if (value === undefined) return null;
  if (field === 'context') return JSON.stringify(value);
  return value;
}

/**
 * A `proactive_ledger` row as either engine returns it: SQLite gives text throughout, PostgreSQL gives `Date`s for
 * timestamptz columns, a bigint id as text, and JSON already parsed.
 */
export interface LedgerRow {
  id: string | number;
  idempotency_key: string;
  rule_id: string;
  customer_id: string;
  trigger_kind: string;
  trigger_id: string;
  status: string;
  channel: string | null;
  to_address: string | null;
  reason_code: string | null;
  reason: string | null;
  due_at: Date | string | null;
  claimed_at: Date | string | null;
  claimed_by: string | null;
  sent_at: Date | string | null;
  conversation_id: string | null;
  message_id: string | null;
  platform_code: string | null;
  correlation_id: string | null;
  attempts: number;
  context: unknown;
  created_at: Date | string;
  updated_at: Date | string;
}

/**
 * The entry a row holds. `time` turns a time column into the ledger's string form: as stored for SQLite (the
 * default), back to ISO-8601 UTC with milliseconds for PostgreSQL.
 */
export function ledgerEntryFromRow(
  row: LedgerRow,
  time: (value: Date | string) => string = (value) => value as string,
): LedgerEntry {
  const entry: LedgerEntry = {
    id: Number(row.id),
    key: row.idempotency_key,
    ruleId: row.rule_id,
    customerId: row.customer_id,
    triggerKind: row.trigger_kind as LedgerEntry['triggerKind'],
    triggerId: row.trigger_id,
    status: row.status as LedgerStatus,
    attempts: row.attempts,
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
  };
  const optional: [keyof LedgerEntry, string | null][] = [
    ['channel', row.channel],
    ['toAddress', row.to_address],
    ['reasonCode', row.reason_code],
    ['reason', row.reason],
    ['dueAt', row.due_at === null ? null : time(row.due_at)],
    ['claimedAt', row.claimed_at === null ? null : time(row.claimed_at)],
    ['claimedBy', row.claimed_by],
    ['sentAt', row.sent_at === null ? null : time(row.sent_at)],
    ['conversationId', row.conversation_id],
    ['messageId', row.message_id],
    ['platformCode', row.platform_code],
    ['correlationId', row.correlation_id],
  ];
  for (const [field, value] of optional) {
    if (value !== null) (entry as unknown as Record<string, unknown>)[field] = value;
  }
  if (row.context !== null && row.context !== undefined) {
    entry.context = (typeof row.context === 'string' ? JSON.parse(row.context) : row.context) as Record<
      string,
      unknown
    >;
  }
  return entry;
}

/** Column → value of a new entry, for an INSERT (its status history starts at `createdAt`). */
export function ledgerInsertFields(entry: NewLedgerEntry): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    idempotency_key: entry.key,
    rule_id: entry.ruleId,
    customer_id: entry.customerId,
    trigger_kind: entry.triggerKind,
    trigger_id: entry.triggerId,
    created_at: entry.createdAt,
    updated_at: entry.createdAt,
    attempts: entry.attempts ?? 0,
  };
  for (const [field, column] of Object.entries(LEDGER_COLUMNS)) {
    if (field === 'updatedAt' || field === 'attempts') continue;
    const value = (entry as unknown as Record<string, unknown>)[field];
    if (value !== undefined) fields[column] = toColumnValue(field, value);
  }
  return fields;
}
