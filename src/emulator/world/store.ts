/**
 * Every conversation the world knows — seeded history, live, scripted, burst and agentless — by id and by start
 * time, plus the index the WhatsApp 24-hour window needs.
 */
import { digitsOf } from './format.js';
import type { SimConversation, SimMessage } from './model.js';

export class ConversationStore {
  private readonly byId = new Map<string, SimConversation>();
  private byStart: SimConversation[] = [];
  private sorted = true;
  private readonly lastInboundWhatsApp = new Map<string, number>();

  /**
   * Keeps at most about `maxConversations`; beyond that the oldest ended ones are forgotten (and `onForget` told,
   * so that views kept beside the store can let go too).
   */
  constructor(
    private readonly maxConversations = Number.POSITIVE_INFINITY,
    private readonly onForget: (conversationId: string) => void = () => {},
  ) {}

  /** Adds a conversation whose `startTime` is set. */
  add(conversation: SimConversation): void {
    if (this.byId.has(conversation.id)) return;
    this.byId.set(conversation.id, conversation);
    const last = this.byStart.at(-1);
    if (last && last.startTime > conversation.startTime) this.sorted = false;
    this.byStart.push(conversation);
    // Trim in batches (a tenth at a time) so that a long, busy run costs O(1) per conversation.
    if (this.byId.size > this.maxConversations * 1.1) this.trim();
  }

  private trim(): void {
    let excess = this.byId.size - this.maxConversations;
    const kept: SimConversation[] = [];
    for (const c of this.ordered()) {
      if (excess > 0 && c.endTime !== undefined) {
        this.byId.delete(c.id);
        this.onForget(c.id);
        excess--;
      } else {
        kept.push(c);
      }
    }
    this.byStart = kept;
  }

  get(id: string): SimConversation | undefined {
    return this.byId.get(id.toLowerCase());
  }

  get size(): number {
    return this.byId.size;
  }

  /** Conversations that started in [from, to), oldest first. */
  startedBetween(from: number, to: number): SimConversation[] {
    const list = this.ordered();
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.startTime < from) lo = mid + 1;
      else hi = mid;
    }
    const out: SimConversation[] = [];
    for (let i = lo; i < list.length && list[i]!.startTime < to; i++) out.push(list[i]!);
    return out;
  }

  /** Records a message; inbound WhatsApp messages open the customer's 24-hour window. */
  noteMessage(message: SimMessage): void {
    if (message.messengerType === 'whatsapp' && message.direction === 'inbound') {
      const key = digitsOf(message.fromAddress);
      const previous = this.lastInboundWhatsApp.get(key) ?? 0;
      if (message.time > previous) this.lastInboundWhatsApp.set(key, message.time);
    }
  }

  /** When the WhatsApp user with this number last wrote to the business (epoch ms), if ever. */
  lastInboundWhatsAppFrom(address: string): number | undefined {
    return this.lastInboundWhatsApp.get(digitsOf(address));
  }

  /** The newest message conversation on a channel between a customer and one of the business's addresses. */
  activeMessageConversation(
    messengerType: string,
    customerAddress: string,
    businessAddresses: readonly string[],
  ): SimConversation | undefined {
    const customerKey = digitsOrSelf(customerAddress);
    const businessKeys = businessAddresses.map(digitsOrSelf);
    const list = this.ordered();
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i]!;
      if (c.endTime !== undefined || c.messageType !== messengerType) continue;
      const customer = c.participants.find((p) => p.purpose === 'customer');
      if (!customer) continue;
      if (
        digitsOrSelf(customer.comm.fromAddress) === customerKey &&
        businessKeys.includes(digitsOrSelf(customer.comm.toAddress))
      )
        return c;
    }
    return undefined;
  }

  private ordered(): SimConversation[] {
    if (!this.sorted) {
      this.byStart.sort((a, b) => a.startTime - b.startTime);
      this.sorted = true;
    }
    return this.byStart;
  }
}

/** Phone-like addresses compare by digits; anything else (ids) as written. */
function digitsOrSelf(address: string | undefined): string {
  if (address === undefined) return '';
  return /^\+?[0-9 ()-]+$/.test(address) ? digitsOf(address) : address;
}
