/**
 * The narrow slice of the platform the stream needs. The stream speaks only to this interface; an adapter
 * (`platform-port.ts`) maps it onto the platform client, and tests implement it against their own servers.
 */

/** A notification channel as `POST /api/v2/notifications/channels` returns it. */
export interface ChannelInfo {
  id: string;
  /** `wss://streaming.<domain>/channels/<id>`: connect to it exactly; it is the channel's secret. */
  connectUri: string;
  /** ISO-8601 time the channel expires (about 24 hours after creation), when the platform said. */
  expires: string | undefined;
}

/** How the platform answered for one topic of a subscription call made with `ignoreErrors=true`. */
export interface TopicSubscriptionResult {
  topic: string;
  state: 'Permitted' | 'Rejected';
  rejectionReason?: string;
  /** The permissions the OAuth client lacks for this topic (empty when the platform did not say). */
  missingPermissions: string[];
}

/** A queue or user as discovery needs it. */
export interface DirectoryEntry {
  id: string;
  name?: string;
}

/** `POST /api/v2/analytics/conversations/details/query` body (the subset the backfill uses). */
export interface ConversationDetailsQuery {
  interval: string;
  order?: 'asc' | 'desc';
  orderBy?: string;
  paging: { pageSize: number; pageNumber: number };
  segmentFilters?: Array<{
    type: 'and' | 'or';
    predicates: Array<{ dimension: string; value: string; type?: 'dimension' }>;
  }>;
  conversationFilters?: unknown[];
}

/** One conversation of an analytics details answer (fields used here; the rest passes through). */
export interface AnalyticsConversation {
  conversationId?: string;
  conversationStart?: string;
  conversationEnd?: string;
  [key: string]: unknown;
}

/** The analytics details answer. */
export interface ConversationDetailsPage {
  conversations?: AnalyticsConversation[];
  totalHits?: number;
}

/** Why the stream reads a conversation: wrap-up codes of the live stream, or recovery of a gap. */
export type ReadPurpose = 'enrichment' | 'backfill';

/** What the stream needs from Genesys Cloud. */
export interface NotificationsPort {
  /** `POST /api/v2/notifications/channels`. */
  createChannel(): Promise<ChannelInfo>;
  /** `HEAD /api/v2/notifications/channels/{id}`: true on 200, false on 404; other failures throw. */
  channelExists(channelId: string): Promise<boolean>;
  /** `PUT .../channels/{id}/subscriptions?ignoreErrors=true` with the whole list; one result per topic. */
  replaceSubscriptions(channelId: string, topics: readonly string[]): Promise<TopicSubscriptionResult[]>;
  /** Every routing queue, all pages. */
  listQueues(): Promise<DirectoryEntry[]>;
  /** Every user, all pages. */
  listUsers(): Promise<DirectoryEntry[]>;
  /** `GET /api/v2/conversations/{id}`, as live enrichment or gap recovery (its place in the rate budget). */
  getConversation(conversationId: string, purpose?: ReadPurpose): Promise<Record<string, unknown>>;
  /**
   * `GET /api/v2/analytics/conversations/details?id=…`: the analytics records of several conversations in one call;
   * conversations analytics does not have (yet) are left out.
   */
  getConversationDetails(
    conversationIds: readonly string[],
    purpose: ReadPurpose,
  ): Promise<AnalyticsConversation[]>;
  /** `POST /api/v2/analytics/conversations/details/query`. */
  queryConversationDetails(query: ConversationDetailsQuery): Promise<ConversationDetailsPage>;
  /** Epoch milliseconds at which the token the next call will use expires; undefined when unknown. */
  tokenExpiresAt(): number | undefined;
  /** Drops the current token so the next call gets a fresh one (after `token_revoked`, before rotation). */
  refreshToken?(): Promise<void>;
}

/** Splits `topics` by the platform's per-topic answer; a topic it did not mention counts as permitted. */
export function partitionSubscriptions(
  topics: readonly string[],
  results: readonly TopicSubscriptionResult[],
): { permitted: string[]; rejected: TopicSubscriptionResult[] } {
  const byTopic = new Map(results.map((r) => [r.topic.toLowerCase(), r]));
  const permitted: string[] = [];
  const rejected: TopicSubscriptionResult[] = [];
  for (const topic of topics) {
    const result = byTopic.get(topic.toLowerCase());
    if (result?.state === 'Rejected') rejected.push(result);
    else permitted.push(topic);
  }
  return { permitted, rejected };
}
