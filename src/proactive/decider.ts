/**
 * One decision, start to end: history → identity → consent → channel → quiet hours → claim → send → record.
 * The claim (an INSERT under the idempotency key, or a conditional UPDATE of an entry picked up again) is
 * committed before the platform is called, so a key is sent at most once across crashes and restarts; whatever
 * the platform answers is recorded on that entry. Every decision is reported as it is made.
 *
 * The decider alone knows which entries this process is sending right now ({@link Decider.isSending}): the
 * in-doubt settler asks before it reconciles one, so a send under way is never taken for a lost one.
 */
import type { LedgerEntry, LedgerPatch, LedgerStore } from '../store/index.js';
import type { HistoryService } from './customer/history.js';
import { checkHistory } from './customer/history-condition.js';
import type { IdentityResolver } from './customer/identity.js';
import type { LiveSessionTracker } from './customer/live-sessions.js';
import { templateValues } from './customer/template-values.js';
import type { WrapupCodeDirectory } from './customer/wrapup-codes.js';
import type { AgentlessDelivery, SendOutcome } from './delivery/agentless.js';
import type { ChannelPlan, ChannelPlanner, PlanInput } from './delivery/channel-planner.js';
import { REPLY_CONVERSATION_CLOSED, type WebMessagingReplier } from './delivery/reply.js';
import { type Candidate, customerKey, type Decision, idempotencyKey } from './ledger/decision.js';
import { type DecisionDetails, DecisionRecorder } from './ledger/recorder.js';
import type { DecisionReporter } from './ledger/reporter.js';
import { describeForbidden, isForbidden } from './platform-port.js';
import { consentProblem } from './policy/consent.js';
import { formatMinute, quietUntil } from './policy/quiet-hours.js';
import type { RuleStops } from './policy/rule-stops.js';
import type { SendPacer } from './policy/send-pacer.js';
import { redactAddress } from './redact.js';
import { formatDuration } from './rules/duration.js';
import type { ProactiveSettings } from './rules/types.js';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

export interface DeciderDeps {
  settings: ProactiveSettings;
  ledger: LedgerStore;
  history: HistoryService;
  identity: IdentityResolver;
  planner: ChannelPlanner;
  delivery: AgentlessDelivery;
  replier: WebMessagingReplier;
  codes: WrapupCodeDirectory;
  /** The customers' active web messaging conversations (fed by lifecycle events; only read here). */
  tracker: Pick<LiveSessionTracker, 'activeWebMessaging'>;
  pacer: SendPacer;
  now: () => number;
  dryRun: boolean;
  /** Skips the rules stopped for a missing permission; stops a rule when a permission turns out missing. */
  stops: Pick<RuleStops, 'reasonOf' | 'stop'>;
  reporter: DecisionReporter;
}

/** Everything a decision carries besides its status. */
type Details = DecisionDetails;

/** Backoff before retrying a decision that failed for a passing reason: 30 s, 1 min, 2 min, ... at most 15 min. */
export function retryDelayMs(failures: number): number {
  return Math.min(15 * 60_000, 30_000 * 2 ** Math.max(0, failures - 1));
}

/** Makes and records decisions. */
export class Decider {
  private readonly recorder: DecisionRecorder;
  /** Entries claimed by this process whose send is under way. */
  private readonly sending = new Set<number>();

