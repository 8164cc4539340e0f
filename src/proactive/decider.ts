/**
 * One decision, start to end: history → identity → consent → channel → quiet hours → claim → send → record.
 * The claim (an INSERT under the idempotency key, or a conditional UPDATE of an entry picked up again) is
 * committed before the platform is called, so a key is sent at most once across crashes and restarts; whatever
 * the platform answers is recorded on that entry.
 */
import type { Logger } from '../logging.js';
import type { LedgerEntry, LedgerPatch, LedgerStatus, LedgerStore, NewLedgerEntry } from '../store/index.js';
import type { ChannelPlan, ChannelPlanner } from './channel-planner.js';
import { type Candidate, customerKey, type Decision, idempotencyKey } from './decision.js';
import type { AgentlessDelivery, SendOutcome } from './delivery.js';
import { formatDuration } from './duration.js';
import type { HistoryService, WebMessagingVisit } from './history.js';
import { checkHistory } from './history-condition.js';
import type { CustomerProfile, IdentityResolver } from './identity.js';
import type { LiveSessionTracker } from './live-sessions.js';
import { describeForbidden, isForbidden } from './platform-port.js';
import { formatMinute, quietUntil } from './quiet-hours.js';
import { redactAddress } from './redact.js';
import type { WebMessagingReplier } from './reply.js';
import { type TemplateValues, usesCostlyVariable } from './rules/template.js';
import type { ProactiveSettings } from './rules/types.js';
import type { SendPacer } from './send-pacer.js';
import type { WrapupCodeDirectory } from './wrapup-codes.js';

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
  tracker: LiveSessionTracker;
  pacer: SendPacer;
  now: () => number;
  logger: Logger;
  dryRun: boolean;
  /** Rules stopped for a missing permission: rule id → why. */
  halted: Map<string, string>;
  /** Entries whose send is under way in this process (never reconciled meanwhile). */
  inFlight: Set<number>;
}

/** Everything a decision carries besides its status. */
type Details = Partial<Omit<Decision, 'ruleId' | 'customerId' | 'triggerId' | 'key' | 'status' | 'dryRun'>>;

function localDate(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(epochMs);
}

/** Backoff before retrying a decision that failed for a passing reason: 30 s, 1 min, 2 min, ... at most 15 min. */
export function retryDelayMs(failures: number): number {
  return Math.min(15 * 60_000, 30_000 * 2 ** Math.max(0, failures - 1));
}

/** Makes and records decisions. */
export class Decider {
  constructor(private readonly deps: DeciderDeps) {}

