/**
 * Recording decisions: a decision that sends nothing (skipped, deferred, failed — a lookup that failed among them)
 * is written to the ledger under its idempotency key — or onto the entry being decided again — and returned as a
 * {@link Decision}. In a dry run nothing is written.
 */
import { backoffDelay } from '../../backoff.js';
import type {
  LedgerEntry,
  LedgerPatch,
  LedgerStatus,
  LedgerStore,
  NewLedgerEntry,
} from '../../store/index.js';
import { describeForbidden, isForbidden } from '../platform-port.js';
import type { RuleStopper } from '../policy/rule-stops.js';
import { redactAddress } from '../redact.js';
import { type Candidate, customerKey, type Decision, idempotencyKey } from './decision.js';

/** Everything a decision carries besides its identity and status. */
export type DecisionDetails = Partial<
  Omit<Decision, 'ruleId' | 'customerId' | 'triggerId' | 'key' | 'status' | 'dryRun'>
>;

export interface DecisionRecorderDeps {
  ledger: LedgerStore;
  now: () => number;
  dryRun: boolean;
  /** Stops the rule when a lookup is refused for a missing permission. */
  stops: RuleStopper;
  /** Lookups that may fail for a passing reason before the decision fails for good. */
  maxAttempts: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Backoff before retrying a decision that failed for a passing reason: 30 s, 1 min, 2 min, ... at most 15 min. */
export function retryDelayMs(failures: number): number {
  return backoffDelay(failures, { initialDelayMs: 30_000, maxDelayMs: 15 * 60_000, jitter: 'none' });
}

/** Writes decisions to the ledger and builds the {@link Decision} values the engine reports. */
export class DecisionRecorder {
  constructor(private readonly deps: DecisionRecorderDeps) {}

  skip(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    reasonCode: string,
    reason: string,
    details: DecisionDetails = {},
  ): Promise<Decision> {
    return this.write(candidate, existing, 'skipped', { ...details, reasonCode, reason });
  }

  defer(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    until: number,
    reasonCode: string,
    reason: string,
    details: DecisionDetails,
  ): Promise<Decision> {
    return this.write(candidate, existing, 'deferred', { ...details, reasonCode, reason, dueAt: iso(until) });
  }

  /** Records a decision that sends nothing (nothing is written in a dry run). */
  async write(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    status: LedgerStatus,
    details: DecisionDetails,
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
   * Looking the customer up failed (history, contact, channels): a refused permission fails the decision and stops
   * the rule; anything else defers it with backoff, until it has failed `maxAttempts` times.
   */
  async lookupFailed(
    candidate: Candidate,
    existing: LedgerEntry | undefined,
    error: unknown,
  ): Promise<Decision> {
    if (isForbidden(error)) {
      const { reason } = describeForbidden(error);
      this.deps.stops.stop(candidate.rule.id, reason);
      return this.write(candidate, existing, 'failed', { reasonCode: 'missing_permission', reason });
    }
    const failures = Number(existing?.context?.lookupFailures ?? 0) + 1;
    const reason = `looking the customer up failed: ${(error as Error)?.message ?? String(error)}`;
    if (failures >= this.deps.maxAttempts) {
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

  /**
   * A sweep re-evaluates its customers every window; a customer it skips keeps one skip entry per rule, updated
   * with the latest reason (a new status line only when the reason changes), instead of one entry per window.
   */
  private async writeSweepSkip(
    candidate: Candidate,
    details: DecisionDetails,
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

  newEntry(candidate: Candidate, status: LedgerStatus, at: string): NewLedgerEntry {
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

  context(candidate: Candidate): Record<string, unknown> {
    const context: Record<string, unknown> = {};
    if (candidate.conversationId) context.conversationId = candidate.conversationId;
    if (candidate.eventType) context.eventType = candidate.eventType;
    return context;
  }

  fromEntry(entry: LedgerEntry): DecisionDetails {
    const details: DecisionDetails = { entryId: entry.id };
    if (entry.reasonCode) details.reasonCode = entry.reasonCode;
    if (entry.reason) details.reason = entry.reason;
    if (entry.channel) details.channel = entry.channel;
    if (entry.toAddress) details.address = redactAddress(entry.toAddress);
    if (entry.dueAt) details.dueAt = entry.dueAt;
    if (entry.conversationId) details.conversationId = entry.conversationId;
    if (entry.messageId) details.messageId = entry.messageId;
    return details;
  }

  decision(candidate: Candidate, status: Decision['status'], details: DecisionDetails): Decision {
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
