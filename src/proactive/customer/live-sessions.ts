/**
 * Live state from lifecycle events: which customers are in an active web messaging conversation right now, and
 * who the customer of a recent conversation is (wrap-up and join events name the agent leg, not the customer).
 * Bounded: the oldest conversations are forgotten first, and a conversation with no end seen for a day is dropped.
 */
import type { LifecycleEvent } from '../../events.js';

interface TrackedConversation {
  /** The customer's external contact id; undefined for an anonymous guest. */
  contactId: string | undefined;
  webMessaging: boolean;
  startedAt: number;
  ended: boolean;
}

export interface LiveSessionOptions {
  /** Conversations remembered at most (default 50,000). */
  maxConversations?: number;
  /** An active conversation not seen ending after this long is no longer trusted as active (default 24 h). */
  staleAfterMs?: number;
}

/** Customer identity and active web messaging conversations, fed by lifecycle events. */
export class LiveSessionTracker {
  private readonly conversations = new Map<string, TrackedConversation>();
  private readonly activeByContact = new Map<string, Set<string>>();
  private readonly max: number;
  private readonly staleAfterMs: number;

  constructor(options: LiveSessionOptions = {}) {
    this.max = options.maxConversations ?? 50_000;
    this.staleAfterMs = options.staleAfterMs ?? 86_400_000;
  }

  /** Feeds one event. */
  observe(event: LifecycleEvent): void {
    if (event.type === 'conversation.started') {
      if (this.conversations.has(event.conversationId)) return;
      const contactId = event.customer?.externalContactId;
      const webMessaging = event.mediaType === 'message' && event.messageType === 'webmessaging';
      this.conversations.set(event.conversationId, {
        contactId,
        webMessaging,
        startedAt: Date.parse(event.occurredAt) || Date.now(),
        ended: false,
      });
      if (webMessaging && contactId) {
        let set = this.activeByContact.get(contactId);
        if (!set) {
          set = new Set();
          this.activeByContact.set(contactId, set);
        }
        set.add(event.conversationId);
      }
      this.evict();
    } else if (event.type === 'conversation.ended') {
      const tracked = this.conversations.get(event.conversationId);
      if (!tracked) return;
      tracked.ended = true;
      if (tracked.contactId) this.release(tracked.contactId, event.conversationId);
    }
  }

  /** The customer's active web messaging conversation (the newest, when several), if any. */
  activeWebMessaging(contactId: string, now = Date.now()): string | undefined {
    let newest: { id: string; at: number } | undefined;
    for (const id of this.activeByContact.get(contactId) ?? []) {
      const tracked = this.conversations.get(id);
      if (!tracked || tracked.ended || now - tracked.startedAt > this.staleAfterMs) continue;
      if (!newest || tracked.startedAt > newest.at) newest = { id, at: tracked.startedAt };
    }
    return newest?.id;
  }

  /** What is known of a conversation's customer: `known` false when its start was never seen. */
  customerOf(conversationId: string): { known: boolean; contactId?: string } {
    const tracked = this.conversations.get(conversationId);
    if (!tracked) return { known: false };
    return tracked.contactId ? { known: true, contactId: tracked.contactId } : { known: true };
  }

  /** Number of conversations remembered. */
  get size(): number {
    return this.conversations.size;
  }

  private release(contactId: string, conversationId: string): void {
    const set = this.activeByContact.get(contactId);
    set?.delete(conversationId);
    if (set && set.size === 0) this.activeByContact.delete(contactId);
  }

  private evict(): void {
    while (this.conversations.size > this.max) {
      const [oldest, tracked] = this.conversations.entries().next().value!;
      this.conversations.delete(oldest);
      if (tracked.contactId) this.release(tracked.contactId, oldest);
    }
  }
}
