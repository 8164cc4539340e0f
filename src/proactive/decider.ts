/**
 * One decision, start to end: limits → history → identity → consent → channel → quiet hours, then the claimed
 * sender's claim → send → record (`ledger/claimed-sender.ts`). What sends nothing is recorded here; every decision
 * is reported as it is made.
 */
import type { LedgerEntry, LedgerStore } from '../store/index.js';
import type { HistoryService } from './customer/history.js';
import { checkHistory } from './customer/history-condition.js';
import type { IdentityResolver } from './customer/identity.js';
import type { LiveSessionTracker } from './customer/live-sessions.js';
import { templateValues } from './customer/template-values.js';
import type { WrapupCodeDirectory } from './customer/wrapup-codes.js';
import type { ChannelPlanner, PlanInput } from './delivery/channel-planner.js';
import { type ChosenPlan, type ClaimedSender, planDetails } from './ledger/claimed-sender.js';
import { type Candidate, customerKey, type Decision, idempotencyKey } from './ledger/decision.js';
import type { DecisionRecorder } from './ledger/recorder.js';
import type { DecisionReporter } from './ledger/reporter.js';
import { consentProblem } from './policy/consent.js';
import { contactLimitProblem } from './policy/contact-limits.js';
import { formatMinute, quietUntil } from './policy/quiet-hours.js';
import type { RuleStops } from './policy/rule-stops.js';
import type { ProactiveSettings } from './rules/types.js';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

export interface DeciderDeps {
  settings: ProactiveSettings;
  ledger: LedgerStore;
  history: HistoryService;
  identity: IdentityResolver;
  planner: Pick<ChannelPlanner, 'plan'>;
  codes: WrapupCodeDirectory;
  /** The customers' active web messaging conversations (fed by lifecycle events; only read here). */
  tracker: Pick<LiveSessionTracker, 'activeWebMessaging'>;
  /** Records what sends nothing. */
  recorder: DecisionRecorder;
  /** Claims, sends and records what is to be sent. */
  sender: Pick<ClaimedSender, 'send'>;
  now: () => number;
  dryRun: boolean;
  /** Skips the rules stopped for a missing permission. */
  stops: Pick<RuleStops, 'reasonOf'>;
  reporter: Pick<DecisionReporter, 'report'>;
}

/** Makes, records and reports decisions. */
export class Decider {
  private readonly recorder: DecisionRecorder;

  constructor(private readonly deps: DeciderDeps) {
    this.recorder = deps.recorder;
  }

  /**
   * Decides for a candidate, records the decision and reports it; `existing` is the ledger entry when one is
   * picked up again (deferred, in doubt).
   */
  async decide(candidate: Candidate, existing?: LedgerEntry): Promise<Decision> {
    const decision = await this.make(candidate, existing);
    this.deps.reporter.report(decision);
    return decision;
  }

  private async make(candidate: Candidate, existing?: LedgerEntry): Promise<Decision> {
    const { deps } = this;
    const { rule } = candidate;
    if (!existing) {
      const prior = await deps.ledger.getByKey(idempotencyKey(candidate));
      if (prior) return this.recorder.decision(candidate, 'duplicate', this.recorder.fromEntry(prior));
    }
    const halted = deps.stops.reasonOf(rule.id);
    if (halted)
      return this.recorder.decision(candidate, 'skipped', { reasonCode: 'rule_stopped', reason: halted });
    if (!rule.enabled)
      return this.recorder.skip(candidate, existing, 'rule_disabled', 'the rule is disabled');
    if (!candidate.contactId) {
      return this.recorder.skip(
        candidate,
        existing,
        'anonymous_guest',
        'anonymous web messaging guest: no external contact, so no durable identity to reach them by',
      );
    }
    const contactId = candidate.contactId;
    if (deps.settings.optOutList.includes(contactId)) {
      return this.recorder.skip(candidate, existing, 'opted_out', 'the contact is on the opt-out list');
    }
    // Ledger-only checks before any platform call (the claim checks them again, atomically).
    const limit = await contactLimitProblem(
      deps.ledger,
      rule,
      customerKey(candidate),
      deps.now,
      existing?.id,
    );
    if (limit) return this.recorder.skip(candidate, existing, limit.reasonCode, limit.reason);

    let plan: ChosenPlan;
    let planInput: PlanInput;
    let why: string;
    let zone: string;
    try {
      const now = deps.now();
      const windowFrom = now - rule.history.withinDays * DAY_MS;
      const visits = await deps.history.visits(contactId, windowFrom, now + 60_000);
      const prior = visits.filter((v) => v.conversationId !== candidate.conversationId);
      const verdict = await checkHistory(
        rule.history,
        prior,
        now,
        (code) => deps.codes.matches(code, rule.history.lastWrapupCodeIn ?? []),
        (code) => deps.codes.nameOf(code),
      );
      why = verdict.reason;
      if (!verdict.ok) return this.recorder.skip(candidate, existing, 'history_not_met', verdict.reason);
      const profile = await deps.identity.resolve(contactId);
      if (!profile) {
        return this.recorder.skip(
          candidate,
          existing,
          'contact_not_found',
          `external contact ${contactId} was not found`,
          {
            why,
          },
        );
      }
      const consent = consentProblem(profile, deps.settings);
      if (consent) return this.recorder.skip(candidate, existing, 'opted_out', consent, { why });
      zone = profile.timeZone ?? deps.settings.timeZone;
      const values = await templateValues(candidate, profile, visits, zone, deps);
      const activeConversationId = deps.tracker.activeWebMessaging(contactId, now);
      planInput = {
        rule,
        profile,
        values,
        now,
        ...(activeConversationId ? { activeConversationId } : {}),
      };
      const planned = await deps.planner.plan(planInput);
      if (!planned.ok) {
        return this.recorder.skip(candidate, existing, planned.reasonCode, planned.reason, {
          why,
          notes: planned.notes,
        });
      }
      plan = planned;
      const quiet = rule.policy.quietHours;
      const until = quiet ? quietUntil(now, quiet, zone) : undefined;
      if (quiet && until !== undefined) {
        return this.recorder.defer(
          candidate,
          existing,
          until,
          'quiet_hours',
          `quiet hours ${formatMinute(quiet.startMinute)}–${formatMinute(quiet.endMinute)} in ${zone}; due ${iso(until)}`,
          planDetails(plan, why),
        );
      }
    } catch (error) {
      return this.recorder.lookupFailed(candidate, existing, error);
    }
    if (deps.dryRun) {
      return this.recorder.decision(candidate, 'planned', {
        ...planDetails(plan, why),
        text: plan.text,
      });
    }
    return deps.sender.send(candidate, existing, plan, planInput, why);
  }
}
