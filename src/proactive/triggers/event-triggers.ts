/** Which lifecycle events fire which rules, who the customer of an event is, and the candidates an event makes. */
import type { LifecycleEvent } from '../../events.js';
import type { Logger } from '../../logging.js';
import type { Models } from '../../platform/index.js';
import type { LiveSessionTracker } from '../customer/live-sessions.js';
import type { Candidate } from '../ledger/decision.js';
import { describeForbidden, isForbidden, type PlatformRequester } from '../platform-port.js';
import type { RuleStopper } from '../policy/rule-stops.js';
import type { EventTrigger, ProactiveRule } from '../rules/types.js';

function queueOf(event: LifecycleEvent): string | undefined {
  switch (event.type) {
    case 'conversation.started':
      return event.queueId ?? event.customer?.queueId;
    case 'participant.joined':
    case 'participant.left':
    case 'conversation.wrapup':
      return event.participant.queueId;
    case 'conversation.transferred':
      return event.from.queueId;
    default:
      return undefined;
  }
}

const oneOf = (values: string[] | undefined, value: string | undefined) =>
  values === undefined ||
  (value !== undefined && values.some((v) => v.toLowerCase() === value.toLowerCase()));

/** Whether an event passes a trigger's type and filters. */
export function eventMatches(trigger: EventTrigger, event: LifecycleEvent): boolean {
  if (event.type !== trigger.event) return false;
  if (!oneOf(trigger.mediaType, event.mediaType)) return false;
  if (!oneOf(trigger.messageType, event.messageType)) return false;
  if (!oneOf(trigger.queueId, queueOf(event))) return false;
  if (trigger.wrapupCode) {
    if (event.type !== 'conversation.wrapup') return false;
    if (!oneOf(trigger.wrapupCode, event.code) && !oneOf(trigger.wrapupCode, event.codeName)) return false;
  }
  return true;
}

/** The customer of an event's conversation: a contact id, an anonymous guest, or nobody found. */
export type EventCustomer = { kind: 'contact'; contactId: string } | { kind: 'anonymous' } | { kind: 'none' };

/**
 * Finds the customer: from the event itself (`conversation.started`), from earlier events of the conversation,
 * or from `GET /api/v2/conversations/{id}` when the start was not seen (a restart, a gap).
 */
export async function customerOfEvent(
  event: LifecycleEvent,
  tracker: Pick<LiveSessionTracker, 'customerOf'>,
  client: PlatformRequester,
): Promise<EventCustomer> {
  if (event.type === 'conversation.started' && event.customer) {
    return event.customer.externalContactId
      ? { kind: 'contact', contactId: event.customer.externalContactId }
      : { kind: 'anonymous' };
  }
  if (
    (event.type === 'participant.joined' || event.type === 'participant.left') &&
    event.participant.purpose === 'customer'
  ) {
    return event.participant.externalContactId
      ? { kind: 'contact', contactId: event.participant.externalContactId }
      : { kind: 'anonymous' };
  }
  const tracked = tracker.customerOf(event.conversationId);
  if (tracked.known)
    return tracked.contactId ? { kind: 'contact', contactId: tracked.contactId } : { kind: 'anonymous' };
  const reply = await client.request<Models.Conversation>({
    method: 'GET',
    path: `/api/v2/conversations/${encodeURIComponent(event.conversationId)}`,
  });
  const customer = (reply.body?.participants ?? []).find((p) => p.purpose === 'customer');
  if (!customer) return { kind: 'none' };
  return customer.externalContactId
    ? { kind: 'contact', contactId: customer.externalContactId }
    : { kind: 'anonymous' };
}

export interface EventCandidateDeps {
  rules: readonly ProactiveRule[];
  /** Knows the customer of a conversation whose start it saw. */
  tracker: Pick<LiveSessionTracker, 'customerOf'>;
  client: PlatformRequester;
  /** Stops the event's rules when reading the conversation is refused for a missing permission. */
  stops: RuleStopper;
  logger: Logger;
}

/**
 * The candidates an event makes: one per enabled event rule it fires, for the customer of its conversation (none
 * for a conversation without a customer). When the customer cannot be found, none: the rules are not evaluated.
 */
export async function eventCandidates(event: LifecycleEvent, deps: EventCandidateDeps): Promise<Candidate[]> {
  const rules = deps.rules.filter(
    (rule) => rule.enabled && rule.trigger.kind === 'event' && eventMatches(rule.trigger, event),
  );
  if (rules.length === 0) return [];
  let customer: EventCustomer;
  try {
    customer = await customerOfEvent(event, deps.tracker, deps.client);
  } catch (error) {
    deps.logger.warn(
      { conversationId: event.conversationId, err: (error as Error).message },
      'could not find the customer of an event; its rules are not evaluated',
    );
    if (isForbidden(error))
      for (const rule of rules) deps.stops.stop(rule.id, describeForbidden(error).reason);
    return [];
  }
  if (customer.kind === 'none') return [];
  return rules.map((rule) => {
    const candidate: Candidate = {
      rule,
      triggerKind: 'event',
      triggerId: event.id,
      conversationId: event.conversationId,
      eventType: event.type,
    };
    if (customer.kind === 'contact') candidate.contactId = customer.contactId;
    return candidate;
  });
}
