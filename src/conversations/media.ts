/**
 * What the envelope says about a conversation's media, and the `conversation.started` details: decided from the
 * customer's leg when there is one (a callback that later dials out stays a callback conversation).
 */
import type { ConversationStartedEvent, MediaType, ParticipantRef } from '../events.js';
import { isCustomerLeg, participantRef } from './legs.js';
import type { CommunicationSnapshot, ConversationSnapshot, ParticipantSnapshot } from './snapshot.js';

function customerLeg(s: ConversationSnapshot): ParticipantSnapshot | undefined {
  for (const p of s.participants) if (isCustomerLeg(p)) return p;
  return undefined;
}

function firstCommunication(s: ConversationSnapshot): CommunicationSnapshot | undefined {
  const customer = customerLeg(s);
  if (customer !== undefined && customer.communications.length > 0) return customer.communications[0];
  for (const p of s.participants) if (p.communications.length > 0) return p.communications[0];
  return undefined;
}

/** The conversation's media type, `unknown` while no leg has media yet. */
export function conversationMediaType(s: ConversationSnapshot): MediaType {
  return firstCommunication(s)?.mediaType ?? 'unknown';
}

/** The message type (`webmessaging`, `sms`, ...) of a message conversation, when any leg shows one. */
export function conversationMessageType(s: ConversationSnapshot): string | undefined {
  for (const p of s.participants) {
    for (const c of p.communications) if (c.messageType !== undefined) return c.messageType;
  }
  return undefined;
}

/** Direction, customer and first queue, as `conversation.started` reports them. */
export function startDetails(s: ConversationSnapshot): {
  direction: ConversationStartedEvent['direction'];
  customer: ParticipantRef | undefined;
  queueId: string | undefined;
} {
  const customer = customerLeg(s);
  const direction = firstCommunication(s)?.direction;
  let queueId: string | undefined;
  for (const p of s.participants) {
    if (p.purpose === 'acd' && p.queueId !== undefined) {
      queueId = p.queueId;
      break;
    }
  }
  return {
    direction: direction === 'inbound' || direction === 'outbound' ? direction : 'unknown',
    customer: customer === undefined || customer.id === '' ? undefined : participantRef(customer),
    queueId,
  };
}
