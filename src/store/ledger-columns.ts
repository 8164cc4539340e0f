/** Ledger entry fields and the columns that hold them, shared by both engines' ledgers. */

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