  /** Decides for a candidate; `existing` is the ledger entry when one is picked up again (deferred, in doubt). */
  async decide(candidate: Candidate, existing?: LedgerEntry): Promise<Decision> {
    const { deps } = this;
    const { rule } = candidate;
    if (!existing) {
      const prior = await deps.ledger.getByKey(idempotencyKey(candidate));
      if (prior) return this.decision(candidate, 'duplicate', this.fromEntry(prior));
    }
    const halted = deps.halted.get(rule.id);
    if (halted) return this.decision(candidate, 'skipped', { reasonCode: 'rule_stopped', reason: halted });
    if (!rule.enabled) return this.skip(candidate, existing, 'rule_disabled', 'the rule is disabled');
    if (!candidate.contactId) {
      return this.skip(
        candidate,
        existing,
        'anonymous_guest',
        'anonymous web messaging guest: no external contact, so no durable identity to reach them by',
      );
    }
    const contactId = candidate.contactId;
    if (deps.settings.optOutList.includes(contactId)) {
      return this.skip(candidate, existing, 'opted_out', 'the contact is on the opt-out list');
    }
    const early = await this.earlyGuard(candidate, existing);
    if (early) return early;

    let plan: Extract<ChannelPlan, { ok: true }>;
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
      if (!verdict.ok) return this.skip(candidate, existing, 'history_not_met', verdict.reason);
      const profile = await deps.identity.resolve(contactId);
      if (!profile) {
        return this.skip(
          candidate,
          existing,
          'contact_not_found',
          `external contact ${contactId} was not found`,
          {
            why,
          },
        );
      }
      const consent = this.consent(profile);
      if (consent) return this.skip(candidate, existing, 'opted_out', consent, { why });
      zone = profile.timeZone ?? deps.settings.timeZone;
      const values = await this.templateValues(candidate, profile, visits, zone);
      const activeConversationId = deps.tracker.activeWebMessaging(contactId, now);
      const planned = await deps.planner.plan({
        rule,
        profile,
        values,
        now,
        ...(activeConversationId ? { activeConversationId } : {}),
      });
      if (!planned.ok) {
        return this.skip(candidate, existing, planned.reasonCode, planned.reason, {
          why,
          notes: planned.notes,
        });
      }
      plan = planned;
      const quiet = rule.policy.quietHours;
      const until = quiet ? quietUntil(now, quiet, zone) : undefined;
      if (quiet && until !== undefined) {
        return this.defer(
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
      return this.decision(candidate, 'planned', { ...this.planDetails(plan, why), text: plan.text });
    }
    return this.claimAndSend(candidate, existing, plan, why);
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
      return this.skip(
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
      return this.skip(
        candidate,
        existing,
        'cooldown',
        `contacted by this rule within the cooldown (${formatDuration(rule.policy.cooldownMs)})`,
      );
    }
    const today = await ledger.countContacted(customerId, iso(at - DAY_MS), undefined, existing?.id);
    if (today >= rule.policy.dailyCap) {
      return this.skip(
        candidate,
        existing,
        'daily_cap',
        `already contacted ${today} time(s) in the last 24 hours (cap ${rule.policy.dailyCap})`,
      );
    }
    return undefined;
  }

  private consent(profile: CustomerProfile): string | undefined {
    const { settings } = this.deps;
    if (profile.optedOut) return `the contact opted out (${settings.contactAttributes.optOut})`;
    const listed = Object.values(profile.addresses).some(
      (address) => address && settings.optOutList.some((entry) => sameAddress(entry, address)),
    );
    return listed ? 'one of the contact’s addresses is on the opt-out list' : undefined;
  }

  private async templateValues(
    candidate: Candidate,
    profile: CustomerProfile,
    visits: WebMessagingVisit[],
    zone: string,
  ): Promise<TemplateValues> {
    const { rule } = candidate;
    const last = visits[0];
    const values: TemplateValues = {
      'contact.id': profile.contactId,
      'contact.firstName': profile.firstName,
      'contact.lastName': profile.lastName,
      'history.count': visits.length,
      'history.withinDays': rule.history.withinDays,
      'rule.id': rule.id,
    };
    if (last) {
      values['history.lastConversationAt'] = iso(last.startedAt);
      values['history.lastConversationDate'] = localDate(last.startedAt, zone);
      const wrapped = visits.find((v) => v.wrapupCode);
      if (wrapped?.wrapupCode)
        values['history.lastWrapupCode'] = await this.deps.codes.nameOf(wrapped.wrapupCode);
    }
    const texts = [rule.message.text, ...(rule.message.whatsappTemplate?.bodyParameters ?? [])];
    const source = candidate.conversationId ?? last?.conversationId;
    if (source && texts.some(usesCostlyVariable)) {
      values['history.lastCustomerMessage'] = await this.deps.history.lastCustomerMessage(source);
    }
    return values;
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
    const context = { ...this.context(candidate), ...(existing?.context ?? {}) };
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
      : await deps.ledger.claimNew({ ...this.newEntry(candidate, 'sending', claimedAt), ...fields }, guard);
    const details = this.planDetails(plan, why);
    switch (claim.outcome) {
      case 'duplicate':
        return this.decision(candidate, 'duplicate', this.fromEntry(claim.existing));
      case 'moved':
        return this.decision(candidate, 'duplicate', claim.existing ? this.fromEntry(claim.existing) : {});
      case 'pending':
        return this.skip(
          candidate,
          existing,
          'pending',
          `another decision of this rule for this customer is still open (ledger entry ${claim.blocking.id}, ${claim.blocking.status})`,
          details,
        );
      case 'cooldown':
        return this.skip(
          candidate,
          existing,
          'cooldown',
          `contacted by this rule at ${claim.blocking.claimedAt}, within the cooldown`,
          details,
        );
      case 'cap':
        return this.skip(
          candidate,
          existing,
          'daily_cap',
          `already contacted ${claim.count} time(s) in the last 24 hours (cap ${rule.policy.dailyCap})`,
          details,
        );
      case 'claimed':
        break;
    }
    const entry = claim.entry;
    deps.inFlight.add(entry.id);
    let outcome: SendOutcome;
    try {
      outcome =
        plan.channel === 'webmessaging-reply'
          ? await deps.replier.send(plan.target, plan.text)
          : await deps.delivery.send(plan.request);
    } finally {
      deps.inFlight.delete(entry.id);
    }
    return this.recordOutcome(candidate, entry, outcome, details);
  }

  /** Writes a send's outcome to its entry. */
  async recordOutcome(
    candidate: Candidate,
    entry: LedgerEntry,
    outcome: SendOutcome,
    details: Details,
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
        this.halt(candidate.rule.id, outcome.reason);
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
    const updated = (await deps.ledger.update(entry.id, patch, ['sending'])) ?? entry;
    return this.decision(candidate, updated.status, { ...details, ...this.fromEntry(updated) });
  }

  /** A permission is missing: the rule stops until the engine restarts. */
  halt(ruleId: string, reason: string): void {
    if (this.deps.halted.has(ruleId)) return;
    const message = `rule stopped: ${reason}`;
    this.deps.halted.set(ruleId, message);
    this.deps.logger.error({ ruleId }, message);
  }

  private async lookupFailed(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    error: unknown,
  ): Promise<Decision> {
    if (isForbidden(error)) {
      const { reason } = describeForbidden(error);
      this.halt(candidate.rule.id, reason);
      return this.write(candidate, existing, 'failed', { reasonCode: 'missing_permission', reason });
    }
    const failures = Number(existing?.context?.lookupFailures ?? 0) + 1;
    const reason = `looking the customer up failed: ${(error as Error)?.message ?? String(error)}`;
    if (failures >= this.deps.settings.reconcile.maxAttempts) {
      return this.write(
        candidate,
        existing,
        'failed',
        { reasonCode: 'lookup_failed', reason },
        { lookupFailures: failures },
      );
    }
    return this.write(
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

  private skip(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    reasonCode: string,
    reason: string,
    details: Details = {},
  ): Promise<Decision> {
    return this.write(candidate, existing, 'skipped', { ...details, reasonCode, reason });
  }

  private defer(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    until: number,
    reasonCode: string,
    reason: string,
    details: Details,
  ): Promise<Decision> {
    return this.write(candidate, existing, 'deferred', { ...details, reasonCode, reason, dueAt: iso(until) });
  }

  /** Records a decision that sends nothing (nothing is written in a dry run). */
  private async write(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    status: LedgerStatus,
    details: Details,
    extraContext: Record<string, unknown> = {},
  ): Promise<Decision> {
    const { deps } = this;
    if (deps.dryRun) return this.decision(candidate, status, details);
    const at = iso(deps.now());
    const fields = {
      status,
      reasonCode: details.reasonCode,
      reason: details.reason,
      dueAt: details.dueAt,
      context: { ...this.context(candidate), ...(existing?.context ?? {}), ...extraContext },
    };
    if (existing) {
      const updated = await deps.ledger.update(existing.id, { ...fields, updatedAt: at }, [existing.status]);
      return this.decision(candidate, updated ? status : 'duplicate', { ...details, entryId: existing.id });
    }
    if (status === 'skipped' && candidate.triggerKind === 'sweep' && candidate.contactId) {
      return this.writeSweepSkip(candidate, details, fields.context, at);
    }
    const result = await deps.ledger.record({
      ...this.newEntry(candidate, status, at),
      ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    } as NewLedgerEntry);
    if (result.outcome === 'claimed')
      return this.decision(candidate, status, { ...details, entryId: result.entry.id });
    return this.decision(
      candidate,
      'duplicate',
      result.outcome === 'duplicate' ? this.fromEntry(result.existing) : {},
    );
  }

  /**
   * A sweep re-evaluates its customers every window; a customer it skips keeps one skip entry per rule, updated
   * with the latest reason (a new status line only when the reason changes), instead of one entry per window.
   */
  private async writeSweepSkip(
    candidate: Candidate,
    details: Details,
    context: Record<string, unknown>,
    at: string,
  ): Promise<Decision> {
    const { ledger } = this.deps;
    const key = `${candidate.rule.id}|${customerKey(candidate)}|sweep-skips`;
    const window = { ...context, window: candidate.triggerId };
    const prior = await ledger.getByKey(key);
    if (prior) {
      const patch: LedgerPatch = { reason: details.reason, context: window, updatedAt: at };
      if (prior.reasonCode !== details.reasonCode)
        Object.assign(patch, { status: 'skipped', reasonCode: details.reasonCode });
      await ledger.update(prior.id, patch);
      return this.decision(candidate, 'skipped', { ...details, entryId: prior.id });
    }
    const entry: NewLedgerEntry = { ...this.newEntry(candidate, 'skipped', at), key, context: window };
    if (details.reasonCode) entry.reasonCode = details.reasonCode;
    if (details.reason) entry.reason = details.reason;
    const result = await ledger.record(entry);
    return this.decision(candidate, 'skipped', {
      ...details,
      ...(result.outcome === 'claimed' ? { entryId: result.entry.id } : {}),
    });
  }

  private newEntry(candidate: Candidate, status: LedgerStatus, at: string): NewLedgerEntry {
    return {
      key: idempotencyKey(candidate),
      ruleId: candidate.rule.id,
      customerId: customerKey(candidate),
      triggerKind: candidate.triggerKind,
      triggerId: candidate.triggerId,
      status,
      createdAt: at,
    };
  }

  private context(candidate: Candidate): Record<string, unknown> {
    const context: Record<string, unknown> = {};
    if (candidate.conversationId) context.conversationId = candidate.conversationId;
    if (candidate.eventType) context.eventType = candidate.eventType;
    return context;
  }

  private fromEntry(entry: LedgerEntry): Details {
    const details: Details = { entryId: entry.id };
    if (entry.reasonCode) details.reasonCode = entry.reasonCode;
    if (entry.reason) details.reason = entry.reason;
    if (entry.channel) details.channel = entry.channel;
    if (entry.toAddress) details.address = redactAddress(entry.toAddress);
    if (entry.dueAt) details.dueAt = entry.dueAt;
    if (entry.conversationId) details.conversationId = entry.conversationId;
    if (entry.messageId) details.messageId = entry.messageId;
    return details;
  }

  private decision(candidate: Candidate, status: Decision['status'], details: Details): Decision {
    const decision: Decision = {
      ruleId: candidate.rule.id,
      customerId: customerKey(candidate),
      triggerId: candidate.triggerId,
      key: idempotencyKey(candidate),
      status,
      notes: [],
      dryRun: this.deps.dryRun,
    };
    for (const [field, value] of Object.entries(details)) {
      if (value !== undefined) (decision as unknown as Record<string, unknown>)[field] = value;
    }
    return decision;
  }
}

/** Whether an opt-out list entry names the same address (phone numbers compared by their digits). */
function sameAddress(entry: string, address: string): boolean {
  if (entry === address) return true;
  const digits = (s: string) => s.replace(/\D/g, '');
  return /^\+?[\d\s().-]{7,}$/.test(entry) && digits(entry) !== '' && digits(entry) === digits(address);
}
