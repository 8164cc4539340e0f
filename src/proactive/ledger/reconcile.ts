/**
 * Reconciliation of in-doubt sends. A ledger entry left `sending` (the process died between the claim and the
 * platform's answer) or `unknown` (a 5xx or a lost connection after the request went out) is looked up in
 * analytics — an outbound message conversation on that channel to that address, started after the claim — before
 * anything is sent again. Found: it was sent. Not found after the grace period (analytics lags): it was not.
 */
import type { LedgerEntry, LedgerStore } from '../../store/index.js';
import { searchConversations } from '../customer/conversation-search.js';
import type { WebMessagingReplier } from '../delivery/reply.js';
import type { PlatformRequester } from '../platform-port.js';

export type ReconcileFinding =
  | { found: true; conversationId?: string; messageId?: string; at?: string }
  | { found: false };

export interface ReconcilerOptions {
  client: PlatformRequester;
  replier: WebMessagingReplier;
  ledger: LedgerStore;
  chunkMs: number;
  pageSize: number;
  /** Clock difference tolerated between this host and the platform. */
  skewMs: number;
  now: () => number;
}

/** Finds out whether an in-doubt send reached the platform. */
export class Reconciler {
  constructor(private readonly options: ReconcilerOptions) {}

  async find(entry: LedgerEntry): Promise<ReconcileFinding> {
    const claimedAt = Date.parse(entry.claimedAt ?? '');
    if (Number.isNaN(claimedAt) || !entry.channel) return { found: false };
    const since = claimedAt - this.options.skewMs;
    if (entry.channel === 'webmessaging-reply') {
      const conversationId = entry.context?.replyConversationId;
      if (typeof conversationId !== 'string') return { found: false };
      const message = await this.options.replier.sentSince(conversationId, since);
      return message ? { found: true, conversationId, ...message } : { found: false };
    }
    if (!entry.toAddress) return { found: false };
    const conversations = await searchConversations(this.options.client, {
      from: since,
      to: this.options.now() + this.options.skewMs,
      segment: [
        { dimension: 'mediaType', value: 'message' },
        { dimension: 'messageType', value: entry.channel },
        { dimension: 'addressTo', value: entry.toAddress },
      ],
      conversation: [{ dimension: 'originatingDirection', value: 'outbound' }],
      chunkMs: this.options.chunkMs,
      pageSize: this.options.pageSize,
      order: 'asc',
    });
    // A conversation another ledger entry already owns is that entry's message, not this one's.
    const owned = new Set(
      (await this.options.ledger.list({ customerId: entry.customerId, limit: 1000 }))
        .filter((other) => other.id !== entry.id && other.conversationId)
        .map((other) => other.conversationId),
    );
    const match = conversations
      .filter((c) => c.conversationId && !owned.has(c.conversationId))
      .filter((c) => Date.parse(c.conversationStart ?? '') >= since)
      .sort((a, b) => Date.parse(a.conversationStart ?? '') - Date.parse(b.conversationStart ?? ''))[0];
    if (!match?.conversationId) return { found: false };
    const finding: ReconcileFinding = { found: true, conversationId: match.conversationId };
    if (match.conversationStart) finding.at = match.conversationStart;
    return finding;
  }
}
