/**
 * Scheduled sweeps: every `every`, the web messaging conversations of the last `lookback` are read from analytics
 * (short intervals, paged) and grouped by customer, one candidate each. Each sweep window has a stable id, so a
 * restart within the same window finds the decisions it already made.
 */
import type { Logger } from '../../logging.js';
import { searchConversations } from '../customer/conversation-search.js';
import {
  type HistoryService,
  visitFromAnalytics,
  WEB_MESSAGING_PREDICATES,
  type WebMessagingVisit,
} from '../customer/history.js';
import type { Candidate } from '../ledger/decision.js';
import { describeForbidden, isForbidden, type PlatformRequester } from '../platform-port.js';
import type { RuleStopper } from '../policy/rule-stops.js';
import type { ProactiveRule, ProactiveSettings, ScheduleTrigger } from '../rules/types.js';

const DAY_MS = 86_400_000;

/** The window a sweep at `now` belongs to: `[start, start + every)`, start aligned to `every`. */
export function sweepWindow(trigger: ScheduleTrigger, now: number): { id: string; start: number } {
  const start = Math.floor(now / trigger.everyMs) * trigger.everyMs;
  return { id: `sweep:${new Date(start).toISOString()}`, start };
}

/** What a sweep found: visits per known customer, and conversations of anonymous guests. */
export interface SweepFindings {
  /** The interval read: the lookback, or the rule's history window when that is longer. */
  from: number;
  to: number;
  /** Every visit in [from, to) of each customer seen within the lookback, newest first. */
  customers: Map<string, WebMessagingVisit[]>;
  /** Guest conversations within the lookback. */
  anonymous: WebMessagingVisit[];
}

export interface SweepSearchOptions {
  chunkMs: number;
  pageSize: number;
  /** Read this much history too (the rule's history window), so no per-customer query is needed. */
  historyMs?: number;
  signal?: AbortSignal;
}

/**
 * Reads the web messaging conversations of the lookback — and of the rule's history window when longer, in the
 * same paged queries — and groups them by customer. Only customers seen within the lookback are returned.
 */
export async function findSweepCustomers(
  client: PlatformRequester,
  trigger: ScheduleTrigger,
  now: number,
  options: SweepSearchOptions,
): Promise<SweepFindings> {
  const lookbackFrom = now - trigger.lookbackMs;
  const from = Math.min(lookbackFrom, now - (options.historyMs ?? 0));
  const conversations = await searchConversations(client, {
    from,
    to: now,
    segment: WEB_MESSAGING_PREDICATES,
    chunkMs: options.chunkMs,
    pageSize: options.pageSize,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const customers = new Map<string, WebMessagingVisit[]>();
  const anonymous: WebMessagingVisit[] = [];
  for (const conversation of conversations) {
    const visit = visitFromAnalytics(conversation);
    if (!visit) continue;
    if (!visit.contactId) {
      anonymous.push(visit);
      continue;
    }
    const list = customers.get(visit.contactId) ?? [];
    list.push(visit);
    customers.set(visit.contactId, list);
  }
  for (const [contactId, list] of customers) {
    list.sort((a, b) => b.startedAt - a.startedAt);
    if (list[0]!.startedAt < lookbackFrom) customers.delete(contactId);
  }
  return { from, to: now, customers, anonymous: anonymous.filter((v) => v.startedAt >= lookbackFrom) };
}

export interface SweepCandidateDeps {
  client: PlatformRequester;
  /** Primed with what the sweep read, so deciding a swept customer needs no history query of its own. */
  history: Pick<HistoryService, 'prime'>;
  settings: ProactiveSettings['history'];
  /** Stops the rule when the search is refused for a missing permission. */
  stops: RuleStopper;
  logger: Logger;
}

/**
 * One sweep of a schedule rule at `now`: a candidate per customer seen within the lookback, and one per guest
 * conversation (a guest can never be reached; one decision each is enough). None when the search fails: the next
 * sweep tries again.
 */
export async function sweepCandidates(
  rule: ProactiveRule,
  trigger: ScheduleTrigger,
  now: number,
  deps: SweepCandidateDeps,
): Promise<Candidate[]> {
  const window = sweepWindow(trigger, now);
  let findings: SweepFindings;
  try {
    findings = await findSweepCustomers(deps.client, trigger, now, {
      chunkMs: deps.settings.chunkDays * DAY_MS,
      pageSize: deps.settings.pageSize,
      historyMs: rule.history.withinDays * DAY_MS,
    });
  } catch (error) {
    if (isForbidden(error)) deps.stops.stop(rule.id, describeForbidden(error).reason);
    else
      deps.logger.error(
        { ruleId: rule.id, err: (error as Error).message },
        'sweep failed; the next one retries',
      );
    return [];
  }
  // The sweep holds every web messaging visit of these customers in its lookback: history needs no new query.
  for (const [contactId, visits] of findings.customers) {
    deps.history.prime(contactId, findings.from, findings.to, visits);
  }
  return [
    ...[...findings.customers.keys()].map(
      (contactId): Candidate => ({ rule, triggerKind: 'sweep', triggerId: window.id, contactId }),
    ),
    ...findings.anonymous.map(
      (visit): Candidate => ({
        rule,
        triggerKind: 'sweep',
        triggerId: `conversation:${visit.conversationId}`,
        conversationId: visit.conversationId,
      }),
    ),
  ];
}
