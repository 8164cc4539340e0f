/**
 * Sending a planned message exactly once. The send is claimed in the ledger first — an INSERT under the
 * idempotency key, or a conditional UPDATE of an entry picked up again, the cooldown and the daily cap checked in
 * the same transaction — and only then is the platform called, so a key is sent at most once across crashes and
 * restarts; whatever the platform answers is recorded on that entry (an ambiguous answer as `unknown`, for the
 * in-doubt settler). A reply the platform refuses because the conversation closed goes on to the rule's next
 * channel under the claim it already holds.
 *
 * The sender alone knows which entries this process is sending right now ({@link ClaimedSender.isSending}): the
 * in-doubt settler asks before it reconciles one, so a send under way is never taken for a lost one.
 */
import type { LedgerEntry, LedgerPatch, LedgerStore } from '../../store/index.js';
import type { AgentlessDelivery, SendOutcome } from '../delivery/agentless.js';
import type { ChannelPlan, ChannelPlanner, PlanInput } from '../delivery/channel-planner.js';
import { REPLY_CONVERSATION_CLOSED, type WebMessagingReplier } from '../delivery/reply.js';
import { claimGuard, claimRefusal } from '../policy/contact-limits.js';
import type { RuleStopper } from '../policy/rule-stops.js';
import type { SendPacer } from '../policy/send-pacer.js';
import { redactAddress } from '../redact.js';
import type { ProactiveSettings } from '../rules/types.js';
import type { Candidate, Decision } from './decision.js';
import { type DecisionDetails, type DecisionRecorder, retryDelayMs } from './recorder.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A channel chosen, with everything needed to send on it. */
export type ChosenPlan = Extract<ChannelPlan, { ok: true }>;

/** Everything a decision carries besides its status. */
type Details = DecisionDetails;

export interface ClaimedSenderDeps {
  ledger: LedgerStore;
  recorder: DecisionRecorder;
  /** Plans the rule's next channel when a reply is refused. */
  planner: Pick<ChannelPlanner, 'plan'>;
  delivery: Pick<AgentlessDelivery, 'send'>;
  replier: Pick<WebMessagingReplier, 'send'>;
  pacer: Pick<SendPacer, 'take'>;
  /** Stops the rule when the platform refuses a send for a missing permission. */
  stops: RuleStopper;
  settings: ProactiveSettings['reconcile'];
  now: () => number;
}

/** What a decision shows of its plan: the channel, the redacted address or the conversation replied in. */
export function planDetails(plan: ChosenPlan, why: string): Details {
  const details: Details = { why, channel: plan.channel, notes: plan.notes };
  if (plan.channel !== 'webmessaging-reply') details.address = redactAddress(plan.toAddress);
  else details.conversationId = plan.target.conversationId;
  return details;
}

/** Claims, sends and records. */
export class ClaimedSender {
  /** Entries claimed by this process whose send is under way. */
  private readonly sending = new Set<number>();

  constructor(private readonly deps: ClaimedSenderDeps) {}

  /** Whether this process is sending the entry's message right now (claimed, no answer yet). */
  isSending(entryId: number): boolean {
    return this.sending.has(entryId);
  }

  /**
   * Claims the send of `plan` for the candidate (on `existing` when an entry is decided again), sends it and
   * records the outcome; a claim a limit refuses is recorded as skipped. `why`: what the history showed.
   */
  async send(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    plan: ChosenPlan,
    planInput: PlanInput,
    why: string,
  ): Promise<Decision> {
    const { deps } = this;
    const { rule } = candidate;
    await deps.pacer.take();
    const now = deps.now();
    const claimedAt = iso(now);
    const guard = claimGuard(rule, now);
    const context = { ...deps.recorder.context(candidate), ...(existing?.context ?? {}) };
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
          { ...deps.recorder.newEntry(candidate, 'sending', claimedAt), ...fields },
          guard,
        );
    const details = planDetails(plan, why);
    switch (claim.outcome) {
      case 'duplicate':
        return deps.recorder.decision(candidate, 'duplicate', deps.recorder.fromEntry(claim.existing));
      case 'moved':
        return deps.recorder.decision(
          candidate,
          'duplicate',
          claim.existing ? deps.recorder.fromEntry(claim.existing) : {},
        );
      case 'pending':
      case 'cooldown':
      case 'cap': {
        const refusal = claimRefusal(claim, rule);
        return deps.recorder.skip(candidate, existing, refusal.reasonCode, refusal.reason, details);
      }
      case 'claimed':
        break;
    }
    let entry = claim.entry;
    this.sending.add(entry.id);
    let outcome: SendOutcome;
    let sent = details;
    let refusedFirst: string | undefined;
    try {
      outcome = await this.transmit(plan);
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

  /** Sends on the planned channel; never throws. */
  private transmit(plan: ChosenPlan): Promise<SendOutcome> {
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
    reply: ChosenPlan,
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
      return deps.recorder.lookupFailed(candidate, entry, error);
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
      return deps.recorder.decision(candidate, updated ? 'skipped' : 'duplicate', {
        ...planDetails(reply, why),
        notes,
        ...deps.recorder.fromEntry(updated ?? entry),
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
      return deps.recorder.decision(candidate, 'duplicate', current ? deps.recorder.fromEntry(current) : {});
    }
    const outcome = await this.transmit(next);
    return {
      entry: moved,
      outcome,
      details: { ...planDetails(next, why), notes },
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
    const { maxAttempts, graceMs } = deps.settings;
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
    return deps.recorder.decision(candidate, updated.status, {
      ...details,
      ...deps.recorder.fromEntry(updated),
    });
  }
}