  constructor(private readonly deps: DeciderDeps) {
    this.recorder = new DecisionRecorder({ ledger: deps.ledger, now: deps.now, dryRun: deps.dryRun });
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

  /** Whether this process is sending the entry's message right now (claimed, no answer yet). */
  isSending(entryId: number): boolean {
    return this.sending.has(entryId);
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
    const early = await this.earlyGuard(candidate, existing);
    if (early) return early;

    let plan: Extract<ChannelPlan, { ok: true }>;
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
          this.planDetails(plan, why),
        );
      }
    } catch (error) {
      return this.lookupFailed(candidate, existing, error);
    }
    if (deps.dryRun) {
      return this.recorder.decision(candidate, 'planned', {
        ...this.planDetails(plan, why),
        text: plan.text,
      });
    }
    return this.claimAndSend(candidate, existing, plan, planInput, why);
  }

  /** Ledger-only checks before any platform call (the claim checks them again, atomically). */
  private async earlyGuard(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
  ): Promise<Decision | undefined> {
    const { ledger, now } = this.deps;
    const { rule } = candidate;
    const customerId = customerKey(candidate);
    const open = (
      await ledger.list({ ruleId: rule.id, customerId, status: ['deferred', 'sending', 'unknown'] })
    ).filter((e) => e.id !== existing?.id);
    if (open[0]) {
      return this.recorder.skip(
        candidate,
        existing,
        'pending',
        `another decision of this rule for this customer is still open (ledger entry ${open[0].id}, ${open[0].status})`,
      );
    }
    const at = now();
    const recent = await ledger.countContacted(
      customerId,
      iso(at - rule.policy.cooldownMs),
      rule.id,
      existing?.id,
    );
    if (recent > 0) {
      return this.recorder.skip(
        candidate,
        existing,
        'cooldown',
        `contacted by this rule within the cooldown (${formatDuration(rule.policy.cooldownMs)})`,
      );
    }
    const today = await ledger.countContacted(customerId, iso(at - DAY_MS), undefined, existing?.id);
    if (today >= rule.policy.dailyCap) {
      return this.recorder.skip(
        candidate,
        existing,
        'daily_cap',
        `already contacted ${today} time(s) in the last 24 hours (cap ${rule.policy.dailyCap})`,
      );
    }
    return undefined;
  }

  private planDetails(plan: Extract<ChannelPlan, { ok: true }>, why: string): Details {
    const details: Details = { why, channel: plan.channel, notes: plan.notes };
    if (plan.channel !== 'webmessaging-reply') details.address = redactAddress(plan.toAddress);
    else details.conversationId = plan.target.conversationId;
    return details;
  }

  private async claimAndSend(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    plan: Extract<ChannelPlan, { ok: true }>,
    planInput: PlanInput,
    why: string,
  ): Promise<Decision> {
    const { deps } = this;
    const { rule } = candidate;
    await deps.pacer.take();
    const now = deps.now();
    const claimedAt = iso(now);
    const guard = {
      cooldownSince: iso(now - rule.policy.cooldownMs),
      cap: { since: iso(now - DAY_MS), max: rule.policy.dailyCap },
    };
    const context = { ...this.recorder.context(candidate), ...(existing?.context ?? {}) };
    if (plan.channel === 'webmessaging-reply') context.replyConversationId = plan.target.conversationId;
    const fields = {
      channel: plan.channel,
      toAddress: plan.channel === 'webmessaging-reply' ? undefined : plan.toAddress,
      claimedAt,
      attempts: (existing?.attempts ?? 0) + 1,
      context,
    };
    const claim = existing
      ? await deps.ledger.claimExisting(
          existing.id,
          [existing.status],
          { ...fields, dueAt: undefined, reasonCode: undefined, reason: undefined, updatedAt: claimedAt },
          guard,
        )
      : await deps.ledger.claimNew(
          { ...this.recorder.newEntry(candidate, 'sending', claimedAt), ...fields },
          guard,
        );
    const details = this.planDetails(plan, why);
    switch (claim.outcome) {
      case 'duplicate':
        return this.recorder.decision(candidate, 'duplicate', this.recorder.fromEntry(claim.existing));
      case 'moved':
        return this.recorder.decision(
          candidate,
          'duplicate',
          claim.existing ? this.recorder.fromEntry(claim.existing) : {},
        );
      case 'pending':
        return this.recorder.skip(
          candidate,
          existing,
          'pending',
          `another decision of this rule for this customer is still open (ledger entry ${claim.blocking.id}, ${claim.blocking.status})`,
          details,
        );
      case 'cooldown':
        return this.recorder.skip(
          candidate,
          existing,
          'cooldown',
          `contacted by this rule at ${claim.blocking.claimedAt}, within the cooldown`,
          details,
        );
      case 'cap':
        return this.recorder.skip(
          candidate,
          existing,
          'daily_cap',
          `already contacted ${claim.count} time(s) in the last 24 hours (cap ${rule.policy.dailyCap})`,
          details,
        );
      case 'claimed':
        break;
    }
    let entry = claim.entry;
    this.sending.add(entry.id);
    let outcome: SendOutcome;
    let sent = details;
    let refusedFirst: string | undefined;
    try {
      outcome = await this.send(plan);
      if (
        plan.channel === 'webmessaging-reply' &&
        outcome.status === 'failed' &&
        outcome.reasonCode === REPLY_CONVERSATION_CLOSED
      ) {
        const next = await this.fallThrough(candidate, entry, plan, planInput, outcome, why);
        if ('status' in next) return next;
        ({ entry, outcome, details: sent } = next);
        refusedFirst = `webmessaging-reply was refused first: ${next.refusal}`;
      }
    } finally {
      this.sending.delete(claim.entry.id);
    }
    return this.recordOutcome(candidate, entry, outcome, sent, refusedFirst);
  }

  private send(plan: Extract<ChannelPlan, { ok: true }>): Promise<SendOutcome> {
    return plan.channel === 'webmessaging-reply'
      ? this.deps.replier.send(plan.target, plan.text)
      : this.deps.delivery.send(plan.request);
  }

  /**
   * The platform refused the reply because the customer's conversation closed: nothing was sent, so the decision
   * goes on with the rule's channels listed after `webmessaging-reply`, under the claim it already holds (consent,
   * quiet hours, cooldown and cap were checked for this decision; the entry stays `sending`, so it keeps its place
   * under the cap and nothing is claimed twice). The entry names the next channel before that send, so a crash
   * meanwhile is reconciled on the right channel. No channel left: skipped with {@link REPLY_CONVERSATION_CLOSED}.
   */
  private async fallThrough(
    candidate: Candidate,
    entry: LedgerEntry,
    reply: Extract<ChannelPlan, { ok: true }>,
    planInput: PlanInput,
    refusal: Extract<SendOutcome, { status: 'failed' }>,
    why: string,
  ): Promise<Decision | { entry: LedgerEntry; outcome: SendOutcome; details: Details; refusal: string }> {
    const { deps } = this;
    const refused = `webmessaging-reply: ${refusal.reason}; trying the next channel`;
    const platform = {
      ...(refusal.platformCode ? { platformCode: refusal.platformCode } : {}),
      ...(refusal.correlationId ? { correlationId: refusal.correlationId } : {}),
    };
    let next: ChannelPlan;
    try {
      next = await deps.planner.plan({ ...planInput, now: deps.now(), after: 'webmessaging-reply' });
    } catch (error) {
      return this.lookupFailed(candidate, entry, error);
    }
    const notes = [...reply.notes, refused, ...next.notes];
    const at = iso(deps.now());
    if (!next.ok) {
      const reason = `${refusal.reason}; ${
        next.notes.length === 0
          ? 'the rule lists no channel after webmessaging-reply'
          : `no channel the rule lists after webmessaging-reply can reach this customer (${next.notes.join('; ')})`
      }`;
      const updated = await deps.ledger.update(
        entry.id,
        { status: 'skipped', reasonCode: REPLY_CONVERSATION_CLOSED, reason, updatedAt: at, ...platform },
        ['sending'],
      );
      return this.recorder.decision(candidate, updated ? 'skipped' : 'duplicate', {
        ...this.planDetails(reply, why),
        notes,
        ...this.recorder.fromEntry(updated ?? entry),
      });
    }
    await deps.pacer.take();
    const claimedAt = iso(deps.now());
    const moved = await deps.ledger.update(
      entry.id,
      {
        status: 'sending',
        channel: next.channel,
        toAddress: next.channel === 'webmessaging-reply' ? undefined : next.toAddress,
        claimedAt,
        reasonCode: REPLY_CONVERSATION_CLOSED,
        reason: `${refusal.reason}; trying ${next.channel}`,
        updatedAt: claimedAt,
      },
      ['sending'],
    );
    if (!moved) {
      const current = await deps.ledger.get(entry.id);
      return this.recorder.decision(candidate, 'duplicate', current ? this.recorder.fromEntry(current) : {});
    }
    const outcome = await this.send(next);
    return {
      entry: moved,
      outcome,
      details: { ...this.planDetails(next, why), notes },
      refusal: refusal.reason,
    };
  }

  /** Writes a send's outcome to its entry. */
  private async recordOutcome(
    candidate: Candidate,
    entry: LedgerEntry,
    outcome: SendOutcome,
    details: Details,
    /** What happened on an earlier channel of the same decision, added to the reason. */
    before?: string,
  ): Promise<Decision> {
    const { deps } = this;
    const now = deps.now();
    const at = iso(now);
    const { maxAttempts, graceMs } = deps.settings.reconcile;
    let patch: LedgerPatch;
    switch (outcome.status) {
      case 'sent':
        patch = {
          status: 'sent',
          sentAt: at,
          reasonCode: 'sent',
          reason: `sent on ${entry.channel}`,
          updatedAt: at,
        };
        if (outcome.conversationId) patch.conversationId = outcome.conversationId;
        if (outcome.messageId) patch.messageId = outcome.messageId;
        break;
      case 'forbidden':
        deps.stops.stop(candidate.rule.id, outcome.reason);
        patch = { status: 'failed', reasonCode: 'missing_permission', reason: outcome.reason, updatedAt: at };
        if (outcome.platformCode) patch.platformCode = outcome.platformCode;
        if (outcome.correlationId) patch.correlationId = outcome.correlationId;
        break;
      case 'failed': {
        const retry = outcome.retryable && entry.attempts < maxAttempts;
        patch = {
          status: retry ? 'deferred' : 'failed',
          reasonCode: outcome.reasonCode,
          reason: retry ? `${outcome.reason}; trying again later` : outcome.reason,
          updatedAt: at,
        };
        if (retry) patch.dueAt = iso(now + retryDelayMs(entry.attempts));
        if (outcome.platformCode) patch.platformCode = outcome.platformCode;
        if (outcome.correlationId) patch.correlationId = outcome.correlationId;
        break;
      }
      case 'unknown':
        patch = {
          status: 'unknown',
          reasonCode: 'outcome_unknown',
          reason: `${outcome.reason}; it will be reconciled against analytics before any retry`,
          dueAt: iso(now + Math.min(graceMs, 30_000)),
          updatedAt: at,
        };
        if (outcome.correlationId) patch.correlationId = outcome.correlationId;
        break;
    }
    if (before) patch.reason = `${patch.reason}; ${before}`;
    const updated = (await deps.ledger.update(entry.id, patch, ['sending'])) ?? entry;
    return this.recorder.decision(candidate, updated.status, {
      ...details,
      ...this.recorder.fromEntry(updated),
    });
  }

  private async lookupFailed(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    error: unknown,
  ): Promise<Decision> {
    if (isForbidden(error)) {
      const { reason } = describeForbidden(error);
      this.deps.stops.stop(candidate.rule.id, reason);
      return this.recorder.write(candidate, existing, 'failed', { reasonCode: 'missing_permission', reason });
    }
    const failures = Number(existing?.context?.lookupFailures ?? 0) + 1;
    const reason = `looking the customer up failed: ${(error as Error)?.message ?? String(error)}`;
    if (failures >= this.deps.settings.reconcile.maxAttempts) {
      return this.recorder.write(
        candidate,
        existing,
        'failed',
        { reasonCode: 'lookup_failed', reason },
        { lookupFailures: failures },
      );
    }
    return this.recorder.write(
      candidate,
      existing,
      'deferred',
      {
        reasonCode: 'lookup_failed',
        reason: `${reason}; trying again later`,
        dueAt: iso(this.deps.now() + retryDelayMs(failures)),
      },
      { lookupFailures: failures },
    );
  }
}
