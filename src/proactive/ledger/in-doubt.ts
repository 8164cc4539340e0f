/**
 * Settling in-doubt sends. An entry left `sending` (the process died between the claim and the platform's
 * answer) or `unknown` (a 5xx or a lost connection after the request went out) is looked up in analytics before
 * anything is sent again: found → sent; not found while analytics may still lag → checked again later; not found
 * after the grace period → decided (and sent) again, as a further attempt of the same entry.
 *
 * With a store shared by several replicas, a `sending` entry may be another replica's send in progress: it is
 * settled only once its claim is older than `sendingStaleMs` (its claimer presumed gone), and the shared store hands
 * each such entry to one settler at a time.
 *
 * The settler owns no state of its own: it asks the claimed sender whether an entry's send is under way here,
 * hands an entry known not to have been sent back to the decider, stops a rule through the rule stops and reports
 * what it settled itself.
 */
import type { Logger } from '../../logging.js';
import type { LedgerEntry, LedgerStore } from '../../store/index.js';
import { describeForbidden, isForbidden } from '../platform-port.js';
import type { RuleStopper } from '../policy/rule-stops.js';
import { maskAddresses } from '../redact.js';
import type { ProactiveRule, ProactiveSettings } from '../rules/types.js';
import type { ClaimedSender } from './claimed-sender.js';
import { type Candidate, candidateOfEntry, type Decision } from './decision.js';
import type { Reconciler } from './reconcile.js';
import type { DecisionReporter } from './reporter.js';

const iso = (ms: number) => new Date(ms).toISOString();
/** Stale entries taken per pass: few enough to settle well within the store's pick lease. */
const STALE_BATCH = 50;

/** What the settler needs of the decider: deciding an entry again. */
export interface Redecider {
  /** Decides (and sends) an entry again once it is known not to have been sent; reports the decision. */
  decide(candidate: Candidate, entry: LedgerEntry): Promise<Decision>;
}

export interface InDoubtDeps {
  ledger: LedgerStore;
  reconciler: Pick<Reconciler, 'find'>;
  settings: ProactiveSettings['reconcile'];
  /** The rules an entry is decided again under; an entry whose rule is gone is closed, never sent. */
  rules: readonly ProactiveRule[];
  decider: Redecider;
  /** Whether this process is sending an entry right now: such an entry is never settled meanwhile. */
  sends: Pick<ClaimedSender, 'isSending'>;
  /** Stops the rule when analytics refuses the lookup (there is no way to know then). */
  stops: RuleStopper;
  reporter: Pick<DecisionReporter, 'report'>;
  now: () => number;
  dryRun: boolean;
  logger: Logger;
  /**
   * With a store shared by several replicas: how old a `sending` claim must be before it is settled here (its
   * claimer may still be sending until then). 0 (default): every `sending` entry found at start is from a dead
   * run, right for a store only this process uses.
   */
  sendingStaleMs?: number;
}

/** Settles in-doubt ledger entries against analytics. */
export class InDoubtSettler {
  constructor(private readonly deps: InDoubtDeps) {}

  /** Settles every entry an earlier run left in doubt (with `sendingStaleMs`: the stale ones, a batch). */
  async settleAll(): Promise<Decision[]> {
    const options = this.staleOptions();
    const entries = options
      ? await this.deps.ledger.listInDoubt(STALE_BATCH, options)
      : await this.deps.ledger.listInDoubt();
    return this.settleEach(entries, () => false);
  }

  /**
   * With `sendingStaleMs`: settles `sending` entries whose claim has gone stale since (another replica, or an
   * earlier run of this one, died while sending). Called periodically; nothing without `sendingStaleMs`. `unknown`
   * entries are left to the due-time pass. `skip` leaves entries alone (a stopped rule, a stopping engine).
   */
  async settleStale(skip: (entry: LedgerEntry) => boolean = () => false): Promise<Decision[]> {
    const options = this.staleOptions();
    if (!options) return [];
    // Only `sending` ones: `unknown` entries are settled when due, and would crowd stale ones out of the batch.
    const entries = await this.deps.ledger.listInDoubt(STALE_BATCH, { ...options, includeUnknown: false });
    return this.settleEach(
      entries.filter((entry) => entry.status === 'sending'),
      skip,
    );
  }

