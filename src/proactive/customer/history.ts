/**
 * A customer's web messaging history, from conversation detail analytics (`mediaType=message`,
 * `messageType=webmessaging`, `externalContactId=<id>`), in short intervals and cached; message text only through
 * the bulk message call, and only when a template asks for it.
 */
import type { Models } from '../../platform/index.js';
import type { PlatformRequester } from '../platform-port.js';
import { type AnalyticsConversation, searchConversations } from './conversation-search.js';

/** One past web messaging conversation of a customer. */
export interface WebMessagingVisit {
  conversationId: string;
  startedAt: number;
  endedAt?: number;
  /** The customer's external contact id; absent for an anonymous guest. */
  contactId?: string;
  /** Wrap-up code id of the last wrapped-up agent segment. */
  wrapupCode?: string;
  /** First queue the conversation went to. */
  queueId?: string;
}

/** Reads one analytics conversation as a web messaging visit (undefined when it is not one). */
export function visitFromAnalytics(conversation: AnalyticsConversation): WebMessagingVisit | undefined {
  if (!conversation.conversationId || !conversation.conversationStart) return undefined;
  const participants = conversation.participants ?? [];
  const isWebMessaging = participants.some((p) =>
    (p.sessions ?? []).some((s) => s.mediaType === 'message' && s.messageType === 'webmessaging'),
  );
  if (!isWebMessaging) return undefined;
  const visit: WebMessagingVisit = {
    conversationId: conversation.conversationId,
    startedAt: Date.parse(conversation.conversationStart),
  };
  if (conversation.conversationEnd) visit.endedAt = Date.parse(conversation.conversationEnd);
  const customer = participants.find((p) => p.purpose === 'customer');
  if (customer?.externalContactId) visit.contactId = customer.externalContactId;
  let lastWrapup: { code: string; at: number } | undefined;
  for (const participant of participants) {
    for (const session of participant.sessions ?? []) {
      for (const segment of session.segments ?? []) {
        if (!visit.queueId && segment.queueId) visit.queueId = segment.queueId;
        if (segment.wrapUpCode) {
          const at = Date.parse(segment.segmentEnd ?? segment.segmentStart ?? conversation.conversationStart);
          if (!lastWrapup || at >= lastWrapup.at) lastWrapup = { code: segment.wrapUpCode, at };
        }
      }
    }
  }
  if (lastWrapup) visit.wrapupCode = lastWrapup.code;
  return visit;
}

export interface HistoryServiceOptions {
  client: PlatformRequester;
  chunkMs: number;
  pageSize: number;
  /** How long fetched history stays fresh (0 = no cache). */
  cacheMs: number;
  now: () => number;
}

interface CachedHistory {
  from: number;
  to: number;
  visits: WebMessagingVisit[];
  fetchedAt: number;
}

export const WEB_MESSAGING_PREDICATES = [
  { dimension: 'mediaType', value: 'message' },
  { dimension: 'messageType', value: 'webmessaging' },
];

/** Web messaging history per customer, with a short-lived cache that sweeps can prime. */
export class HistoryService {
  private readonly cache = new Map<string, CachedHistory>();
  private readonly messageText = new Map<string, string | undefined>();

  constructor(private readonly options: HistoryServiceOptions) {}

  /** The customer's web messaging visits that started in [from, to), newest first. */
  async visits(contactId: string, from: number, to: number): Promise<WebMessagingVisit[]> {
    const cached = this.cache.get(contactId);
    const fresh = cached && this.options.now() - cached.fetchedAt <= this.options.cacheMs;
    // Fresh history covers everything up to when it was read: within the cache time, that is "now".
    if (cached && fresh && cached.from <= from) {
      return cached.visits.filter((v) => v.startedAt >= from && v.startedAt < to);
    }
    const conversations = await searchConversations(this.options.client, {
      from,
      to,
      segment: [...WEB_MESSAGING_PREDICATES, { dimension: 'externalContactId', value: contactId }],
      chunkMs: this.options.chunkMs,
      pageSize: this.options.pageSize,
    });
    const visits = conversations
      .map(visitFromAnalytics)
      .filter((v): v is WebMessagingVisit => v !== undefined && v.contactId === contactId)
      .sort((a, b) => b.startedAt - a.startedAt);
    this.prime(contactId, from, to, visits);
    return visits;
  }

  /** Stores history a sweep already holds: every visit of the customer that started in [from, to). */
  prime(contactId: string, from: number, to: number, visits: WebMessagingVisit[]): void {
    if (this.options.cacheMs <= 0) return;
    const sorted = [...visits].sort((a, b) => b.startedAt - a.startedAt);
    this.cache.set(contactId, { from, to, visits: sorted, fetchedAt: this.options.now() });
    if (this.cache.size > 50_000) this.cache.delete(this.cache.keys().next().value!);
  }

  /** The last text the customer wrote in a conversation, through the bulk message call. */
  async lastCustomerMessage(conversationId: string): Promise<string | undefined> {
    if (this.messageText.has(conversationId)) return this.messageText.get(conversationId);
    const { client } = this.options;
    const conversation = await client.request<Models.MessageConversation>({
      method: 'GET',
      path: `/api/v2/conversations/messages/${encodeURIComponent(conversationId)}`,
    });
    const customerMessageIds = (conversation.body?.participants ?? [])
      .filter((p) => p.purpose === 'customer')
      .flatMap((p) => (p.messages ?? []).map((m) => m.messageId))
      .filter((id): id is string => typeof id === 'string')
      .slice(-1000);
    let text: string | undefined;
    if (customerMessageIds.length > 0) {
      const bulk = await client.request<{ entities?: (Models.MessageData & { textBody?: string })[] }>({
        method: 'POST',
        path: `/api/v2/conversations/messages/${encodeURIComponent(conversationId)}/messages/bulk`,
        body: customerMessageIds,
      });
      const inbound = (bulk.body?.entities ?? [])
        .filter((m) => m.direction === 'inbound' && typeof m.textBody === 'string')
        .sort((a, b) => Date.parse(a.timestamp ?? '') - Date.parse(b.timestamp ?? ''));
      text = inbound.at(-1)?.textBody;
    }
    this.messageText.set(conversationId, text);
    if (this.messageText.size > 10_000) this.messageText.delete(this.messageText.keys().next().value!);
    return text;
  }

  /** Whether the customer wrote on WhatsApp within the last 24 hours (free text is allowed then). */
  async whatsappWindowOpen(contactId: string, now: number): Promise<boolean> {
    const conversations = await searchConversations(this.options.client, {
      from: now - 24 * 3_600_000,
      to: now + 60_000,
      segment: [
        { dimension: 'mediaType', value: 'message' },
        { dimension: 'messageType', value: 'whatsapp' },
        { dimension: 'externalContactId', value: contactId },
        { dimension: 'direction', value: 'inbound' },
      ],
      chunkMs: this.options.chunkMs,
      pageSize: this.options.pageSize,
      limit: 1,
    });
    return conversations.length > 0;
  }
}
