/** What the engine decided for one rule, customer and trigger: the unit the ledger stores and the plan prints. */
import type { LedgerEntry, LedgerStatus } from '../../store/index.js';
import type { ProactiveRule } from '../rules/types.js';

/** One candidate: a rule that fired for a customer. */
export interface Candidate {
  rule: ProactiveRule;
  triggerKind: 'event' | 'sweep';
  /** The triggering event id, a sweep window (`sweep:<iso>`), or `conversation:<id>` for a swept guest. */
  triggerId: string;
  /** External contact id; absent for an anonymous guest. */
  contactId?: string;
  /** The conversation that triggered the rule (left out of the history a rule counts). */
  conversationId?: string;
  eventType?: string;
}

/** The ledger's customer id of a candidate. */
export function customerKey(candidate: Pick<Candidate, 'contactId' | 'conversationId'>): string {
  return candidate.contactId ?? `anonymous:${candidate.conversationId ?? 'unknown'}`;
}

/** The idempotency key: one decision per rule, customer and trigger, ever. */
export function idempotencyKey(candidate: Candidate): string {
  return `${candidate.rule.id}|${customerKey(candidate)}|${candidate.triggerId}`;
}

/**
 * The candidate a ledger entry was decided for (a deferred decision taken up again, an in-doubt send decided
 * again): its rule and trigger, or undefined when the rule is no longer among `rules`.
 */
export function candidateOfEntry(rules: readonly ProactiveRule[], entry: LedgerEntry): Candidate | undefined {
  const rule = rules.find((r) => r.id === entry.ruleId);
  if (!rule) return undefined;
  const candidate: Candidate = { rule, triggerKind: entry.triggerKind, triggerId: entry.triggerId };
  if (!entry.customerId.startsWith('anonymous:')) candidate.contactId = entry.customerId;
  const conversationId = entry.context?.conversationId;
  if (typeof conversationId === 'string') candidate.conversationId = conversationId;
  const eventType = entry.context?.eventType;
  if (typeof eventType === 'string') candidate.eventType = eventType;
  return candidate;
}

/** One decision. Addresses are redacted; `text` is only filled in a dry run. */
export interface Decision {
  ruleId: string;
  customerId: string;
  triggerId: string;
  key: string;
  /** `duplicate`: this key was decided before (nothing done now). */
  status: LedgerStatus | 'duplicate';
  reasonCode?: string;
  reason?: string;
  /** What the customer's history showed. */
  why?: string;
  channel?: string;
  /** The destination, redacted to its last few characters. */
  address?: string;
  text?: string;
  dueAt?: string;
  conversationId?: string;
  messageId?: string;
  /** Channels passed over, and why. */
  notes: string[];
  entryId?: number;
  dryRun: boolean;
}