  private staleOptions(): { sendingClaimedBefore: string } | undefined {
    const staleMs = this.deps.sendingStaleMs ?? 0;
    return staleMs > 0 ? { sendingClaimedBefore: iso(this.deps.now() - staleMs) } : undefined;
  }

  private async settleEach(
    entries: LedgerEntry[],
    skip: (entry: LedgerEntry) => boolean,
  ): Promise<Decision[]> {
    const decisions: Decision[] = [];
    for (const entry of entries) {
      if (skip(entry)) continue;
      const decision = await this.settle(entry);
      if (decision) decisions.push(decision);
    }
    return decisions;
  }

  /** Settles one in-doubt entry. */
  async settle(entry: LedgerEntry): Promise<Decision | undefined> {
    const { deps } = this;
    if (deps.sends.isSending(entry.id)) return undefined;
    const now = deps.now();
    const at = iso(now);
    const { graceMs, maxAttempts } = deps.settings;
    const candidate = candidateOfEntry(deps.rules, entry);
    let finding: Awaited<ReturnType<Reconciler['find']>>;
    try {
      finding = await deps.reconciler.find(entry);
    } catch (error) {
      const message = maskAddresses((error as Error).message, [entry.toAddress]);
      // Without analytics there is no way to know: the rule stops rather than guess (or ask every minute).
      if (isForbidden(error)) deps.stops.stop(entry.ruleId, describeForbidden(error).reason);
      deps.logger.warn({ entryId: entry.id, err: message }, 'reconciliation failed; will retry');
      if (!deps.dryRun) {
        await deps.ledger.update(
          entry.id,
          {
            status: 'unknown',
            dueAt: iso(now + 60_000),
            reason: `reconciliation failed: ${message}`,
            updatedAt: at,
          },
          ['sending', 'unknown'],
        );
      }
      return undefined;
    }
    const record = async (patch: Parameters<LedgerStore['update']>[1]): Promise<Decision | undefined> => {
      const updated = deps.dryRun
        ? { ...entry, ...patch }
        : await deps.ledger.update(entry.id, patch, ['sending', 'unknown']);
      if (!updated || !candidate) return undefined;
      const decision: Decision = {
        ruleId: entry.ruleId,
        customerId: entry.customerId,
        triggerId: entry.triggerId,
        key: entry.key,
        status: updated.status,
        notes: [],
        entryId: entry.id,
        dryRun: deps.dryRun,
      };
      for (const field of [
        'reasonCode',
        'reason',
        'channel',
        'dueAt',
        'conversationId',
        'messageId',
      ] as const) {
        const value = updated[field];
        if (value !== undefined) decision[field] = value;
      }
      deps.reporter.report(decision);
      return decision;
    };
    if (finding.found) {
      const patch: Parameters<LedgerStore['update']>[1] = {
        status: 'sent',
        sentAt: finding.at ?? entry.claimedAt ?? at,
        reasonCode: 'reconciled',
        reason: 'the platform shows the message was sent (found in analytics after the claim)',
        dueAt: undefined,
        updatedAt: at,
      };
      if (finding.conversationId) patch.conversationId = finding.conversationId;
      if (finding.messageId) patch.messageId = finding.messageId;
      return record(patch);
    }
    const claimedAt = Date.parse(entry.claimedAt ?? at);
    if (now - claimedAt < graceMs) {
      return record({
        status: 'unknown',
        reasonCode: 'outcome_unknown',
        reason: 'not in analytics yet (it may lag); checking again before any retry',
        dueAt: iso(claimedAt + graceMs),
        updatedAt: at,
      });
    }
    if (entry.attempts >= maxAttempts || !candidate) {
      return record({
        status: 'failed',
        reasonCode: candidate ? 'gave_up' : 'rule_removed',
        reason: candidate
          ? `not sent after ${entry.attempts} attempt(s) (analytics shows no message)`
          : `rule ${entry.ruleId} is no longer in the rules`,
        dueAt: undefined,
        updatedAt: at,
      });
    }
    // Verified as not sent: decide again (policy, channel, quiet hours) and send as a further attempt.
    return deps.decider.decide(candidate, entry);
  }
}
