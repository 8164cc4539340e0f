/** Decisions as an operator reads them: one block per decision, addresses redacted, text only in a dry run. */
import type { LedgerEntry } from '../../store/index.js';
import { redactAddress } from '../redact.js';
import type { Decision } from './decision.js';

const LABEL: Record<string, string> = {
  planned: 'PLAN',
  sent: 'SENT',
  deferred: 'DEFER',
  skipped: 'SKIP',
  failed: 'FAIL',
  unknown: 'UNKNOWN',
  sending: 'SENDING',
  duplicate: 'DONE',
};

/** A decision as printed lines. */
export function formatDecision(decision: Decision): string {
  const head = [
    (LABEL[decision.status] ?? decision.status.toUpperCase()).padEnd(7),
    `rule=${decision.ruleId}`,
    `customer=${decision.customerId}`,
    decision.channel ? `channel=${decision.channel}` : '',
    decision.address ? `to=${decision.address}` : '',
    decision.dueAt ? `due=${decision.dueAt}` : '',
    decision.entryId !== undefined ? `entry=${decision.entryId}` : '',
  ]
    .filter(Boolean)
    .join('  ');
  const lines = [head];
  if (decision.status === 'duplicate') lines.push('        already decided for this trigger; nothing done');
  if (decision.reason)
    lines.push(`        ${decision.reasonCode ? `${decision.reasonCode}: ` : ''}${decision.reason}`);
  if (decision.why) lines.push(`        why: ${decision.why}`);
  for (const note of decision.notes) lines.push(`        passed over ${note}`);
  if (decision.text !== undefined) lines.push(`        text: ${JSON.stringify(decision.text)}`);
  return `${lines.join('\n')}\n`;
}

/** A ledger entry for `switchboard ledger`: the address redacted, the context left out. */
export function describeEntry(entry: LedgerEntry): Record<string, unknown> {
  const { toAddress, context: _context, ...rest } = entry;
  return toAddress ? { ...rest, toAddress: redactAddress(toAddress) } : rest;
}

/** A ledger entry as one table line. */
export function formatEntry(entry: LedgerEntry): string {
  return [
    String(entry.id).padStart(5),
    entry.updatedAt,
    entry.status.padEnd(8),
    entry.ruleId,
    entry.customerId,
    entry.channel ?? '-',
    entry.toAddress ? redactAddress(entry.toAddress) : '-',
    entry.dueAt ? `due ${entry.dueAt}` : '',
    entry.reasonCode ? `${entry.reasonCode}${entry.reason ? `: ${entry.reason}` : ''}` : '',
  ]
    .filter((part) => part !== '')
    .join('  ');
}
