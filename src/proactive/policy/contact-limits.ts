/**
 * How often one customer may be contacted: one open decision per rule and customer at a time, the rule's cooldown,
 * and the daily cap over every rule. The limits are read from the ledger before any platform call
 * ({@link contactLimitProblem}), then checked again by the claim itself, in the same transaction
 * ({@link claimGuard}), so two decisions racing for the same customer cannot both pass;
 * {@link claimRefusal} says why a claim was refused.
 */
import type { ClaimGuard, ClaimResult, LedgerStore } from '../../store/index.js';
import { formatDuration } from '../rules/duration.js';
import type { ProactiveRule } from '../rules/types.js';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Why a limit forbids contacting the customer now. */
export interface LimitProblem {
  reasonCode: 'pending' | 'cooldown' | 'daily_cap';
  reason: string;
}

/**
 * The limit that forbids contacting the customer now, read from the ledger, or undefined. `existingId`: the entry
 * being decided again, which neither counts as another open decision nor as a contact.
 */
export async function contactLimitProblem(
  ledger: LedgerStore,
  rule: ProactiveRule,
  customerId: string,
  now: () => number,
  existingId: number | undefined,
): Promise<LimitProblem | undefined> {
  const open = (
    await ledger.list({ ruleId: rule.id, customerId, status: ['deferred', 'sending', 'unknown'] })
  ).filter((e) => e.id !== existingId);
  if (open[0]) {
    return {
      reasonCode: 'pending',
      reason: `another decision of this rule for this customer is still open (ledger entry ${open[0].id}, ${open[0].status})`,
    };
  }
  const at = now();
  const recent = await ledger.countContacted(
    customerId,
    iso(at - rule.policy.cooldownMs),
    rule.id,
    existingId,
  );
  if (recent > 0) {
    return {
      reasonCode: 'cooldown',
      reason: `contacted by this rule within the cooldown (${formatDuration(rule.policy.cooldownMs)})`,
    };
  }
  const today = await ledger.countContacted(customerId, iso(at - DAY_MS), undefined, existingId);
  if (today >= rule.policy.dailyCap) {
    return {
      reasonCode: 'daily_cap',
      reason: `already contacted ${today} time(s) in the last 24 hours (cap ${rule.policy.dailyCap})`,
    };
  }
  return undefined;
}

/** The cooldown and the daily cap as the claim checks them, atomically, at `now`. */
export function claimGuard(rule: ProactiveRule, now: number): ClaimGuard {
  return {
    cooldownSince: iso(now - rule.policy.cooldownMs),
    cap: { since: iso(now - DAY_MS), max: rule.policy.dailyCap },
  };
}

/** A claim the ledger refused because a limit held when it checked again. */
export type LimitedClaim = Extract<ClaimResult, { outcome: 'pending' | 'cooldown' | 'cap' }>;

/** Why the claim was refused. */
export function claimRefusal(claim: LimitedClaim, rule: ProactiveRule): LimitProblem {
  switch (claim.outcome) {
    case 'pending':
      return {
        reasonCode: 'pending',
        reason: `another decision of this rule for this customer is still open (ledger entry ${claim.blocking.id}, ${claim.blocking.status})`,
      };
    case 'cooldown':
      return {
        reasonCode: 'cooldown',
        reason: `contacted by this rule at ${claim.blocking.claimedAt}, within the cooldown`,
      };
    case 'cap':
      return {
        reasonCode: 'daily_cap',
        reason: `already contacted ${claim.count} time(s) in the last 24 hours (cap ${rule.policy.dailyCap})`,
      };
  }
}
