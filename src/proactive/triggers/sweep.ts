/**
 * Scheduled sweeps: every `every`, the web messaging conversations of the last `lookback` are read from analytics
 * (short intervals, paged) and grouped by customer. Each sweep window has a stable id, so a restart within the
 * same window finds the decisions it already made.
 */
import { searchConversations } from '../customer/conversation-search.js';
import { visitFromAnalytics, WEB_MESSAGING_PREDICATES, type WebMessagingVisit } from '../customer/history.js';
import type { PlatformRequester } from '../platform-port.js';
import type { ScheduleTrigger } from '../rules/types.js';

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
