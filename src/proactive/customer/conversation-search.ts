/**
 * Conversation detail queries done the way the platform wants them: short intervals (the platform returns
 * conversations that started on any day the interval touches, and paging stops at 100,000 results), pages of a
 * safe size, results de-duplicated by conversation id across chunk boundaries.
 */
import type { Models } from '../../platform/index.js';
import type { PlatformRequester } from '../platform-port.js';

export type AnalyticsConversation = Models.AnalyticsConversationWithoutAttributes;

export interface Predicate {
  dimension: string;
  value?: string;
  operator?: 'matches' | 'exists' | 'notExists';
}

export interface ConversationSearch {
  /** Epoch ms, inclusive start and exclusive end. */
  from: number;
  to: number;
  /** ANDed segment predicates (mediaType, messageType, externalContactId, addressTo, ...). */
  segment: Predicate[];
  /** ANDed conversation predicates (originatingDirection, ...). */
  conversation?: Predicate[];
  /** Longest interval per query (default 7 days). */
  chunkMs?: number;
  /** Page size (default 100; the documented safe value). */
  pageSize?: number;
  /** Newest chunk first (`desc`, default) or oldest first. */
  order?: 'asc' | 'desc';
  /** Stop once this many conversations are found. */
  limit?: number;
  signal?: AbortSignal;
}

const ANALYTICS_QUERY = '/api/v2/analytics/conversations/details/query';
const MAX_RESULTS = 100_000;

/** Splits [from, to) into intervals of at most `chunkMs`, newest first for `desc`. */
export function chunkInterval(
  from: number,
  to: number,
  chunkMs: number,
  order: 'asc' | 'desc',
): [number, number][] {
  const chunks: [number, number][] = [];
  for (let start = from; start < to; start += chunkMs) chunks.push([start, Math.min(to, start + chunkMs)]);
  return order === 'desc' ? chunks.reverse() : chunks;
}

const iso = (ms: number) => new Date(ms).toISOString();

function filter(predicates: Predicate[]): Models.SegmentDetailQueryFilter[] {
  return [
    {
      type: 'and',
      predicates: predicates.map((p) => {
        const predicate: Models.SegmentDetailQueryPredicate = {
          type: 'dimension',
          dimension: p.dimension as Models.SegmentDetailQueryPredicate['dimension'],
        };
        if (p.operator) predicate.operator = p.operator;
        if (p.value !== undefined) predicate.value = p.value;
        return predicate;
      }),
    },
  ];
}

/** Runs a search; returns every matching conversation once. */
export async function searchConversations(
  client: PlatformRequester,
  search: ConversationSearch,
): Promise<AnalyticsConversation[]> {
  const order = search.order ?? 'desc';
  const pageSize = search.pageSize ?? 100;
  const found = new Map<string, AnalyticsConversation>();
  for (const [start, end] of chunkInterval(search.from, search.to, search.chunkMs ?? 7 * 86_400_000, order)) {
    for (let pageNumber = 1; pageNumber * pageSize <= MAX_RESULTS; pageNumber++) {
      const body: Models.ConversationQuery = {
        interval: `${iso(start)}/${iso(end)}`,
        order,
        orderBy: 'conversationStart',
        paging: { pageSize, pageNumber },
        segmentFilters: filter(search.segment),
      };
      if (search.conversation && search.conversation.length > 0) {
        body.conversationFilters = filter(search.conversation) as Models.ConversationDetailQueryFilter[];
      }
      const reply = await client.request<Models.AnalyticsConversationQueryResponse>({
        method: 'POST',
        path: ANALYTICS_QUERY,
        body,
        ...(search.signal ? { signal: search.signal } : {}),
      });
      const page = reply.body?.conversations ?? [];
      for (const conversation of page) {
        if (conversation.conversationId && !found.has(conversation.conversationId)) {
          found.set(conversation.conversationId, conversation);
        }
      }
      if (search.limit !== undefined && found.size >= search.limit) return [...found.values()];
      const total = reply.body?.totalHits;
      if (page.length < pageSize || (total !== undefined && pageNumber * pageSize >= total)) break;
    }
  }
  return [...found.values()];
}
